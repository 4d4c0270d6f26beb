import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectPii, normalizePiiValue } from '../../src/scorers/safety/pii/detect.js';
import { PII_ENTITY_TYPES, type PiiEntityType } from '../../src/scorers/safety/pii/types.js';

// Precision and recall of detectPii on the labelled corpus (data/pii/corpus.jsonl), per entity type and
// overall. Shared by test/unit/pii-corpus.test.ts (which asserts the bars) and `npm run pii:report`
// (which prints the table the docs quote).
//
// An entity matches when the type is the same and the values are equal after normalizePiiValue
// (`(212) 555-0142` = `+1 212 555 0142`, card digits without separators, …); a string's labels and
// detections are compared as multisets, so a value written twice must be found twice.

export const corpusPath = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'data',
  'pii',
  'corpus.jsonl',
);

export interface CorpusEntry {
  id: string;
  text: string;
  entities: Array<{ type: PiiEntityType; value: string }>;
  /** Default region for national phone numbers; US when absent. */
  region?: string;
}

export interface TypeScore {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
}

export interface CorpusReport {
  strings: number;
  byType: Record<PiiEntityType, TypeScore>;
  overall: TypeScore;
  /** Every mismatch, for debugging: `id: missed phone "…"` / `id: extra email "…"`. */
  errors: string[];
}

export function readCorpus(file = corpusPath): CorpusEntry[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as CorpusEntry);
}

export function evaluateCorpus(entries: readonly CorpusEntry[]): CorpusReport {
  const counts = Object.fromEntries(
    PII_ENTITY_TYPES.map((type) => [type, { truePositives: 0, falsePositives: 0, falseNegatives: 0 }]),
  ) as Record<PiiEntityType, { truePositives: number; falsePositives: number; falseNegatives: number }>;
  const errors: string[] = [];
  for (const entry of entries) {
    const region = entry.region ?? 'US';
    const key = (type: PiiEntityType, value: string): string =>
      `${type}\u0000${normalizePiiValue(type, value, { defaultRegion: region })}`;
    const expected = entry.entities.map(({ type, value }) => ({ type, value, key: key(type, value) }));
    const found = detectPii(entry.text, { defaultRegion: region }).map(({ type, value }) => ({
      type,
      value,
      key: key(type, value),
    }));
    for (const detected of found) {
      const index = expected.findIndex((label) => label.key === detected.key);
      if (index >= 0) {
        counts[detected.type].truePositives += 1;
        expected.splice(index, 1);
      } else {
        counts[detected.type].falsePositives += 1;
        errors.push(`${entry.id}: extra ${detected.type} ${JSON.stringify(detected.value)}`);
      }
    }
    for (const missed of expected) {
      counts[missed.type].falseNegatives += 1;
      errors.push(`${entry.id}: missed ${missed.type} ${JSON.stringify(missed.value)}`);
    }
  }
  const score = (c: {
    truePositives: number;
    falsePositives: number;
    falseNegatives: number;
  }): TypeScore => ({
    ...c,
    precision:
      c.truePositives + c.falsePositives === 0 ? 1 : c.truePositives / (c.truePositives + c.falsePositives),
    recall:
      c.truePositives + c.falseNegatives === 0 ? 1 : c.truePositives / (c.truePositives + c.falseNegatives),
  });
  const total = { truePositives: 0, falsePositives: 0, falseNegatives: 0 };
  for (const c of Object.values(counts)) {
    total.truePositives += c.truePositives;
    total.falsePositives += c.falsePositives;
    total.falseNegatives += c.falseNegatives;
  }
  return {
    strings: entries.length,
    byType: Object.fromEntries(PII_ENTITY_TYPES.map((type) => [type, score(counts[type])])) as Record<
      PiiEntityType,
      TypeScore
    >,
    overall: score(total),
    errors,
  };
}

/** The report as a Markdown table (the one docs/metrics.md quotes). */
export function reportTable(report: CorpusReport): string {
  const row = (name: string, s: TypeScore): string =>
    `| ${name} | ${s.truePositives + s.falseNegatives} | ${s.truePositives} | ${s.falsePositives} | ${s.falseNegatives} | ${s.precision.toFixed(3)} | ${s.recall.toFixed(3)} |`;
  return [
    '| entity | labelled | found (TP) | false positives | missed | precision | recall |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...PII_ENTITY_TYPES.map((type) => row(`\`${type}\``, report.byType[type])),
    row('**overall**', report.overall),
  ].join('\n');
}
