import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { evalFileJsonSchema } from '../../src/app/json-schema.js';
import { repoRoot } from '../helpers/cli.js';

describe('the eval file JSON Schema (for editors)', () => {
  const schema = evalFileJsonSchema();

  it('is committed up to date (regenerate with `judgeflow schema --out schema/eval.schema.json`)', () => {
    const committed = JSON.parse(readFileSync(path.join(repoRoot, 'schema/eval.schema.json'), 'utf8'));
    expect(committed).toEqual(schema);
  });

  it('accepts the examples and rejects typos and bad scorer options', () => {
    const ajv = new Ajv2020.default({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(schema);
    for (const example of ['examples/basic/eval.yaml', 'examples/judge/eval.yaml']) {
      const doc = parse(readFileSync(path.join(repoRoot, example), 'utf8'));
      expect(validate(doc), `${example}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    expect(validate({ dataset: { path: 'a.jsonl' }, scorers: ['exact_match'], concurency: 3 })).toBe(false);
    expect(validate({ dataset: { path: 'a.jsonl' }, scorers: [{ type: 'length', unit: 'lines' }] })).toBe(
      false,
    );
    expect(validate({ dataset: { path: 'a.jsonl' }, scorers: ['no_such_scorer'] })).toBe(false);
    expect(
      validate({ dataset: { path: 'a.jsonl' }, scorers: [{ type: 'length', unit: 'words', max: 3 }] }),
    ).toBe(true);
  });
});
