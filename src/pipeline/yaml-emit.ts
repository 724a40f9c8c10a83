import * as YAML from 'yaml';

/**
 * Emits Kubernetes objects as a multi-document YAML stream exactly as cdk8s's `Yaml.stringify`
 * does (YAML 1.1 schema, no line wrapping, `---` between documents), and says on which line of
 * the stream each document starts.
 */
export function emitDocuments(objects: readonly unknown[]): { text: string; startLines: number[] } {
  const startLines: number[] = [];
  let line = 1;
  const parts = objects.map((obj) => {
    const text = obj === undefined ? '\n' : YAML.stringify(obj, { keepUndefined: true, lineWidth: 0, version: '1.1' });
    startLines.push(line);
    line += countLines(text) + 1;
    return text;
  });
  return { text: parts.join('---\n'), startLines };
}

function countLines(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      count++;
    }
  }
  return count;
}
