// IFEval's 25 verifiable instructions, ported from lm-evaluation-harness's `lm_eval/tasks/ifeval`
// (`instructions.py`, `instructions_util.py`; itself Google's instruction_following_eval with
// lm-eval's changes, e.g. `**bold**` counting as a highlighted section). Each checker takes the
// instruction's kwargs (already stripped of None/empty values, as the reference does) and returns
// a predicate over a response. Python's text semantics come from python-text.ts; the regular
// expressions an instruction takes from its kwargs (keywords, section splitters) are Python `re`
// patterns, translated by `pythonPattern`.
import { detectLanguage } from './langdetect.js';
import { sentenceSpans } from './punkt.js';
import {
  PY_SPACE,
  pyIsLower,
  pyIsUpper,
  pyLstrip,
  pySplit,
  pyStrip,
  pythonPattern,
  UNICODE_WORD,
} from './python-text.js';
import { wordTokenize } from './word-tokenize.js';

export type InstructionKwargs = Record<string, unknown>;
export type Check = (response: string) => boolean;

/** A kwarg the instruction needs is absent: IFEval would draw a random one, so the row cannot be scored. */
export class InstructionArgumentError extends Error {}

const RELATIONS = ['less than', 'at least'] as const;
type Relation = (typeof RELATIONS)[number];

function integer(kwargs: InstructionKwargs, key: string): number {
  const value = kwargs[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new InstructionArgumentError(
      `kwargs.${key}: expected a non-negative integer, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function text(kwargs: InstructionKwargs, key: string): string {
  const value = kwargs[key];
  if (typeof value !== 'string') {
    throw new InstructionArgumentError(`kwargs.${key}: expected a string, got ${JSON.stringify(value)}`);
  }
  return value;
}

function texts(kwargs: InstructionKwargs, key: string): string[] {
  const value = kwargs[key];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new InstructionArgumentError(
      `kwargs.${key}: expected a list of strings, got ${JSON.stringify(value)}`,
    );
  }
  return value as string[];
}

function relation(kwargs: InstructionKwargs, key: string): Relation {
  const value = kwargs[key];
  if (!RELATIONS.includes(value as Relation)) {
    throw new InstructionArgumentError(
      `kwargs.${key}: expected "less than" or "at least", got ${JSON.stringify(value)}`,
    );
  }
  return value as Relation;
}

function compare(count: number, how: Relation, threshold: number): boolean {
  return how === 'less than' ? count < threshold : count >= threshold;
}

function countMatches(pattern: RegExp, value: string): number {
  let count = 0;
  for (const _ of value.matchAll(pattern)) count += 1;
  return count;
}

const wordPattern = new RegExp(`[${UNICODE_WORD}]+`, 'gu');
/** `instructions_util.count_words`: nltk's RegexpTokenizer(r"\w+") (the `regex` module's `\w`). */
export function countWords(value: string): number {
  return countMatches(wordPattern, value);
}

/** `instructions_util.count_sentences`: NLTK Punkt (English). */
export function countSentences(value: string): number {
  return sentenceSpans(value).length;
}

/** Python `str.lower()` for the texts compared here. */
const lower = (value: string): string => value.toLowerCase();

function detectedLanguageIs(value: string, language: string): boolean {
  // the reference logs LangDetectException (no features in the text) and counts the instruction followed
  const detected = detectLanguage(value);
  return detected === undefined ? true : detected === language;
}

const space = `[${PY_SPACE}]`;
const postscriptPatterns: Record<string, RegExp> = {
  'P.P.S': new RegExp(`p\\.${space}?p\\.${space}?s`, 'u'),
  'P.S.': new RegExp(`p\\.${space}?s\\.`, 'u'),
};

type Builder = (kwargs: InstructionKwargs, prompt: string) => Check;

/** Every instruction id IFEval's registry has, with its checker. */
export const INSTRUCTIONS: Readonly<Record<string, Builder>> = {
  'keywords:existence': (kwargs) => {
    const patterns = texts(kwargs, 'keywords').map((keyword) => new RegExp(pythonPattern(keyword), 'iu'));
    return (value) => patterns.every((pattern) => pattern.test(value));
  },
  'keywords:frequency': (kwargs) => {
    const pattern = new RegExp(pythonPattern(pyStrip(text(kwargs, 'keyword'))), 'giu');
    const how = relation(kwargs, 'relation');
    const frequency = integer(kwargs, 'frequency');
    return (value) => compare(countMatches(pattern, value), how, frequency);
  },
  'keywords:forbidden_words': (kwargs) => {
    const patterns = texts(kwargs, 'forbidden_words').map(
      (word) => new RegExp(pythonPattern(`\\b${word}\\b`), 'iu'),
    );
    return (value) => !patterns.some((pattern) => pattern.test(value));
  },
  'keywords:letter_frequency': (kwargs) => {
    const letter = lower(pyStrip(text(kwargs, 'letter')));
    const how = relation(kwargs, 'let_relation');
    const frequency = integer(kwargs, 'let_frequency');
    return (value) => {
      let count = 0;
      for (const char of lower(value)) if (char === letter) count += 1;
      return how === 'less than' ? count < frequency : count >= frequency;
    };
  },
  'language:response_language': (kwargs) => {
    const language = text(kwargs, 'language');
    return (value) => detectedLanguageIs(value, language);
  },
  'length_constraints:number_sentences': (kwargs) => {
    const how = relation(kwargs, 'relation');
    const threshold = integer(kwargs, 'num_sentences');
    return (value) => compare(countSentences(value), how, threshold);
  },
  'length_constraints:number_paragraphs': (kwargs) => {
    const expected = integer(kwargs, 'num_paragraphs');
    const divider = new RegExp(`${space}?\\*\\*\\*${space}?`, 'u');
    return (value) => {
      const paragraphs = value.split(divider);
      let count = paragraphs.length;
      for (const [index, paragraph] of paragraphs.entries()) {
        if (pyStrip(paragraph) !== '') continue;
        if (index === 0 || index === paragraphs.length - 1) count -= 1;
        else return false;
      }
      return count === expected;
    };
  },
  'length_constraints:number_words': (kwargs) => {
    const how = relation(kwargs, 'relation');
    const threshold = integer(kwargs, 'num_words');
    return (value) => compare(countWords(value), how, threshold);
  },
  'length_constraints:nth_paragraph_first_word': (kwargs) => {
    const expected = integer(kwargs, 'num_paragraphs');
    const nth = integer(kwargs, 'nth_paragraph');
    if (nth <= 0 || nth > expected) {
      throw new InstructionArgumentError(
        `kwargs.nth_paragraph: ${nth} is outside 1..num_paragraphs (${expected}); IFEval would draw a random one`,
      );
    }
    const firstWord = lower(text(kwargs, 'first_word'));
    return (value) => {
      const paragraphs = value.split('\n\n');
      let count = paragraphs.length;
      for (const paragraph of paragraphs) if (pyStrip(paragraph) === '') count -= 1;
      if (nth > count) return false;
      const paragraph = pyStrip(paragraphs[nth - 1]!);
      if (paragraph === '') return false;
      let word = pyStrip(pySplit(paragraph)[0]!);
      word = pyLstrip(pyLstrip(word, "'"), '"');
      let found = '';
      for (const letter of word) {
        if ('.,?!\'"'.includes(letter)) break;
        found += lower(letter);
      }
      return count === expected && found === firstWord;
    };
  },
  'detectable_content:number_placeholders': (kwargs) => {
    const expected = integer(kwargs, 'num_placeholders');
    return (value) => countMatches(/\[[^\n]*?\]/gu, value) >= expected;
  },
  'detectable_content:postscript': (kwargs) => {
    const marker = pyStrip(text(kwargs, 'postscript_marker'));
    const pattern =
      postscriptPatterns[marker] ?? new RegExp(pythonPattern(lower(marker), { multiline: true }), 'u');
    return (value) => pattern.test(lower(value));
  },
  'detectable_format:number_bullet_lists': (kwargs) => {
    const expected = integer(kwargs, 'num_bullets');
    const lineStart = '(?:^|(?<=\\n))';
    const star = new RegExp(`${lineStart}${space}*\\*[^*][^\\n]*(?=\\n|$)`, 'gu');
    const dash = new RegExp(`${lineStart}${space}*-[^\\n]*(?=\\n|$)`, 'gu');
    return (value) => countMatches(star, value) + countMatches(dash, value) === expected;
  },
  'detectable_format:constrained_response': () => {
    const options = ['My answer is yes.', 'My answer is no.', 'My answer is maybe.'];
    return (value) => options.some((option) => pyStrip(value).includes(option));
  },
  'detectable_format:number_highlighted_sections': (kwargs) => {
    const expected = integer(kwargs, 'num_highlights');
    return (value) => {
      let count = 0;
      for (const [highlight] of value.matchAll(/\*[^\n*]*\*/gu))
        if (pyStrip(pyStrip(highlight, '*')) !== '') count += 1;
      for (const [highlight] of value.matchAll(/\*\*[^\n*]*\*\*/gu))
        if (pyStrip(highlight.slice(2, -2)) !== '') count += 1;
      return count >= expected;
    };
  },
  'detectable_format:multiple_sections': (kwargs) => {
    const splitter = pythonPattern(pyStrip(text(kwargs, 'section_spliter')));
    const expected = integer(kwargs, 'num_sections');
    const pattern = new RegExp(`${space}?${splitter}${space}?\\p{Nd}+${space}?`, 'gu');
    return (value) => countMatches(pattern, value) >= expected;
  },
  'detectable_format:json_format': () => (value) => {
    let inner = pyStrip(value);
    // str.removeprefix, one after the other, as the reference chains them
    for (const prefix of ['```json', '```Json', '```JSON', '```']) {
      if (inner.startsWith(prefix)) inner = inner.slice(prefix.length);
    }
    if (inner.endsWith('```')) inner = inner.slice(0, -3);
    return isPythonJson(pyStrip(inner));
  },
  'detectable_format:title': () => (value) =>
    [...value.matchAll(/<<[^\n]+>>/gu)].some(
      ([title]) => pyStrip(title.replace(/^<+/u, '').replace(/>+$/u, '')) !== '',
    ),
  'combination:two_responses': () => (value) => {
    const valid: string[] = [];
    const responses = value.split('******');
    for (const [index, response] of responses.entries()) {
      if (pyStrip(response) === '') {
        if (index !== 0 && index !== responses.length - 1) return false;
      } else valid.push(response);
    }
    return valid.length === 2 && pyStrip(valid[0]!) !== pyStrip(valid[1]!);
  },
  'combination:repeat_prompt': (kwargs) => {
    const prompt = lower(pyStrip(text(kwargs, 'prompt_to_repeat')));
    return (value) => lower(pyStrip(value)).startsWith(prompt);
  },
  'startend:end_checker': (kwargs) => {
    const phrase = lower(pyStrip(pyStrip(text(kwargs, 'end_phrase'))));
    return (value) => lower(pyStrip(pyStrip(value), '"')).endsWith(phrase);
  },
  'change_case:capital_word_frequency': (kwargs) => {
    const how = relation(kwargs, 'capital_relation');
    const frequency = integer(kwargs, 'capital_frequency');
    return (value) => compare(wordTokenize(value).filter(pyIsUpper).length, how, frequency);
  },
  'change_case:english_capital': () => (value) => pyIsUpper(value) && detectedLanguageIs(value, 'en'),
  'change_case:english_lowercase': () => (value) => pyIsLower(value) && detectedLanguageIs(value, 'en'),
  'punctuation:no_comma': () => (value) => !value.includes(','),
  'startend:quotation': () => (value) => {
    const stripped = Array.from(pyStrip(value));
    return stripped.length > 1 && stripped[0] === '"' && stripped.at(-1) === '"';
  },
};

export const INSTRUCTION_IDS: readonly string[] = Object.keys(INSTRUCTIONS);

/**
 * `json.loads` accepts what JSON.parse does, plus NaN, Infinity and -Infinity, and rejects what
 * JSON.parse accepts only in lone surrogates (no difference for a yes/no answer); it also rejects
 * nothing JSON.parse accepts.
 */
function isPythonJson(value: string): boolean {
  try {
    JSON.parse(value);
    return true;
  } catch {
    const replaced = value.replace(/(^|[[:,\s])(-?Infinity|NaN)(?=[\s,\]}]|$)/g, '$10');
    if (replaced === value) return false;
    try {
      JSON.parse(replaced);
      return true;
    } catch {
      return false;
    }
  }
}
