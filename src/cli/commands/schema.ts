import * as path from 'path';
import { generateJsonSchemas, SCHEMA_DIR } from '../../model/json-schema';
import { writeChangedFiles } from '../../pipeline/dist/write-files';
import { UsageError } from '../errors';
import { Output } from '../output';
import { defineCommand } from './command';

export const schemaCommand = defineCommand({
  name: 'schema',
  description: [
    `Generates ${SCHEMA_DIR}/*.schema.json from the same definitions the loader validates with.`,
    'Environment, catalogue and settings files point at them for editor completion.',
  ],
  options: {
    check: { type: 'boolean', help: 'Write nothing; fail when a committed schema is out of date' },
  },
  run({ values, root }, output: Output): number {
    const stale = writeChangedFiles(path.resolve(root, SCHEMA_DIR), generateJsonSchemas(), { check: values.check === true }).map(
      (file) => `${SCHEMA_DIR}/${file}`,
    );
    if (values.check && stale.length > 0) {
      throw new UsageError(`out-of-date JSON Schemas: ${stale.join(', ')}`, 'run npm run schema and commit the result');
    }
    output.out(stale.length === 0 ? 'JSON Schemas are up to date' : `wrote ${stale.join(', ')}`);
    return 0;
  },
});
