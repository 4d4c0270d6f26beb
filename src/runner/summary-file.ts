import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunSummary } from '../core/result.js';

/**
 * summary.json is the runner's own record of the run, not a sink: it is written before the sinks
 * drain (so a run killed while MLflow catches up still has it) and again after, with every sink's
 * section and the drain time, which no single sink can know.
 */

/** Writes `<outDir>/summary.json` atomically (temp file + rename): readers never see half a file. */
export async function writeSummaryJson(outDir: string, summary: RunSummary): Promise<string> {
  const target = path.join(outDir, 'summary.json');
  const temporary = path.join(outDir, `.summary.json.${process.pid}.tmp`);
  await writeFile(temporary, `${JSON.stringify(summary, null, 2)}\n`);
  await rename(temporary, target);
  return target;
}
