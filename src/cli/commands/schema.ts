import * as fs from 'fs';
import * as path from 'path';
import { generateJsonSchemas, SCHEMA_DIR } from '../../model/json-schema';
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
    const dir = path.resolve(root, SCHEMA_DIR);
    const stale: string[] = [];
    for (const [file, content] of Object.entries(generateJsonSchemas())) {
      const target = path.join(dir, file);
      const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : undefined;
      if (current === content) {
        continue;
      }
      stale.push(`${SCHEMA_DIR}/${file}`);
      if (!values.check) {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(target, content);
      }
    }
    if (values.check && stale.length > 0) {
      throw new UsageError(`out-of-date JSON Schemas: ${stale.join(', ')}`, 'run npm run schema and commit the result');
    }
    output.out(stale.length === 0 ? 'JSON Schemas are up to date' : `wrote ${stale.join(', ')}`);
    return 0;
  },
});
