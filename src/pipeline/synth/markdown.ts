import { escapeUnsafeText } from '../../model/unsafe-text';

/**
 * Text from the input (a reason, a header value, a name read back from dist/) made inert in
 * GitHub-flavoured Markdown: ROUTING.md, the job summary of ci-summary, the body of the revert
 * pull request.
 *
 * - `&`, `<` and `>` become entities, so no HTML tag, comment or autolink can open;
 * - `\`, `` ` ``, `*`, `_`, `~`, `[`, `]`, `|` and `$` are escaped with a backslash, so no code span,
 *   emphasis, strikethrough, link or image (`[text](url)`, `![alt](url)`), table cell or math
 *   expression can start (GFM lets a backslash escape any ASCII punctuation, and reads `\|` as a
 *   pipe inside a table cell);
 * - line breaks become spaces, so the text cannot end a table row or start a block (a heading,
 *   a list, a fence), and control, bidirectional and invisible characters are shown as escapes.
 *
 * The result is meant for running text and table cells, never for the inside of a code span.
 *
 * @see https://github.github.com/gfm/#backslash-escapes
 * @see https://github.github.com/gfm/#tables-extension-
 */
export function escapeMarkdown(text: string): string {
  const escaped = text
    .replace(/\r?\n/g, ' ')
    .replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'))
    .replace(/[\\`*_~[\]|$]/g, (c) => `\\${c}`);
  return escapeUnsafeText(escaped);
}

/**
 * Text as a Markdown code span: delimited by more backticks than it holds in a row, so that it
 * cannot close the span early, with control characters and line breaks shown as escapes. Not for
 * table cells, where a pipe would still end the cell.
 *
 * @see https://github.github.com/gfm/#code-spans
 */
export function markdownCode(text: string): string {
  const safe = escapeUnsafeText(text);
  const longest = Math.max(0, ...(safe.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  // A span that starts or ends with a backtick needs a space inside its delimiters (which GFM strips).
  const pad = safe.startsWith('`') || safe.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${safe}${pad}${fence}`;
}

/** Text inside an HTML comment (`<!-- ... -->`), which it cannot close. */
export function htmlCommentText(text: string): string {
  return escapeUnsafeText(text).replace(/--/g, '-&#45;').replace(/>/g, '&gt;');
}

/**
 * Text as a Mermaid label (a node in `["..."]`, an edge in `|...|`): every character that could end
 * the label, the line or the code fence around the diagram is written as a Mermaid entity code
 * (`#35;` for `#`); letters, digits and plain punctuation stay as they are.
 *
 * @see https://mermaid.js.org/syntax/flowchart.html#entity-codes-to-escape-characters
 */
export function mermaidLabel(text: string): string {
  return [...text].map((c) => (/^[A-Za-z0-9 _.,:;/=+@()%*~>-]$/.test(c) ? c : `#${c.codePointAt(0)};`)).join('');
}
