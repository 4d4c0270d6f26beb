import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Document, isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import type { ScorerEntry } from '../../config/schema.js';
import { ConfigError } from '../../core/errors.js';
import type { ScorerRegistry } from '../../scorers/registry.js';
import { type LabelSource, type NormalLabel, normalizeLabel, parseLabelSource } from './labels.js';

/** The expectation a case's human label is recorded as (never shown to the scorer). */
export const HUMAN_LABEL_KEY = 'human_label';

/** One labelled case of an agreement set. */
export interface AgreementCase {
  id: string;
  /** 0-based position in the file's `cases`. */
  index: number;
  inputs: Record<string, unknown>;
  outputs: unknown;
  expectations: Record<string, unknown>;
  /** The label as written. */
  label: unknown;
  /** The label as compared (see `normalizeLabel`). */
  normalLabel: NormalLabel;
  borderline: boolean;
  note?: string;
}

/** A labelled agreement set file (`data/agreement/<type>.yaml`), checked. */
export interface AgreementSet {
  /** Absolute path. */
  file: string;
  /** sha256 of the file's bytes. */
  digest: string;
  metric: string;
  description?: string;
  scorer: ScorerEntry;
  labelOf: LabelSource;
  /** The label_of text as written (`value`, `metadata.category`). */
  labelOfText: string;
  cases: AgreementCase[];
  /** Every label is an integer: ordinal (weighted kappa). */
  ordinal: boolean;
  /** The 1-based line of a path in the file (`['scorer', 'type']`), or of its nearest enclosing node. */
  lineOf: (where: ReadonlyArray<string | number>) => number | undefined;
}

const SET_KEYS = ['metric', 'description', 'scorer', 'label_of', 'cases'];
const CASE_KEYS = ['id', 'inputs', 'outputs', 'expectations', 'label', 'borderline', 'note'];

/** Reads and checks one set file; errors name the file, line, case (index and id) and field. */
export async function readAgreementSet(file: string): Promise<AgreementSet> {
  const absolute = path.resolve(file);
  let bytes: Buffer;
  try {
    bytes = await readFile(absolute);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `cannot read agreement set ${absolute}: ${code === 'ENOENT' ? 'no such file' : code}`,
      {
        file: absolute,
        cause,
      },
    );
  }
  return parseAgreementSet(
    bytes.toString('utf8'),
    absolute,
    createHash('sha256').update(bytes).digest('hex'),
  );
}

/** Parses and checks a set file's text (see `readAgreementSet`). */
export function parseAgreementSet(text: string, file: string, digest?: string): AgreementSet {
  const lineCounter = new LineCounter();
  const document = parseDocument(text.replace(/^\uFEFF/, ''), { lineCounter, prettyErrors: false });
  const fail = (where: ReadonlyArray<string | number>, message: string, field?: string): never => {
    const line = lineOf(document, lineCounter, where);
    throw new ConfigError(`${file}${line !== undefined ? `:${line}` : ''}: ${message}`, {
      file,
      ...(field !== undefined ? { field } : {}),
    });
  };
  if (document.errors.length > 0) {
    const first = document.errors[0] as { message: string; pos: [number, number] };
    const line = lineCounter.linePos(first.pos[0]).line;
    throw new ConfigError(`${file}:${line}: invalid YAML: ${first.message.split('\n')[0]}`, { file });
  }
  const data: unknown = document.toJS();
  if (!isRecord(data)) return fail([], 'an agreement set is a mapping with metric, scorer and cases');
  for (const key of Object.keys(data)) {
    if (!SET_KEYS.includes(key)) fail([key], `unknown key "${key}" (expected ${SET_KEYS.join(', ')})`, key);
  }
  const metric = data.metric;
  if (typeof metric !== 'string' || metric.trim() === '')
    fail(['metric'], 'metric: a non-empty name is required', 'metric');
  if (data.description !== undefined && typeof data.description !== 'string')
    fail(['description'], 'description: expected text', 'description');
  const scorer = data.scorer;
  if (
    !(typeof scorer === 'string' && scorer !== '') &&
    !(isRecord(scorer) && typeof scorer.type === 'string' && scorer.type !== '')
  ) {
    fail(
      ['scorer'],
      'scorer: an eval-file scorer entry is required, e.g. {type: relevance_to_query}',
      'scorer',
    );
  }
  const labelOfText = data.label_of === undefined ? 'value' : data.label_of;
  const labelOf = typeof labelOfText === 'string' ? parseLabelSource(labelOfText) : undefined;
  if (labelOf === undefined) {
    fail(
      ['label_of'],
      `label_of: expected "value" or "metadata.<key>", got ${JSON.stringify(labelOfText)}`,
      'label_of',
    );
  }
  if (!Array.isArray(data.cases) || data.cases.length === 0) {
    fail(['cases'], 'cases: at least one labelled case is required', 'cases');
  }

  const cases: AgreementCase[] = [];
  const seen = new Map<string, number>();
  for (const [index, raw] of (data.cases as unknown[]).entries()) {
    const at = (key?: string): Array<string | number> =>
      key === undefined ? ['cases', index] : ['cases', index, key];
    const id = isRecord(raw) && typeof raw.id === 'string' && raw.id.trim() !== '' ? raw.id : undefined;
    const name = `cases[${index}]${id !== undefined ? ` (id ${id})` : ''}`;
    const bad = (key: string | undefined, message: string): never =>
      fail(
        at(key),
        `${name}${key !== undefined ? `.${key}` : ''}: ${message}`,
        `cases[${index}]${key !== undefined ? `.${key}` : ''}`,
      );
    if (!isRecord(raw)) return bad(undefined, 'a case is a mapping with id, inputs, outputs and label');
    for (const key of Object.keys(raw)) {
      if (!CASE_KEYS.includes(key)) bad(key, `unknown key (expected ${CASE_KEYS.join(', ')})`);
    }
    if (id === undefined) return bad('id', 'a non-empty text id is required');
    const first = seen.get(id);
    if (first !== undefined) return bad('id', `duplicate id: cases[${first}] has it too`);
    seen.set(id, index);
    if (!isRecord(raw.inputs) || Object.keys(raw.inputs).length === 0)
      return bad('inputs', 'a non-empty mapping is required (e.g. {question: ...})');
    if (raw.outputs === undefined || raw.outputs === null)
      return bad('outputs', 'the response to judge is required');
    if (raw.expectations !== undefined && !isRecord(raw.expectations))
      return bad('expectations', 'expected a mapping');
    const expectations = (raw.expectations ?? {}) as Record<string, unknown>;
    if (Object.hasOwn(expectations, HUMAN_LABEL_KEY))
      return bad('expectations', `"${HUMAN_LABEL_KEY}" is reserved: the harness records the label there`);
    if (!Object.hasOwn(raw, 'label') || raw.label === null)
      return bad('label', 'the human label is required');
    const normalLabel = normalizeLabel(raw.label);
    if (normalLabel === undefined)
      return bad(
        'label',
        `expected true/false, "yes"/"no", a category or a number, got ${JSON.stringify(raw.label)}`,
      );
    if (raw.borderline !== undefined && typeof raw.borderline !== 'boolean')
      return bad('borderline', 'expected true or false');
    if (raw.note !== undefined && typeof raw.note !== 'string') return bad('note', 'expected text');
    cases.push({
      id,
      index,
      inputs: raw.inputs,
      outputs: raw.outputs,
      expectations,
      label: raw.label,
      normalLabel,
      borderline: raw.borderline === true,
      ...(typeof raw.note === 'string' ? { note: raw.note } : {}),
    });
  }

  const numeric = cases.filter((c) => typeof c.normalLabel === 'number');
  if (numeric.length > 0 && numeric.length < cases.length) {
    const odd = cases.find(
      (c) => typeof c.normalLabel !== typeof (cases[0] as AgreementCase).normalLabel,
    ) as AgreementCase;
    fail(
      ['cases', odd.index, 'label'],
      `cases[${odd.index}] (id ${odd.id}).label: labels mix numbers and categories (cases[0] has ${JSON.stringify((cases[0] as AgreementCase).label)}, this one ${JSON.stringify(odd.label)})`,
      `cases[${odd.index}].label`,
    );
  }
  return {
    file,
    digest: digest ?? createHash('sha256').update(text).digest('hex'),
    metric: (metric as string).trim(),
    ...(typeof data.description === 'string' ? { description: data.description } : {}),
    scorer: scorer as ScorerEntry,
    labelOf: labelOf as LabelSource,
    labelOfText: labelOfText as string,
    cases,
    ordinal: numeric.length === cases.length && numeric.every((c) => Number.isInteger(c.normalLabel)),
    lineOf: (where) => lineOf(document, lineCounter, where),
  };
}

/**
 * Checks the set's scorer entry against the scorer registry (type and options), before any judge call;
 * returns the feedback name the harness compares (the entry's `name`, else its type).
 */
export function checkSetScorer(set: AgreementSet, registry: ScorerRegistry): string {
  const { definition, common } = registry.parse(set.scorer, {
    file: set.file,
    field: 'scorer',
    lineOf: (where) => set.lineOf(typeof set.scorer === 'string' ? ['scorer'] : ['scorer', ...where]),
  });
  return common.name ?? definition.type;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The 1-based line of a path in the document, or of its nearest enclosing node. */
function lineOf(
  document: Document,
  counter: LineCounter,
  where: ReadonlyArray<string | number>,
): number | undefined {
  for (let at = [...where]; ; at = at.slice(0, -1)) {
    const node = at.length === 0 ? document.contents : document.getIn(at, true);
    if (node !== null && typeof node === 'object' && (isMap(node) || isSeq(node) || 'range' in node)) {
      const range = (node as { range?: [number, number, number] }).range;
      if (range !== undefined) return counter.linePos(range[0]).line;
    }
    if (at.length === 0) return undefined;
  }
}
