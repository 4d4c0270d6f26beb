import { evaluateCorpus, readCorpus, reportTable } from './pii/evaluate-corpus.js';

// `npm run pii:report`: precision and recall of pii_leakage's detectors on data/pii/corpus.jsonl, per
// entity type, as the Markdown table docs/metrics.md quotes; then every mismatch.

const report = evaluateCorpus(readCorpus());
console.log(`${report.strings} strings in data/pii/corpus.jsonl\n`);
console.log(reportTable(report));
if (report.errors.length > 0)
  console.log(`\nMismatches:\n${report.errors.map((line) => `- ${line}`).join('\n')}`);
