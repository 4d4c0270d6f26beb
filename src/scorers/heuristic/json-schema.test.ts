import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import type { Scorer } from '../../core/scorer.js';
import { emptyUsage } from '../../core/usage.js';
import { normalizeScore } from '../../runner/normalize.js';
import { jsonSchema, jsonSchemaDefinition, jsonSchemaOptionsSchema } from './json-schema.js';

async function score(scorer: Scorer, outputs: unknown) {
  const raw = await scorer.score({
    inputs: {},
    outputs,
    expectations: {},
    trace: { spans: [] },
    signal: new AbortController().signal,
    usage: emptyUsage(),
  });
  return normalizeScore(scorer, raw);
}

const person = {
  type: 'object',
  required: ['name', 'age'],
  properties: { name: { type: 'string', minLength: 1 }, age: { type: 'integer', minimum: 0 } },
  additionalProperties: false,
};

const dir = mkdtempSync(path.join(tmpdir(), 'judgeflow-json-schema-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const context = { baseDir: dir, env: {} as never, judges: {} as never };

function buildError(build: () => unknown): ConfigError {
  try {
    build();
  } catch (caught) {
    if (caught instanceof ConfigError) return caught;
    throw caught;
  }
  throw new Error('expected a ConfigError');
}

describe('json_schema', () => {
  it('validates JSON strings and structured outputs against an inline schema', async () => {
    const scorer = jsonSchema({ schema: person });
    const [ok] = await score(scorer, '{"name": "Zoë", "age": 31}');
    expect(ok).toMatchObject({
      name: 'json_schema',
      value: true,
      source: { type: 'CODE', id: 'json_schema' },
    });
    expect((await score(scorer, { name: 'Ann', age: 3 }))[0]?.value).toBe(true);
  });

  it('lists the first errors (all errors collected) in the rationale', async () => {
    const scorer = jsonSchema({ schema: person });
    const [bad] = await score(scorer, { name: '', age: -1.5, extra: 1 });
    expect(bad?.value).toBe(false);
    expect(bad?.rationale).toContain('/name must NOT have fewer than 1 characters');
    expect(bad?.rationale).toContain('/age must be integer');
    expect(bad?.rationale).toContain('(+');
    expect(Number(bad?.metadata?.error_count)).toBeGreaterThanOrEqual(4);
    const [extra] = await score(scorer, { name: 'a', age: 1, nickname: 'x' });
    expect(extra?.rationale).toContain('must NOT have additional properties ("nickname")');
    const [missing] = await score(scorer, {});
    expect(missing?.rationale).toContain("must have required property 'name'");
  });

  it('is false (not an error) when the outputs are not JSON at all', async () => {
    const scorer = jsonSchema({ schema: person });
    const [feedback] = await score(scorer, 'name: Ann');
    expect(feedback).toMatchObject({ value: false });
    expect(feedback?.rationale).toMatch(/^not valid JSON/);
    expect((await score(scorer, ''))[0]?.value).toBe(false);
    expect((await score(scorer, null))[0]?.value).toBe(false);
  });

  it('reads schema_path relative to the base directory, once at build time', async () => {
    writeFileSync(path.join(dir, 'person.json'), JSON.stringify(person));
    writeFileSync(path.join(dir, 'list.yaml'), 'type: array\nitems: { type: number }\n');
    const fromJson = await jsonSchemaDefinition.create(
      jsonSchemaOptionsSchema.parse({ schema_path: 'person.json' }),
      {},
      context,
    );
    const fromYaml = jsonSchema({ schema_path: 'list.yaml' }, { baseDir: dir });
    rmSync(path.join(dir, 'person.json'));
    expect((await score(fromJson, { name: 'a', age: 1 }))[0]?.value).toBe(true);
    expect((await score(fromJson, { name: 'a' }))[0]?.value).toBe(false);
    expect((await score(fromYaml, '[1, 2.5]'))[0]?.value).toBe(true);
    expect((await score(fromYaml, '[1, "2"]'))[0]?.value).toBe(false);
  });

  it('picks the draft from $schema (2020-12 prefixItems)', async () => {
    const tuple = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'array',
      prefixItems: [{ type: 'string' }, { type: 'number' }],
      items: false,
    };
    const scorer = jsonSchema({ schema: tuple });
    expect((await score(scorer, ['a', 1]))[0]?.value).toBe(true);
    expect((await score(scorer, ['a', 1, 2]))[0]?.value).toBe(false);
    expect((await score(scorer, [1, 'a']))[0]?.value).toBe(false);
  });

  it('checks a field with output_key', async () => {
    const scorer = jsonSchema({ schema: person, output_key: 'data' });
    expect((await score(scorer, { data: '{"name":"a","age":2}' }))[0]?.value).toBe(true);
    expect((await score(scorer, { other: 1 }))[0]?.error?.code).toBe('MISSING_OUTPUT_KEY');
  });

  it('rejects a bad schema or schema file at build time, naming the field', () => {
    expect(buildError(() => jsonSchema({ schema: { type: 'nonsense' } })).field).toBe('schema');
    expect(buildError(() => jsonSchema({ schema_path: 'nope.json' }, { baseDir: dir })).field).toBe(
      'schema_path',
    );
    writeFileSync(path.join(dir, 'broken.json'), '{"type": ');
    expect(buildError(() => jsonSchema({ schema_path: 'broken.json' }, { baseDir: dir })).message).toContain(
      'not valid JSON/YAML',
    );
    writeFileSync(path.join(dir, 'array.json'), '[]');
    expect(buildError(() => jsonSchema({ schema_path: 'array.json' }, { baseDir: dir })).field).toBe(
      'schema_path',
    );
  });

  it('needs exactly one of schema and schema_path, and rejects unknown options', () => {
    expect(jsonSchemaOptionsSchema.safeParse({}).success).toBe(false);
    expect(jsonSchemaOptionsSchema.safeParse({ schema: person, schema_path: 'x.json' }).success).toBe(false);
    expect(jsonSchemaOptionsSchema.safeParse({ schema: 'string' }).success).toBe(false);
    expect(jsonSchemaOptionsSchema.safeParse({ schema: person, strict: true }).success).toBe(false);
    expect(jsonSchemaOptionsSchema.parse({ schema: person })).toEqual({ schema: person });
    expect(() => jsonSchema({})).toThrow(ConfigError);
  });
});
