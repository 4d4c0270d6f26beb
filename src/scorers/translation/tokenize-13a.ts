import { pythonSplit } from './python-text.js';

// sacrebleu's default BLEU tokenizer, `13a` (mteval-v13a.pl, the WMT standard): unescapes four XML
// entities, then separates punctuation and symbols from words, except a period or comma between two
// digits ("3.5", "1,000" stay whole) and a hyphen not preceded by a digit ("e-mail" stays whole, "2-3"
// is split into "2 - 3"). Each step below is one substitution of sacrebleu's, in its order.

/** ASCII symbols 13a always separates: { | } ~ [ \ ] ^ _ ` space ! " # $ % & ( ) * + : ; < = > ? @ / */
const SYMBOL = /([\x7b-\x7e\x5b-\x60\x20-\x26\x28-\x2b\x3a-\x40\x2f])/gu;
const PUNCTUATION_AFTER_NON_DIGIT = /([^0-9])([.,])/gu;
const PUNCTUATION_BEFORE_NON_DIGIT = /([.,])([^0-9])/gu;
const HYPHEN_AFTER_DIGIT = /([0-9])(-)/gu;

/** A segment tokenized as sacrebleu's `Tokenizer13a` does: tokens joined by single spaces. */
export function tokenize13a(segment: string): string {
  let line = segment.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (line.includes('&')) {
    line = line
      .replaceAll('&quot;', '"')
      .replaceAll('&amp;', '&')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>');
  }
  line = ` ${line} `
    .replace(SYMBOL, ' $1 ')
    .replace(PUNCTUATION_AFTER_NON_DIGIT, '$1 $2 ')
    .replace(PUNCTUATION_BEFORE_NON_DIGIT, ' $1 $2')
    .replace(HYPHEN_AFTER_DIGIT, '$1 $2 ');
  return pythonSplit(line).join(' ');
}
