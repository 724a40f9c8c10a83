import { escapeMarkdown, htmlCommentText, markdownCode, mermaidLabel } from '../../src/pipeline/synth/markdown';

describe('escapeMarkdown', () => {
  test('turns raw HTML into text', () => {
    // GIVEN a reason that would render an image and a script tag, and an HTML comment that hides the rest
    const hostile = '<img src=x onerror=alert(1)><script>x</script> a & b <!-- hidden';
    // WHEN / THEN
    expect(escapeMarkdown(hostile)).toBe('&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;x&lt;/script&gt; a &amp; b &lt;!-- hidden');
  });

  test('escapes links, images, code spans, emphasis, strikethrough and math', () => {
    // GIVEN
    const hostile = '[approved](https://evil.example) ![x](https://evil.example/t.png) `code` *b* _i_ ~~s~~ $\\color{white}x$';
    // WHEN / THEN
    expect(escapeMarkdown(hostile)).toBe(
      '\\[approved\\](https://evil.example) !\\[x\\](https://evil.example/t.png) \\`code\\` \\*b\\* \\_i\\_ \\~\\~s\\~\\~ \\$\\\\color{white}x\\$',
    );
  });

  test('keeps a table row one row: pipes are escaped and line breaks become spaces', () => {
    // GIVEN a header value that would add a column and then a forged row
    const hostile = 'a | b\n| forged | row |\r\nend';
    // WHEN / THEN
    expect(escapeMarkdown(hostile)).toBe('a \\| b \\| forged \\| row \\| end');
  });

  test('shows escape sequences and bidirectional overrides as escapes', () => {
    // WHEN / THEN
    expect(escapeMarkdown('ok\u001b[8mhidden\u202eevil\u0000')).toBe('ok\\u001b\\[8mhidden\\u202eevil\\u0000');
  });

  test('leaves plain words, numbers and the punctuation meshflip writes as they are', () => {
    // GIVEN what ROUTING.md holds for the examples
    const text = 'split 70% real / 30% mock; delay 5s on 10% (real and mock), circuit breaker 2026-12-01T18:00:00Z';
    // WHEN / THEN
    expect(escapeMarkdown(text)).toBe(text);
  });
});

describe('markdownCode', () => {
  test('uses a longer run of backticks than the text holds, so a backtick cannot close the span', () => {
    expect(markdownCode('a``b')).toBe('```a``b```');
    expect(markdownCode('`x`')).toBe('`` `x` ``');
    expect(markdownCode('environments/lab.yaml:3')).toBe('`environments/lab.yaml:3`');
  });

  test('cannot end the line it is on', () => {
    expect(markdownCode('x\n## forged heading')).toBe('`x\\u000a## forged heading`');
  });
});

describe('htmlCommentText', () => {
  test('cannot close the comment', () => {
    expect(htmlCommentText('environments/x--> <b>visible</b>.yaml')).toBe('environments/x-&#45;&gt; <b&gt;visible</b&gt;.yaml');
  });
});

describe('mermaidLabel', () => {
  test('writes characters that end a label, a line or the code fence as entity codes', () => {
    // GIVEN a header value that would close the label and the fence, then start Markdown
    const hostile = 'v"]|\n```\n<b>#';
    // WHEN / THEN
    expect(mermaidLabel(hostile)).toBe('v#34;#93;#124;#10;#96;#96;#96;#10;#60;b>#35;');
  });

  test('keeps what meshflip writes in labels', () => {
    const text = 'split 70% real / 30% mock; x-mock -> mock';
    expect(mermaidLabel(text)).toBe(text);
  });
});
