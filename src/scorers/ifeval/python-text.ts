// Python's text semantics, for a port whose verdicts must equal Python code's: what `str.strip()`,
// `str.split()`, `str.isupper()`, `re`'s `\s`/`\w`/`.`/`$` mean, which differ from JavaScript's in
// the details (JavaScript's `\s` has U+FEFF and lacks U+0085; its `.` stops at \r; its `\w` is ASCII).

/** Characters for which Python's `str.isspace()` is true (`str.strip()`, `str.split()`, `re`'s `\s`). */
export const PY_SPACE =
  '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
/** The `regex` module's `\s` (Unicode White_Space): like Python's but without U+001C..U+001F. */
export const UNICODE_SPACE =
  '\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
/** `re`'s `\w` for str patterns: letters, numbers (`str.isalnum()`) and the underscore. */
export const PY_WORD = '\\p{L}\\p{N}_';
/** The `regex` module's `\w` (Unicode's word characters): nltk's tokenizers run on that module. */
export const UNICODE_WORD = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}';

const leadingSpace = new RegExp(`^[${PY_SPACE}]+`, 'u');
const trailingSpace = new RegExp(`[${PY_SPACE}]+$`, 'u');
const spaceRuns = new RegExp(`[${PY_SPACE}]+`, 'u');

/** `str.strip()`; with `chars`, `str.strip(chars)`. */
export function pyStrip(text: string, chars?: string): string {
  if (chars === undefined) return text.replace(leadingSpace, '').replace(trailingSpace, '');
  const points = Array.from(text);
  let start = 0;
  let end = points.length;
  while (start < end && chars.includes(points[start]!)) start += 1;
  while (end > start && chars.includes(points[end - 1]!)) end -= 1;
  return points.slice(start, end).join('');
}

export function pyLstrip(text: string, chars: string): string {
  const points = Array.from(text);
  let start = 0;
  while (start < points.length && chars.includes(points[start]!)) start += 1;
  return points.slice(start).join('');
}

/** `str.rstrip()` (whitespace). */
export function pyRstrip(text: string): string {
  return text.replace(trailingSpace, '');
}

/** `str.split()` with no separator: runs of whitespace, no empty strings. */
export function pySplit(text: string): string[] {
  return pyStrip(text)
    .split(spaceRuns)
    .filter((part) => part !== '');
}

const lowerChar = /[\p{Lowercase}\p{Lt}]/u;
const upperChar = /\p{Uppercase}/u;
const titleOrUpper = /[\p{Uppercase}\p{Lt}]/u;

/** `str.isupper()`: no lowercase or titlecase character, and at least one uppercase one. */
export function pyIsUpper(text: string): boolean {
  let cased = false;
  for (const char of text) {
    if (lowerChar.test(char)) return false;
    if (!cased && upperChar.test(char)) cased = true;
  }
  return cased;
}

/** `str.islower()`: no uppercase or titlecase character, and at least one lowercase one. */
export function pyIsLower(text: string): boolean {
  let cased = false;
  for (const char of text) {
    if (titleOrUpper.test(char)) return false;
    if (!cased && /\p{Lowercase}/u.test(char)) cased = true;
  }
  return cased;
}

/** The first code point of `text` (Python indexes code points, JavaScript UTF-16 units). */
export function firstChar(text: string): string {
  const point = text.codePointAt(0);
  return point === undefined ? '' : String.fromCodePoint(point);
}

/**
 * A Python `re` pattern as a JavaScript one (flag `u`), for patterns that IFEval's instructions take from
 * their arguments (keywords, section splitters, postscript markers): `.`, `\s`, `\S`, `\w`, `\W`, `\d`,
 * `\D`, `\b`, `\B`, `^` and `$` get Python's meaning; other escapes of punctuation become the
 * character itself (Python accepts `\-` or `\'`, JavaScript's `u` mode does not).
 */
export function pythonPattern(pattern: string, options: { multiline?: boolean } = {}): string {
  const out: string[] = [];
  let inClass = false;
  const points = Array.from(pattern);
  for (let i = 0; i < points.length; i++) {
    const char = points[i]!;
    if (char === '\\' && i + 1 < points.length) {
      const next = points[++i]!;
      out.push(translateEscape(next, inClass));
      continue;
    }
    if (inClass) {
      if (char === ']') inClass = false;
      out.push(char === '[' ? '\\[' : char);
      continue;
    }
    if (char === '[') {
      inClass = true;
      out.push(char);
      if (points[i + 1] === '^') out.push(points[++i]!);
      if (points[i + 1] === ']') {
        out.push('\\]');
        i += 1;
      }
      continue;
    }
    if (char === '.') out.push('[^\\n]');
    else if (char === '^') out.push(options.multiline ? '(?:^|(?<=\\n))' : '^');
    else if (char === '$') out.push(options.multiline ? '(?=\\n|$)' : '(?=\\n?$)');
    else if (char === '{' || char === '}') out.push(quantifierBrace(points, i) ? char : `\\${char}`);
    else out.push(char);
  }
  return out.join('');
}

function translateEscape(next: string, inClass: boolean): string {
  const word = `[${PY_WORD}]`;
  switch (next) {
    case 's':
      return inClass ? PY_SPACE : `[${PY_SPACE}]`;
    case 'S':
      return inClass ? '\\S' : `[^${PY_SPACE}]`;
    case 'w':
      return inClass ? PY_WORD : word;
    case 'W':
      return inClass ? '\\W' : `[^${PY_WORD}]`;
    case 'd':
      return '\\p{Nd}';
    case 'D':
      return '\\P{Nd}';
    case 'b':
      return inClass ? '\\x08' : `(?:(?<=${word})(?!${word})|(?<!${word})(?=${word}))`;
    case 'B':
      return `(?:(?<=${word})(?=${word})|(?<!${word})(?!${word}))`;
    case 'A':
      return '^';
    case 'Z':
      return '$';
    default:
      if (/[A-Za-z0-9]/.test(next)) return `\\${next}`;
      return /[\^$\\.*+?()[\]{}|/-]/.test(next) ? `\\${next}` : next;
  }
}

/** Python reads `{` as a literal unless it starts a valid `{m}`, `{m,}`, `{,n}` or `{m,n}`. */
function quantifierBrace(points: readonly string[], index: number): boolean {
  if (points[index] === '}') {
    for (let j = index - 1; j >= 0; j--) {
      if (points[j] === '{') return /^\{\d*,?\d*\}$/.test(points.slice(j, index + 1).join(''));
      if (!/[\d,]/.test(points[j]!)) return false;
    }
    return false;
  }
  const rest = points.slice(index, index + 24).join('');
  return /^\{(\d+|\d*,\d*)\}/.test(rest) && rest !== '{,}';
}
