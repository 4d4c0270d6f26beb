// sacrebleu is Python, and its numbers depend on Python's string rules: `str.split()` splits on Python's
// whitespace (which has U+001C–U+001F and U+0085 but not U+FEFF, unlike JavaScript's `\s`), and strings
// are sequences of code points (a character n-gram of "😀é" has two characters, not three UTF-16 units).

/** Python 3's `str.isspace()` set, the separators of `str.split()` and `str.rstrip()`. */
const WHITESPACE =
  '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const whitespaceRun = new RegExp(`[${WHITESPACE}]+`, 'u');
const trailingWhitespace = new RegExp(`[${WHITESPACE}]+$`, 'u');

/** Python's `text.split()`: the runs of non-whitespace, no empty strings. */
export function pythonSplit(text: string): string[] {
  return text.split(whitespaceRun).filter((part) => part !== '');
}

/** Python's `text.rstrip()`. */
export function pythonRstrip(text: string): string {
  return text.replace(trailingWhitespace, '');
}

/** The text as Python indexes it: one element per code point. */
export function codePoints(text: string): string[] {
  return Array.from(text);
}
