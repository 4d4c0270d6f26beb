import { createReadStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { ConfigError, DatasetError } from '../../core/errors.js';
import type { LoadedSide, SideFeedback, SideRow } from './side-rows.js';

/** The parts of summary.json a comparison reads. */
const summarySchema = z.looseObject({
  dataset: z
    .looseObject({ name: z.string().optional(), digest: z.string().optional(), rows: z.number().optional() })
    .optional(),
  counts: z.record(z.string(), z.unknown()).optional(),
  mlflow: z
    .looseObject({
      tracking_uri: z.string().optional(),
      run_id: z.string().optional(),
      experiment_id: z.string().optional(),
    })
    .optional(),
});

const feedbackSchema = z.looseObject({
  name: z.string(),
  value: z.unknown().optional(),
  rationale: z.string().optional(),
  error: z.looseObject({ code: z.string().optional(), message: z.string().optional() }).optional(),
});

/** One line of results.jsonl, as far as a comparison needs it. */
const resultLineSchema = z.looseObject({
  id: z.string(),
  inputs: z.unknown().optional(),
  outputs: z.unknown().optional(),
  expectations: z.unknown().optional(),
  feedbacks: z.array(feedbackSchema).optional(),
});

/**
 * A results folder as `judgeflow run --out DIR` leaves it: rows from results.jsonl, the dataset's
 * name and digest (and the MLflow run it was logged to, if any) from summary.json.
 */
export async function loadFolderSide(folder: string): Promise<LoadedSide> {
  const results = path.join(folder, 'results.jsonl');
  const summaryFile = path.join(folder, 'summary.json');
  for (const file of [results, summaryFile]) {
    if (!existsSync(file))
      throw new ConfigError(
        `${folder} is not a results folder: ${path.basename(file)} is missing (judgeflow run --out DIR writes results.jsonl and summary.json)`,
      );
  }
  let summaryJson: unknown;
  try {
    summaryJson = JSON.parse(await readFile(summaryFile, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${summaryFile} is not valid JSON`, { file: summaryFile, cause: error });
  }
  const parsedSummary = summarySchema.safeParse(summaryJson);
  if (!parsedSummary.success)
    throw new ConfigError(`${summaryFile} is not a judgeflow run summary: ${parsedSummary.error.message}`, {
      file: summaryFile,
    });
  const summary = parsedSummary.data;

  const rows = new Map<string, SideRow>();
  const names = new Set<string>(Object.keys(summary.counts ?? {}));
  const lines = createInterface({
    input: createReadStream(results, { encoding: 'utf8' }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let lineNumber = 0;
  for await (const text of lines) {
    lineNumber += 1;
    if (text.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new DatasetError({ file: results, line: lineNumber, message: 'not valid JSON', cause: error });
    }
    const parsed = resultLineSchema.safeParse(json);
    if (!parsed.success)
      throw new DatasetError({
        file: results,
        line: lineNumber,
        message: `not a judgeflow result row: ${parsed.error.issues[0]?.message ?? parsed.error.message}`,
      });
    const line = parsed.data;
    const feedbacks = new Map<string, SideFeedback>();
    for (const feedback of line.feedbacks ?? []) {
      names.add(feedback.name);
      const seen = feedbacks.get(feedback.name);
      if (seen !== undefined) {
        seen.several = true;
        continue;
      }
      feedbacks.set(feedback.name, {
        value: feedback.error !== undefined ? undefined : feedback.value,
        ...(feedback.rationale !== undefined ? { rationale: feedback.rationale } : {}),
        ...(feedback.error !== undefined
          ? { error: `${feedback.error.code ?? 'ERROR'}: ${feedback.error.message ?? ''}` }
          : {}),
      });
    }
    rows.set(line.id, {
      id: line.id,
      inputs: line.inputs ?? null,
      outputs: line.outputs ?? null,
      ...(line.expectations !== undefined ? { expectations: line.expectations } : {}),
      feedbacks,
    });
  }

  const absolute = path.resolve(folder);
  const dataset = summary.dataset;
  return {
    side: {
      label: path.basename(absolute),
      source: 'folder',
      path: absolute,
      ...(summary.mlflow?.run_id !== undefined ? { run_id: summary.mlflow.run_id } : {}),
      ...(summary.mlflow?.experiment_id !== undefined ? { experiment_id: summary.mlflow.experiment_id } : {}),
      dataset: {
        ...(dataset?.name !== undefined ? { name: dataset.name } : {}),
        ...(dataset?.digest !== undefined ? { digest: dataset.digest } : {}),
        rows: rows.size,
      },
    },
    rows,
    feedbackNames: [...names],
    ...(summary.mlflow?.tracking_uri !== undefined ? { trackingUri: summary.mlflow.tracking_uri } : {}),
  };
}
