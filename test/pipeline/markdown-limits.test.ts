import {
  capMarkdown,
  COMMENT_LIMIT,
  COMMENT_MARKER,
  commentBody,
  JOB_SUMMARY_LIMIT,
  jobSummary,
  runUrl,
} from '../../src/pipeline/changes/markdown-limits';

// GitHub rejects a comment body over 65,536 characters and drops a job summary over 1 MiB
// (the limits argocd-diff-preview's users keep running into). These cut what does not fit and say so.

/** A summary of `environments` environments with a table of `rows` services and a Mermaid graph each. */
function bigSummary(environments: number, rows: number): string {
  const parts = [`## meshflip: routing changes in ${environments} environments`, ''];
  for (let e = 0; e < environments; e++) {
    parts.push(`### env-${e} (kong-mesh)`, '', '| Service | Before | After | Also |', '|---|---|---|---|');
    for (let r = 0; r < rows; r++) {
      parts.push(`| svc-${r} | real | mock | fault added: abort 503 for 10% — façade |`);
    }
    parts.push('', '```mermaid', 'graph LR', ...Array.from({ length: rows }, (_, r) => `  caller -.->|mock| svc_${r}`), '```', '');
  }
  return parts.join('\n');
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

describe('the pull-request comment', () => {
  test('is the marker and the summary, untouched, when it fits', () => {
    const summary = bigSummary(1, 5);
    expect(commentBody(summary, 'https://github.com/example/fleet/actions/runs/42')).toBe(`${COMMENT_MARKER}\n${summary}`);
  });

  test('a summary that would exceed 65,536 characters is cut at a line, says how much is missing and links the run', () => {
    // GIVEN about 700 KB of summary, non-ASCII characters included
    const summary = bigSummary(40, 200);
    // WHEN
    const body = commentBody(summary, 'https://github.com/example/fleet/actions/runs/42');
    // THEN within the limit even counted in bytes, a prefix of whole lines, and the note last
    expect(bytes(body)).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(bytes(body)).toBeGreaterThan(COMMENT_LIMIT - 1000);
    const note = body.split('\n').at(-2)!;
    const kept = body.slice(0, body.lastIndexOf('\n\n' + note));
    const cut = `${COMMENT_MARKER}\n${summary}`.length - kept.replace(/\n```$/, '').length;
    expect(note).toBe(
      `**…${cut.toLocaleString('en-US')} more characters did not fit in a comment; the whole summary is in the [job summary](https://github.com/example/fleet/actions/runs/42).**`,
    );
    expect(`${COMMENT_MARKER}\n${summary}`.startsWith(kept.replace(/\n```$/, ''))).toBe(true);
    expect(body.startsWith(`${COMMENT_MARKER}\n## meshflip: routing changes in 40 environments\n`)).toBe(true);
  });

  test('closes a Mermaid block the cut left open, so the note is not swallowed by it', () => {
    // GIVEN a cut that falls inside a graph: one environment with a graph far longer than the limit
    const summary = bigSummary(1, 900);
    // WHEN
    const body = commentBody(summary, undefined);
    const fences = body.split('\n').filter((l) => l.startsWith('```'));
    // THEN
    expect(fences).toEqual(['```mermaid', '```']);
    expect(body.endsWith('the whole summary is in the job summary of this run.**\n')).toBe(true);
  });
});

test("the job summary is cut below GitHub's 1 MiB limit", () => {
  // GIVEN 3.4 MB of summary
  const summary = bigSummary(200, 250);
  expect(bytes(summary)).toBeGreaterThan(3_000_000);
  // WHEN
  const cut = jobSummary(summary);
  // THEN
  expect(bytes(cut)).toBeLessThan(JOB_SUMMARY_LIMIT);
  expect(cut.split('\n').at(-2)).toMatch(
    /^\*\*…[\d,]+ more characters did not fit in the job summary \(GitHub drops one over 1 MiB\); run `npx meshflip diff` locally for all of it\.\*\*$/,
  );
  expect(jobSummary('short\n')).toBe('short\n');
});

test('capMarkdown keeps a text that fits exactly', () => {
  expect(capMarkdown('12345', 5, () => 'cut')).toBe('12345');
  expect(capMarkdown('123456', 5, () => 'x')).toBe('\nx\n');
});

test("the run link comes from the runner's variables, and is absent without them", () => {
  expect(runUrl({ GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'example/fleet', GITHUB_RUN_ID: '42' })).toBe(
    'https://github.com/example/fleet/actions/runs/42',
  );
  expect(runUrl({})).toBeUndefined();
});
