/** GitHub's limit on an issue or pull-request comment body: 65,536 characters. Counted here in UTF-8 bytes, never fewer. */
export const COMMENT_LIMIT = 65_536;

/** GitHub's limit on one step's job summary: 1 MiB; a larger one is dropped whole. */
export const JOB_SUMMARY_LIMIT = 1024 * 1024;

/** The first line of meshflip's pull-request comment, by which the next run finds it to update. */
export const COMMENT_MARKER = '<!-- meshflip-summary -->';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * `text` if it fits in `limit` UTF-8 bytes; else its longest prefix of whole lines that fits
 * together with the line `note(cut)` says (cut: how many characters were left out), with a code
 * block left open at the cut closed first, so the rest still renders.
 */
export function capMarkdown(text: string, limit: number, note: (cut: number) => string): string {
  if (bytes(text) <= limit) {
    return text;
  }
  const lines = text.split('\n');
  // The note's length depends on the number it carries; reserve for the largest it can say.
  const reserve = bytes(`\n\`\`\`\n\n${note(text.length)}\n`);
  let kept = 0;
  let size = 0;
  while (kept < lines.length && size + bytes(lines[kept]) + 1 <= limit - reserve) {
    size += bytes(lines[kept]) + 1;
    kept++;
  }
  const head = lines.slice(0, kept);
  const fences = head.filter((l) => /^\s*```/.test(l)).length;
  const cut = text.length - head.join('\n').length;
  return [...head, ...(fences % 2 === 1 ? ['```'] : []), '', note(cut), ''].join('\n');
}

/** Where the whole summary can be read: the run's page, which shows the job summaries. */
export function runUrl(env: NodeJS.ProcessEnv): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: run } = env;
  return server && repo && run ? `${server}/${repo}/actions/runs/${run}` : undefined;
}

/** The sticky comment: the marker, then the summary, cut to fit GitHub's comment limit with a line saying how much and where the rest is. */
export function commentBody(summary: string, link: string | undefined): string {
  const where = link === undefined ? 'the job summary of this run' : `the [job summary](${link})`;
  return capMarkdown(
    `${COMMENT_MARKER}\n${summary}`,
    COMMENT_LIMIT,
    (cut) => `**…${cut.toLocaleString('en-US')} more characters did not fit in a comment; the whole summary is in ${where}.**`,
  );
}

/** The job summary, cut below GitHub's 1 MiB limit with a line saying how much. */
export function jobSummary(summary: string): string {
  return capMarkdown(
    summary,
    JOB_SUMMARY_LIMIT - 1024,
    (cut) =>
      `**…${cut.toLocaleString('en-US')} more characters did not fit in the job summary (GitHub drops one over 1 MiB); run \`npx meshflip diff\` locally for all of it.**`,
  );
}
