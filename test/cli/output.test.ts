import { paint, terminalText } from '../../src/cli/output';

describe('terminalText', () => {
  test('escapes ESC, NUL, backspace, CR and bidirectional overrides, and keeps line feeds and tabs', () => {
    // GIVEN text that would clear the screen, erase the line before it and reorder what follows
    const hostile = 'a\u001b[2J\u001b]0;title\u0007b\u0000\b\r\u202ec\n\td';
    // WHEN / THEN
    expect(terminalText(hostile, false)).toBe('a\\u001b[2J\\u001b]0;title\\u0007b\\u0000\\u0008\\u000d\\u202ec\n\td');
  });

  test('keeps the colours paint writes when the output is coloured, and escapes every other sequence', () => {
    // GIVEN a painted label and a sequence that conceals text
    const text = `${paint({ color: true }, 'red', 'error')}: \u001b[8mhidden\u001b[0m`;
    // WHEN
    const colored = terminalText(text, true);
    // THEN the palette's reset is kept wherever it is, the conceal sequence is not
    expect(colored).toBe('\u001b[31merror\u001b[0m: \\u001b[8mhidden\u001b[0m');
  });

  test('escapes the colours too when the output is not coloured', () => {
    expect(terminalText('\u001b[31mred\u001b[0m', false)).toBe('\\u001b[31mred\\u001b[0m');
  });
});
