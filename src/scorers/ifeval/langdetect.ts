// langdetect 1.0.9 (PyPI; Shuyo Nakatani's language-detection, ported to Python), ported for IFEval's
// `language:response_language`, `change_case:english_capital` and `english_lowercase`. Detection
// samples n-grams at random, so the port carries CPython's Mersenne Twister (`random.Random`:
// seed, random, gauss, choice) and runs every detection from seed 0, as the parity reference does
// with `DetectorFactory.seed = 0` (langdetect's default seed is None: a different draw per process).
// Profiles and tables: data/langdetect.json.gz, written from the PyPI package by
// test/parity/ifeval/reference.py langdetect-data. Languages are in sorted order (langdetect uses
// the folder listing's order, which only changes the order of a floating-point sum).
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { pyIsUpper } from './python-text.js';

interface Tables {
  languages: string[];
  probabilities: Map<string, Float64Array>;
  latin1Excluded: string;
  toNormalizeVi: string;
  dmarkClass: string;
  normalizedVi: string[];
  cjkMap: Map<string, string>;
  vietnamese: RegExp;
}

let tables: Tables | undefined;

function loadTables(): Tables {
  if (tables !== undefined) return tables;
  const raw = JSON.parse(
    gunzipSync(readFileSync(new URL('./data/langdetect.json.gz', import.meta.url))).toString('utf8'),
  ) as {
    profiles: Record<string, { freq: Record<string, number>; n_words: number[] }>;
    latin1_excluded: string;
    to_normalize_vi: string;
    dmark_class: string;
    normalized_vi: string[];
    cjk_map: Record<string, string>;
  };
  const languages = Object.keys(raw.profiles).sort();
  const probabilities = new Map<string, Float64Array>();
  languages.forEach((language, index) => {
    const profile = raw.profiles[language]!;
    for (const [word, count] of Object.entries(profile.freq)) {
      const length = Array.from(word).length;
      if (length < 1 || length > 3) continue;
      let row = probabilities.get(word);
      if (row === undefined) {
        row = new Float64Array(languages.length);
        probabilities.set(word, row);
      }
      row[index] = count / profile.n_words[length - 1]!;
    }
  });
  tables = {
    languages,
    probabilities,
    latin1Excluded: raw.latin1_excluded,
    toNormalizeVi: raw.to_normalize_vi,
    dmarkClass: raw.dmark_class,
    normalizedVi: raw.normalized_vi,
    cjkMap: new Map(Object.entries(raw.cjk_map)),
    vietnamese: new RegExp(`([${raw.to_normalize_vi}])([${raw.dmark_class}])`, 'gu'),
  };
  return tables;
}

/** CPython's `random.Random` (MT19937): the parts langdetect uses. */
class PythonRandom {
  private readonly state = new Uint32Array(624);
  private index = 625;
  private gaussNext: number | undefined;

  seed(seed: number): void {
    // init_by_array with the key [seed] (seed < 2**32)
    const mt = this.state;
    mt[0] = 19650218;
    for (let i = 1; i < 624; i++) {
      const previous = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = (Math.imul(1812433253, previous) + i) >>> 0;
    }
    const key = [seed >>> 0];
    let i = 1;
    let j = 0;
    for (let k = Math.max(624, key.length); k > 0; k--) {
      const previous = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(previous, 1664525)) + key[j]! + j) >>> 0;
      i += 1;
      j += 1;
      if (i >= 624) {
        mt[0] = mt[623]!;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = 623; k > 0; k--) {
      const previous = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(previous, 1566083941)) - i) >>> 0;
      i += 1;
      if (i >= 624) {
        mt[0] = mt[623]!;
        i = 1;
      }
    }
    mt[0] = 0x80000000;
    this.index = 624;
    this.gaussNext = undefined;
  }

  private uint32(): number {
    const mt = this.state;
    if (this.index >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (mt[k]! & 0x80000000) | (mt[(k + 1) % 624]! & 0x7fffffff);
        mt[k] = mt[(k + 397) % 624]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = mt[this.index++]!;
    y ^= y >>> 11;
    y = (y ^ ((y << 7) & 0x9d2c5680)) >>> 0;
    y = (y ^ ((y << 15) & 0xefc60000)) >>> 0;
    return (y ^ (y >>> 18)) >>> 0;
  }

  random(): number {
    const a = this.uint32() >>> 5;
    const b = this.uint32() >>> 6;
    return (a * 67108864 + b) * (1 / 9007199254740992);
  }

  gauss(mu: number, sigma: number): number {
    let z = this.gaussNext;
    this.gaussNext = undefined;
    if (z === undefined) {
      const x2pi = this.random() * 2 * Math.PI;
      const g2rad = Math.sqrt(-2 * Math.log(1 - this.random()));
      z = Math.cos(x2pi) * g2rad;
      this.gaussNext = Math.sin(x2pi) * g2rad;
    }
    return mu + z * sigma;
  }

  /** `_randbelow_with_getrandbits(n)` for n < 2**32. */
  below(n: number): number {
    const bits = 32 - Math.clz32(n);
    let r = this.uint32() >>> (32 - bits);
    while (r >= n) r = this.uint32() >>> (32 - bits);
    return r;
  }
}

const URL_RE = /https?:\/\/[-_.?&~;+=/#0-9A-Za-z]{1,2076}/g;
const MAIL_RE = /[-_.0-9A-Za-z]{1,64}@[-_0-9A-Za-z]{1,255}[-_.0-9A-Za-z]{1,255}/g;
const MAX_TEXT_LENGTH = 10000;
const TRIALS = 7;
const ALPHA_DEFAULT = 0.5;
const ALPHA_WIDTH = 0.05;
const ITERATION_LIMIT = 1000;
const PROB_THRESHOLD = 0.1;
const CONV_THRESHOLD = 0.99999;
const BASE_FREQ = 10000;

function inRange(point: number, start: number, end: number): boolean {
  return point >= start && point <= end;
}

function normalizeChar(char: string, t: Tables): string {
  const point = char.codePointAt(0)!;
  if (point <= 0x7f) return char < 'A' || ('Z' < char && char < 'a') || 'z' < char ? ' ' : char;
  if (point <= 0xff) return t.latin1Excluded.includes(char) ? ' ' : char;
  if (inRange(point, 0x180, 0x24f)) return char === '\u0219' ? '\u015f' : char === '\u021b' ? '\u0163' : char;
  if (inRange(point, 0x2000, 0x206f)) return ' ';
  if (inRange(point, 0x600, 0x6ff)) return char === '\u06cc' ? '\u064a' : char;
  if (inRange(point, 0x1e00, 0x1eff)) return point >= 0x1ea0 ? '\u1ec3' : char;
  if (inRange(point, 0x3040, 0x309f)) return '\u3042';
  if (inRange(point, 0x30a0, 0x30ff)) return '\u30a2';
  if (inRange(point, 0x3100, 0x312f) || inRange(point, 0x31a0, 0x31bf)) return '\u3105';
  if (inRange(point, 0x4e00, 0x9fff)) return t.cjkMap.get(char) ?? char;
  if (inRange(point, 0xac00, 0xd7af)) return '\uac00';
  return char;
}

/** `Detector.append` then `cleaning_text`: the text whose n-grams are sampled, as code points. */
function prepareText(input: string, t: Tables): string[] {
  let text = input.replace(URL_RE, ' ').replace(MAIL_RE, ' ');
  text = text.replace(t.vietnamese, (_, alphabet: string, mark: string) => {
    return Array.from(t.normalizedVi[t.dmarkClass.indexOf(mark)]!)[
      Array.from(t.toNormalizeVi).indexOf(alphabet)
    ]!;
  });
  const kept: string[] = [];
  let previous = '';
  for (const char of Array.from(text).slice(0, MAX_TEXT_LENGTH)) {
    if (char !== ' ' || previous !== ' ') kept.push(char);
    previous = char;
  }
  let latin = 0;
  let nonLatin = 0;
  for (const char of kept) {
    if ('A' <= char && char <= 'z') latin += 1;
    // langdetect compares the block id (an int) with a block name here: the test is always true
    else if (char >= '\u0300') nonLatin += 1;
  }
  return latin * 2 < nonLatin ? kept.filter((char) => char < 'A' || 'z' < char) : kept;
}

function extractNgrams(chars: readonly string[], t: Tables): string[] {
  const out: string[] = [];
  let grams = [' '];
  let capitalWord = false;
  for (const raw of chars) {
    const char = normalizeChar(raw, t);
    const last = grams.at(-1)!;
    if (last === ' ') {
      grams = [' '];
      capitalWord = false;
      if (char === ' ') continue;
    } else if (grams.length >= 3) grams = grams.slice(1);
    grams.push(char);
    if (pyIsUpper(char)) {
      if (pyIsUpper(last)) capitalWord = true;
    } else capitalWord = false;
    if (capitalWord) continue;
    for (let n = 1; n <= 3; n++) {
      if (grams.length < n) break;
      const word = grams.slice(-n).join('');
      if (word !== '' && word !== ' ' && t.probabilities.has(word)) out.push(word);
    }
  }
  return out;
}

function normalizeProbabilities(prob: Float64Array): number {
  let sum = 0;
  for (const p of prob) sum += p;
  let max = 0;
  for (let i = 0; i < prob.length; i++) {
    const p = prob[i]! / sum;
    if (max < p) max = p;
    prob[i] = p;
  }
  return max;
}

/**
 * `langdetect.detect(text)` with seed 0: the most probable language code (`en`, `zh-cn`...), `unknown`
 * when none passes 0.1, or undefined where langdetect raises "No features in text".
 */
export function detectLanguage(text: string): string | undefined {
  const t = loadTables();
  const ngrams = extractNgrams(prepareText(text, t), t);
  if (ngrams.length === 0) return undefined;
  const count = t.languages.length;
  const total = new Float64Array(count);
  const random = new PythonRandom();
  random.seed(0);
  for (let trial = 0; trial < TRIALS; trial++) {
    const prob = new Float64Array(count).fill(1 / count);
    const alpha = ALPHA_DEFAULT + random.gauss(0, 1) * ALPHA_WIDTH;
    const weight = alpha / BASE_FREQ;
    for (let i = 0; ; i++) {
      const row = t.probabilities.get(ngrams[random.below(ngrams.length)]!)!;
      for (let k = 0; k < count; k++) prob[k]! *= weight + row[k]!;
      if (i % 5 === 0 && (normalizeProbabilities(prob) > CONV_THRESHOLD || i >= ITERATION_LIMIT)) break;
    }
    for (let k = 0; k < count; k++) total[k]! += prob[k]! / TRIALS;
  }
  let best: string | undefined;
  let bestProbability = PROB_THRESHOLD;
  for (let k = 0; k < count; k++) {
    if (total[k]! > bestProbability) {
      bestProbability = total[k]!;
      best = t.languages[k];
    }
  }
  return best ?? 'unknown';
}
