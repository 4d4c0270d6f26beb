import { z } from 'zod';
import { DatasetError } from '../../core/errors.js';
import type { Feedback } from '../../core/feedback.js';
import type { RecordInput } from '../../core/record.js';
import { benchMetricName } from './metric-names.js';

/** The assessment source of every per-sample value: lm-eval's own metric code. */
export const LM_EVAL_SOURCE = { type: 'CODE', id: 'lm_eval' } as const;

/**
 * One line of `samples_<task>.jsonl` in lm-eval 0.4's layout: one line per (document, filter).
 * `arguments` is a list of request argument lists in memory and `{gen_args_i: {arg_j}}` once
 * lm-eval's tracker wrote it; `resps`/`filtered_resps` hold strings after its `sanitize_list`.
 */
export const lmEvalSampleSchema = z.looseObject({
  doc_id: z.number().int().nonnegative(),
  doc: z.unknown().optional(),
  target: z.unknown().optional(),
  arguments: z.union([
    z.array(z.array(z.unknown())),
    z.record(z.string(), z.record(z.string(), z.unknown())),
  ]),
  resps: z.unknown().optional(),
  filtered_resps: z.array(z.unknown()),
  filter: z.string(),
  metrics: z.array(z.string()),
});
export type LmEvalSample = z.infer<typeof lmEvalSampleSchema>;

/** Python's json writes NaN and Infinity bare; JSON has no such values — they become null. */
const BARE_NON_FINITE = /([:[,]\s*)(NaN|-?Infinity)(?=\s*[,\]}])/g;

/** Parses a samples file (JSON lines); a line that is not a sample is a DatasetError naming file and line. */
export function parseSamplesJsonl(text: string, file: string): LmEvalSample[] {
  const out: LmEvalSample[] = [];
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      try {
        json = JSON.parse(line.replace(BARE_NON_FINITE, '$1null'));
      } catch (cause) {
        throw new DatasetError({ file, line: index + 1, message: 'not valid JSON', cause });
      }
    }
    const parsed = lmEvalSampleSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new DatasetError({
        file,
        line: index + 1,
        ...(issue !== undefined ? { field: issue.path.join('.') } : {}),
        message: `not an lm-eval sample: ${issue?.message ?? 'invalid'}`,
      });
    }
    out.push(parsed.data);
  }
  return out;
}

/** The request arguments as lists, whichever of lm-eval's two layouts the sample has. */
export function requestArguments(sample: LmEvalSample): unknown[][] {
  if (Array.isArray(sample.arguments)) return sample.arguments;
  const byIndex = (key: string) => Number(key.replace(/^\D+/, ''));
  return Object.keys(sample.arguments)
    .sort((a, b) => byIndex(a) - byIndex(b))
    .map((key) => {
      const args = (sample.arguments as Record<string, Record<string, unknown>>)[key] ?? {};
      return Object.keys(args)
        .sort((a, b) => byIndex(a) - byIndex(b))
        .map((arg) => args[arg]);
    });
}

export interface TaskRecordsOptions {
  task: string;
  /** The task config's `output_type`: multiple_choice, loglikelihood, loglikelihood_rolling, generate_until. */
  outputType: string;
  /** The config's `target_delimiter` (default `" "`), stripped from choice texts. */
  targetDelimiter?: string;
  samples: readonly LmEvalSample[];
}

export interface TaskRecords {
  /** One record per document, in document order; id `<task>/<doc_id>`. */
  records: RecordInput[];
  /** The precomputed feedbacks per record id. */
  feedbacks: Map<string, Feedback[]>;
  /** The assessment names of the task, first-seen order. */
  feedbackNames: string[];
  /** Per-sample values that are not numbers (a corpus metric's inputs, such as bleu's pairs): skipped. */
  notes: string[];
}

/**
 * Turns a task's logged samples into judgeflow records with recorded outputs (no model call) and
 * the per-sample lm-eval metric values as feedbacks, one per (metric, filter).
 */
export function buildTaskRecords(options: TaskRecordsOptions): TaskRecords {
  const byDoc = new Map<number, LmEvalSample[]>();
  for (const sample of options.samples) {
    const list = byDoc.get(sample.doc_id);
    if (list === undefined) byDoc.set(sample.doc_id, [sample]);
    else list.push(sample);
  }
  const records: RecordInput[] = [];
  const feedbacks = new Map<string, Feedback[]>();
  const names: string[] = [];
  const notes = new Set<string>();
  for (const docId of [...byDoc.keys()].sort((a, b) => a - b)) {
    const entries = byDoc.get(docId) as LmEvalSample[];
    const first = entries[0] as LmEvalSample;
    const id = `${options.task}/${docId}`;
    const args = requestArguments(first);
    const prompt = promptText(args[0]?.[0]);
    const delimiter = options.targetDelimiter ?? ' ';
    const choices =
      options.outputType === 'multiple_choice'
        ? args.map((arg) => stripPrefix(String(arg[1] ?? ''), delimiter))
        : undefined;
    const inputs: Record<string, unknown> = {
      task: options.task,
      doc_id: docId,
      prompt,
      ...(choices !== undefined ? { choices } : {}),
    };
    records.push({
      id,
      inputs,
      outputs: recordOutputs(options.outputType, entries, args, choices, delimiter),
      expectations: { expected_response: expectedResponse(first.target, choices) },
      tags: { task: options.task },
    });
    const rowFeedbacks: Feedback[] = [];
    for (const entry of entries) {
      for (const metric of entry.metrics) {
        const name = benchMetricName(options.task, metric, entry.filter);
        const value = (entry as Record<string, unknown>)[metric];
        if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) {
          rowFeedbacks.push({ name, value, source: { ...LM_EVAL_SOURCE } });
          if (!names.includes(name)) names.push(name);
        } else if (value !== undefined && value !== null) {
          notes.add(
            `${name}: per-sample values are ${Array.isArray(value) ? 'lists' : typeof value} (lm-eval aggregates them over the whole task), so only the task metric is logged`,
          );
        }
      }
    }
    feedbacks.set(id, rowFeedbacks);
  }
  return { records, feedbacks, feedbackNames: names, notes: [...notes] };
}

/**
 * The prompt as text: a string, or the one string lm-eval's chat prompts wrap in a tuple (`JsonChatStr`,
 * the messages as JSON); anything else as JSON.
 */
function promptText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0];
  return JSON.stringify(value ?? null);
}

function stripPrefix(text: string, prefix: string): string {
  return prefix !== '' && text.startsWith(prefix) ? text.slice(prefix.length) : text;
}

/** `"-9.26"` or -9.26 → -9.26 (lm-eval's tracker writes responses as strings). */
function number(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? n : null;
}

function boolean(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (value === 'True' || value === 'true') return true;
  if (value === 'False' || value === 'false') return false;
  return null;
}

/** A (loglikelihood, is_greedy) pair as lm-eval keeps it (a list after JSON). */
function pair(value: unknown): { loglikelihood: number | null; isGreedy: boolean | null } {
  if (Array.isArray(value)) return { loglikelihood: number(value[0]), isGreedy: boolean(value[1]) };
  return { loglikelihood: number(value), isGreedy: null };
}

function recordOutputs(
  outputType: string,
  entries: readonly LmEvalSample[],
  args: unknown[][],
  choices: string[] | undefined,
  delimiter: string,
): Record<string, unknown> {
  const first = entries[0] as LmEvalSample;
  switch (outputType) {
    case 'multiple_choice': {
      const loglikelihoods = first.filtered_resps.map((resp) => pair(resp).loglikelihood);
      // the first choice with the highest log-likelihood (lm-eval's argmax)
      let best = -1;
      for (const [index, ll] of loglikelihoods.entries())
        if (ll !== null && (best < 0 || ll > (loglikelihoods[best] as number))) best = index;
      return { response: best >= 0 ? (choices?.[best] ?? null) : null, loglikelihoods };
    }
    case 'loglikelihood': {
      const { loglikelihood, isGreedy } = pair(first.filtered_resps[0]);
      return {
        response: stripPrefix(String(args[0]?.[1] ?? ''), delimiter),
        loglikelihood,
        is_greedy: isGreedy,
      };
    }
    case 'loglikelihood_rolling':
      return { loglikelihood: number(first.filtered_resps[0]) };
    default: {
      const filtered = Object.fromEntries(
        entries.map((entry) => [entry.filter, text(entry.filtered_resps[0])]),
      );
      const raw = Array.isArray(first.resps) && Array.isArray(first.resps[0]) ? first.resps[0][0] : undefined;
      return {
        response: text(first.filtered_resps[0]),
        ...(entries.length > 1 ? { filtered_responses: filtered } : {}),
        ...(raw !== undefined ? { raw_response: text(raw) } : {}),
      };
    }
  }
}

function text(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The target as text: a choice index becomes the choice. */
function expectedResponse(target: unknown, choices: string[] | undefined): unknown {
  if (choices !== undefined) {
    const index =
      typeof target === 'number'
        ? target
        : typeof target === 'string' && /^\d+$/.test(target)
          ? Number(target)
          : undefined;
    if (index !== undefined && index < choices.length) return choices[index];
  }
  if (target === undefined) return null;
  return target;
}
