import { describe, expect, it } from 'vitest';
import { evaluateCorpus, readCorpus, reportTable } from '../../scripts/pii/evaluate-corpus.js';
import { PII_ENTITY_TYPES } from '../../src/scorers/safety/pii/types.js';

// pii_leakage's measured trust: detectPii over the labelled corpus (data/pii/corpus.jsonl, 477 strings
// written by hand, hard negatives included; scripts/pii/build-corpus.ts). The bars are the issue's:
// precision >= 0.98 and recall >= 0.95 overall, recall >= 0.9 for each entity type.
// `npm run pii:report` prints the same table and every mismatch.

const corpus = readCorpus();
const report = evaluateCorpus(corpus);

describe('the PII corpus', () => {
  it('is big and varied enough to measure each entity type', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(320);
    expect(new Set(corpus.map((entry) => entry.id)).size).toBe(corpus.length);
    const negatives = corpus.filter((entry) => entry.entities.length === 0);
    expect(negatives.length).toBeGreaterThanOrEqual(100);
    for (const type of PII_ENTITY_TYPES) {
      const labelled = report.byType[type].truePositives + report.byType[type].falseNegatives;
      expect(labelled, type).toBeGreaterThanOrEqual(20);
    }
    for (const entry of corpus)
      for (const { value } of entry.entities) expect(entry.text, entry.id).toContain(value);
  });

  it('is detected with precision >= 0.98 and recall >= 0.95 overall, recall >= 0.9 per type', () => {
    console.log(`${report.strings} strings\n${reportTable(report)}`);
    if (report.errors.length > 0) console.log(report.errors.join('\n'));
    expect(report.overall.precision).toBeGreaterThanOrEqual(0.98);
    expect(report.overall.recall).toBeGreaterThanOrEqual(0.95);
    for (const type of PII_ENTITY_TYPES) expect(report.byType[type].recall, type).toBeGreaterThanOrEqual(0.9);
  });
});

describe('evaluateCorpus', () => {
  it('counts a missed label, an extra detection and a match by normalized value', () => {
    const result = evaluateCorpus([
      // found as written differently: (212) 555-0142 = +1 212 555 0142
      { id: 'a', text: 'Call (212) 555-0142.', entities: [{ type: 'phone', value: '+1 212 555 0142' }] },
      // missed: no detector reads an email spelled out
      {
        id: 'b',
        text: 'jo at example dot com',
        entities: [{ type: 'email', value: 'jo at example dot com' }],
      },
      // extra: a valid address labelled as nothing
      { id: 'c', text: 'From 192.0.2.1', entities: [] },
    ]);
    expect(result.byType.phone).toMatchObject({ truePositives: 1, falsePositives: 0, falseNegatives: 0 });
    expect(result.byType.email).toMatchObject({ truePositives: 0, falseNegatives: 1, recall: 0 });
    expect(result.byType.ip_address).toMatchObject({ falsePositives: 1, precision: 0 });
    expect(result.overall).toMatchObject({ truePositives: 1, falsePositives: 1, falseNegatives: 1 });
    expect(result.errors).toEqual([
      'b: missed email "jo at example dot com"',
      'c: extra ip_address "192.0.2.1"',
    ]);
  });
});
