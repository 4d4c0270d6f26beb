// `nltk.word_tokenize` (nltk 3.10): Punkt sentences, then NLTKWordTokenizer's regular expressions in
// order. nltk compiles most of them with the `regex` module (Unicode `\w`, `\s`: UNICODE_WORD/SPACE)
// and the contractions with `re` (PY_WORD boundaries); both are kept apart here.
import { sentTokenize } from './punkt.js';
import { PY_WORD, pySplit, UNICODE_SPACE, UNICODE_WORD } from './python-text.js';

type Rule = [RegExp, string];

const S = `[${UNICODE_SPACE}]`;
const W = `[${UNICODE_WORD}]`;
const regexBoundary = `(?:(?<=${W})(?!${W})|(?<!${W})(?=${W}))`;
const P = `[${PY_WORD}]`;
const reBoundary = `(?:(?<=${P})(?!${P})|(?<!${P})(?=${P}))`;

const STARTING_QUOTES: Rule[] = [
  [/([«“‘„]|`+)/gu, ' $1 '],
  [/^"/u, '``'],
  [/(``)/gu, ' $1 '],
  [/([ ([{<])("|'{2})/gu, '$1 `` '],
  [new RegExp(`(?<!${W})(')(?!(?:re|ve|ll|m|t|s|d|n)${regexBoundary})(?=${W})`, 'giu'), '$1 '],
];

const PUNCTUATION: Rule[] = [
  [new RegExp(`([^.])(\\.)([\\]\\)}>"'»”’ ]*)${S}*$`, 'gu'), '$1 $2 $3 '],
  [/([:,])([^\p{Nd}])/gu, ' $1 $2'],
  [/([:,])$/gu, ' $1 '],
  [/\.{2,}/gu, ' $& '],
  [/[;@#$%&]/gu, ' $& '],
  [/[\u2012-\u2015]/gu, ' $& '],
  [new RegExp(`([^.])(\\.)([\\]\\)}>"']*)${S}*$`, 'gu'), '$1 $2$3 '],
  [/[?!]/gu, ' $& '],
  [/([^'])' /gu, "$1 ' "],
  [/[*]/gu, ' $& '],
];

const PARENS_BRACKETS: Rule = [/[\][(){}<>]/gu, ' $& '];
const DOUBLE_DASHES: Rule = [/--/gu, ' -- '];

const ENDING_QUOTES: Rule[] = [
  [/([»”’])/gu, ' $1 '],
  [/''/gu, " '' "],
  [/"/gu, " '' "],
  [new RegExp(`${S}+`, 'gu'), ' '],
  [/([^' ])('[sS]|'[mM]|'[dD]|') /gu, '$1 $2 '],
  [/([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) /gu, '$1 $2 '],
];

const contraction = (pattern: string): Rule => [
  new RegExp(pattern.replaceAll('\\b', reBoundary), 'giu'),
  ' $1 $2 ',
];
const CONTRACTIONS: Rule[] = [
  contraction('\\b(can)(not)\\b'),
  contraction("\\b(d)('ye)\\b"),
  contraction('\\b(gim)(me)\\b'),
  contraction('\\b(gon)(na)\\b'),
  contraction('\\b(got)(ta)\\b'),
  contraction('\\b(lem)(me)\\b'),
  contraction("\\b(more)('n)\\b"),
  [new RegExp(`${reBoundary}(wan)(na)(?=[${UNICODE_SPACE}\\x1c-\\x1f])`, 'giu'), ' $1 $2 '],
  contraction(" ('t)(is)\\b"),
  contraction(" ('t)(was)\\b"),
];

function applyRules(text: string, rules: readonly Rule[]): string {
  let out = text;
  for (const [pattern, replacement] of rules) out = out.replace(pattern, replacement);
  return out;
}

/** `NLTKWordTokenizer().tokenize(sentence)`. */
export function treebankTokenize(sentence: string): string[] {
  let text = applyRules(sentence, STARTING_QUOTES);
  text = applyRules(text, PUNCTUATION);
  text = applyRules(text, [PARENS_BRACKETS, DOUBLE_DASHES]);
  text = applyRules(` ${text} `, ENDING_QUOTES);
  text = applyRules(text, CONTRACTIONS);
  return pySplit(text);
}

/** `nltk.word_tokenize(text)` (English). */
export function wordTokenize(text: string): string[] {
  return sentTokenize(text).flatMap((sentence) => treebankTokenize(sentence));
}
