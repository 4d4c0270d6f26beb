// Generated inputs for the summarization parity test: texts with punctuation, unicode, numbers,
// repeated words, empty and whitespace-only strings and several lines (for rougeLsum), and a word list
// for the stemmer that walks every Porter suffix rule. Seeded, so a failure reproduces.

import { seededRandom } from '../../../src/datasets/row-sampler.js';

/** The project's seeded generator (the row sampler's), so a failure reproduces. */
export const random = seededRandom;

const pick = <T>(next: () => number, items: readonly T[]): T => items[Math.floor(next() * items.length)]!;

const WORDS = `the a an of to in and is was were be been being it that this these those cat cats dog dogs
run runs running ran runner happy happily happiness happier generalization generalizations national
relational conditional rational valency hesitancy digitizer conformably radically differently vilely
analogously vietnamization predication operator feudalism decisiveness hopefulness callousness
formality sensitivity sensibility triplicate formative formalize electricity electrical hopeful
goodness revival allowance inference airliner gyroscopic adjustable defensible irritant replacement
adjustment dependent adoption homologous communism activate angularity effective bowdlerize probate
rate cease controlling roll caresses ponies ties caress feed agreed plastered bled motoring sing
conflated troubled sized hopping tanned falling hissing fizzed failing filing happy sky skies dying
lying tying news innings outings cannings howe proceed exceed succeed agreement studies studied
flies tried cries spied enjoy enjoyment toy syzygy yyyy yes eyes played playing quickly generously
summarize summarization summarized summaries report reported reporting reports said says company
companies million billion percent government officials president minister year years people
economic economy market markets growth increased increasing decline declined analysts expected`.split(/\s+/);

const ODD = [
  '1990s',
  '3.14',
  '42',
  '2,000',
  'covid-19',
  'e-mail',
  "don't",
  "it's",
  'U.S.',
  'Dr.',
  'café',
  'naïve',
  'İstanbul',
  'İİ',
  '\u212Aelvin',
  'Straße',
  'ÉCOLE',
  'élan',
  '日本語',
  '😀',
  'über',
  'ﬁle',
  'ΣΊΣΥΦΟΣ',
  'x',
  'ok',
  'ab',
  'abc',
  'abcd',
  'ALLCAPS',
  'MixedCase',
  'snake_case',
  'a1b2',
  '---',
  '...',
  '!?',
  '#',
  '"quoted"',
  '(paren)',
  '[1]',
  'tab\tsep',
  'nbsp\u00a0word',
  'zero\u200bwidth',
];
const SEPARATORS = [' ', ' ', ' ', ' ', ', ', '. ', '; ', '  ', '\t', ' - ', ' — '];
const LINE_BREAKS = ['\n', '\n', '\r\n', '\n\n', '\n \n'];

/** A random text: words (some odd, some repeated), separators, and sometimes several lines. */
export function randomText(next: () => number, maxWords: number): string {
  const count = Math.floor(next() * (maxWords + 1));
  let text = next() < 0.1 ? pick(next, ['', ' ', '\n', '. ']) : '';
  let previous = pick(next, WORDS);
  for (let i = 0; i < count; i++) {
    const r = next();
    const word = r < 0.12 ? previous : r < 0.25 ? pick(next, ODD) : pick(next, WORDS);
    const cased =
      next() < 0.1 ? word.toUpperCase() : next() < 0.1 ? word[0]!.toUpperCase() + word.slice(1) : word;
    text += cased;
    if (i < count - 1) text += next() < 0.12 ? pick(next, LINE_BREAKS) : pick(next, SEPARATORS);
    previous = word;
  }
  if (next() < 0.15) text += pick(next, ['.', '\n', '!\n', '  ']);
  return text;
}

/** A prediction that overlaps its reference: words dropped, swapped and replaced, lines kept. */
export function derivedText(next: () => number, reference: string): string {
  const parts = reference.split(/(\s+)/);
  const out: string[] = [];
  for (const part of parts) {
    const r = next();
    if (/^\s+$/.test(part) || part === '') out.push(part);
    else if (r < 0.2) continue;
    else if (r < 0.3) out.push(pick(next, WORDS));
    else out.push(part);
  }
  if (out.length > 4 && next() < 0.5) {
    const i = Math.floor(next() * (out.length - 2));
    [out[i], out[i + 2]] = [out[i + 2]!, out[i]!];
  }
  return out.join('');
}

export interface RougeCase {
  references: string[];
  prediction: string;
}

/** Fixed edge cases, then `count` random ones (a third with 2–3 references). */
export function rougeCases(seed: number, count: number): RougeCase[] {
  const next = random(seed);
  const cases: RougeCase[] = [
    { references: [''], prediction: '' },
    { references: [''], prediction: 'the cat sat' },
    { references: ['the cat sat'], prediction: '' },
    { references: ['   \n\t '], prediction: '...' },
    { references: ['!!! ???'], prediction: '!!! ???' },
    { references: ['日本語 😀'], prediction: '日本語 😀' },
    { references: ['İİ \u212Aelvin'], prediction: 'ii kelvin' },
    { references: ['the the the the'], prediction: 'the the' },
    { references: ['a b a b a b'], prediction: 'b a b a' },
    { references: ['one.\ntwo three.\n\nfour'], prediction: 'two three\none\nfour four' },
    { references: ['\n\n\n'], prediction: 'x\n' },
    { references: ['cats running\nquickly generalized'], prediction: 'cat runs\nquick general' },
    { references: ['the cat', 'a dog', 'the cat sat'], prediction: 'the cat sat down' },
    { references: ['same f', 'same f'], prediction: 'same' },
    { references: ['', 'x y'], prediction: 'x' },
  ];
  for (let i = 0; i < count; i++) {
    const reference = randomText(next, 40);
    const references = [reference];
    if (next() < 0.33) {
      const more = 1 + Math.floor(next() * 2);
      for (let j = 0; j < more; j++)
        references.push(next() < 0.5 ? derivedText(next, reference) : randomText(next, 30));
    }
    const prediction = next() < 0.7 ? derivedText(next, reference) : randomText(next, 40);
    cases.push({ references, prediction });
  }
  return cases;
}

const ROOTS =
  `relat condit ration valen hesit digit conform radic differ vil analog vietnam predic oper feud decis
hope callous form sensit sensib tripl electr good reviv allow infer airlin gyroscop adjust defens irrit
replac depend adopt homolog commun activ angular effect bowdler prob r ceas control caress pon t agr
plast bl motor s confl troubl siz hop tan fal his fiz fail fil happ sk d l enjoy to syzyg play gener
nation condition univers organ real special fin pollin sens hyster troll bak cr tr sp fl sl cont
mov lov writ fix box buzz mess kiss pass fuss wall skill agre disagre proc exc succ fe sh m b`.split(/\s+/);

const SUFFIXES =
  `ational tional enci anci izer bli abli alli entli eli ousli ization ation ator alism iveness fulness
ousness aliti iviti biliti fulli logi ologi icate ative alize iciti ical ful ness al ance ence er ic
able ible ant ement ment ent ion sion tion ou ism ate iti ous ive ize e ll l s es sses ies ied ed ing eed
y ly ily ying yed ys ss ness es ings ers ements ations ization izations ically fully`.split(/\s+/);

/** Words for the stemmer: every root with every suffix, plus random strings (y-heavy, some digits). */
export function stemmerWords(seed: number, randomCount: number): string[] {
  const next = random(seed);
  const words = new Set<string>();
  for (const root of ROOTS) for (const suffix of ['', ...SUFFIXES]) words.add(root + suffix);
  const letters = 'abcdefghijklmnopqrstuvwxyzyyyeeaaiioouu0123456789';
  for (let i = 0; i < randomCount; i++) {
    const length = 1 + Math.floor(next() * 12);
    let word = '';
    for (let j = 0; j < length; j++)
      word += letters[Math.floor(next() * (next() < 0.9 ? 26 : letters.length))];
    words.add(next() < 0.3 ? word + pick(next, SUFFIXES) : word);
  }
  return [...words];
}
