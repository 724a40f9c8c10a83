import * as fs from 'fs';
import * as path from 'path';
import { imposterFromContract, MOCK_STATUS_HEADER } from '../../mocks/openapi-imposter';
import { writeImposterFile } from '../../pipeline/dist/imposter-file';
import { UsageError } from '../errors';
import { Output } from '../output';
import { defineCommand } from './command';

export const mockContractCommand = defineCommand({
  name: 'mock-contract',
  args: '<document>',
  description: [
    "One stub per operation and response: the document's example where it has one, else a sample",
    "made from the schema; each stub matches the method and the path template. An operation's first",
    `2xx response answers every request; its other responses answer requests with ${MOCK_STATUS_HEADER}: <code>.`,
  ],
  options: {
    port: { type: 'string', arg: '<N>', help: 'Port the imposter listens on: a target port of the service it mocks (required)' },
    out: { type: 'string', arg: '<file>', path: true, help: 'The imposter file to write (required), e.g. environments/mocks/orders.imposter.json' },
    name: { type: 'string', arg: '<name>', help: "The imposter's name (default: the document's info.title)" },
  },
  async run({ values, given, positionals, cwd }, output: Output): Promise<number> {
    const [document, ...extra] = positionals;
    if (document === undefined || extra.length > 0) {
      throw new UsageError(
        'expected one OpenAPI or Swagger document',
        'meshflip mock-contract api/orders.openapi.yaml --port 8080 --out environments/mocks/orders.imposter.json',
      );
    }
    const port = Number(values.port);
    if (values.port === undefined || !/^[0-9]+$/.test(values.port) || port < 1 || port > 65535) {
      throw new UsageError(
        `--port must be a port number 1-65535${values.port === undefined ? '' : `, got "${values.port}"`}`,
        'the target port of the service the mock stands in for',
      );
    }
    if (values.out === undefined || !values.out.endsWith('.json')) {
      throw new UsageError(
        `--out must name a .json file${values.out === undefined ? '' : `, got "${given.out}"`}`,
        'e.g. --out environments/mocks/orders.imposter.json',
      );
    }
    const documentPath = path.resolve(cwd, document);
    if (!fs.existsSync(documentPath) || !fs.statSync(documentPath).isFile()) {
      throw new UsageError(`no file ${document}`, 'give the path of an OpenAPI or Swagger document (YAML or JSON)');
    }
    const { imposter, operations } = await imposterFromContract(document, fs.readFileSync(documentPath, 'utf8'), port, values.name);
    writeImposterFile(values.out, imposter);
    output.out(`wrote ${given.out}: ${operations.length} stub${operations.length === 1 ? '' : 's'} on port ${port}`);
    for (const op of operations) {
      output.out(
        `  ${op.method} ${op.path} -> ${op.status} (${op.body === 'none' ? 'no body' : op.body === 'example' ? 'example' : 'sample from the schema'})`,
      );
    }
    return 0;
  },
});
