import { createReadStream, existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { JudgeflowError } from '../../core/errors.js';
import type { RowResult } from '../../core/result.js';

/**
 * The on-disk queue of MLflow writes that could not be delivered: `<outDir>/mlflow-spool/`.
 *
 * - `state.json` — the run being written: tracking URI, experiment and run (once known), everything
 *   needed to create the run (when the server was down from the start) and to finish it. Written
 *   atomically (temp file + rename).
 * - `rows.jsonl` — one complete row write job per line (`{kind: "row", result}`: the row result is
 *   enough to rebuild every write), and `{kind: "link", trace_ids}` for links still owed.
 *
 * Lines are only appended while a run is going; entries delivered later are remembered by line number
 * and removed by `compact()`. A crash leaves delivered lines in place: replaying them is harmless,
 * because the writer checks what MLflow already holds before writing (check-then-write).
 */

export const spoolStateSchema = z.object({
  version: z.literal(1),
  tracking_uri: z.string(),
  /** Random id tagged on the run (`judgeflow.runKey`): finds the run again if its create answer was lost. */
  run_key: z.string(),
  experiment_name: z.string(),
  experiment_id: z.string().optional(),
  run_id: z.string().optional(),
  artifact_uri: z.string().optional(),
  /** The LoggedModel of the model under test, once found or created (`start.logged_model`). */
  model_id: z.string().optional(),
  /** The run to create (when `run_id` is absent). */
  start: z.object({
    run_name: z.string().optional(),
    start_time: z.number(),
    tags: z.array(z.object({ key: z.string(), value: z.string() })),
    params: z.array(z.object({ key: z.string(), value: z.string() })),
    /** Whether judgeflow created the experiment (then it is tagged as a GenAI experiment). */
    experiment_tags: z.array(z.object({ key: z.string(), value: z.string() })),
    /**
     * The model under test, made (or found) as a LoggedModel in the experiment before the run; its id
     * goes on the dataset input, the traces and the metrics, as `mlflow.genai.evaluate(model_id=)` does.
     */
    logged_model: z.object({ name: z.string(), config: z.record(z.string(), z.unknown()) }).optional(),
    /** The dataset run input (without the schema, which is built from the rows): for a run that dies. */
    dataset: z
      .object({
        name: z.string(),
        digest: z.string(),
        source_type: z.string(),
        source: z.string(),
        columns: z.array(z.string()),
      })
      .optional(),
  }),
  context: z.object({ user: z.string(), source_name: z.string(), source_type: z.string() }),
  /**
   * The process writing the run, while it runs: a spool whose writer is gone and that has no
   * `finish` is a run that died (SIGKILL, a crash); `judgeflow mlflow sync` then completes it from
   * results.jsonl and marks it KILLED.
   */
  writer: z.object({ pid: z.number(), host: z.string() }).optional(),
  /** Which rows have traces (`mlflow.traces`); default all. */
  traces: z.string().optional(),
  /** The run's end, once known and not yet delivered. */
  finish: z
    .object({
      status: z.enum(['FINISHED', 'FAILED', 'KILLED']),
      end_time: z.number(),
      metrics: z.array(
        z.object({ key: z.string(), value: z.number(), timestamp: z.number(), step: z.number() }),
      ),
      dataset: z
        .object({
          name: z.string(),
          digest: z.string(),
          source_type: z.string(),
          source: z.string(),
          schema: z.string().optional(),
          profile: z.string().optional(),
        })
        .optional(),
      /**
       * Artifacts: `{path, file}` uploads a file of the output folder (`table`: it is the results
       * table, which the run's `mlflow.loggedArtifacts` tag names), `{path, text}` inline text.
       */
      artifacts: z.array(
        z.union([
          z.object({ path: z.string(), file: z.string(), table: z.boolean().optional() }),
          z.object({ path: z.string(), text: z.string() }),
        ]),
      ),
    })
    .optional(),
});
export type SpoolState = z.infer<typeof spoolStateSchema>;

export type SpoolEntry = { kind: 'row'; result: RowResult } | { kind: 'link'; trace_ids: string[] };

const entrySchema = z.union([
  z.object({ kind: z.literal('row'), result: z.looseObject({ id: z.string() }) }),
  z.object({ kind: z.literal('link'), trace_ids: z.array(z.string()) }),
]);

export class Spool {
  readonly dir: string;
  readonly #rowsFile: string;
  readonly #stateFile: string;
  /** Serializes appends (and compaction) so lines never interleave. */
  #chain: Promise<void> = Promise.resolve();
  #appended = 0;
  #lines = 0;
  readonly #done = new Set<number>();
  #cursor = { line: 0, byte: 0 };
  /** Entry lines appended but not yet handed to the disk, and the write that will take them. */
  #unwritten: string[] = [];
  #nextWrite: Promise<void> | undefined;
  #dirMade = false;

  constructor(outDir: string) {
    this.dir = path.join(outDir, 'mlflow-spool');
    this.#rowsFile = path.join(this.dir, 'rows.jsonl');
    this.#stateFile = path.join(this.dir, 'state.json');
  }

  static existsIn(outDir: string): boolean {
    return existsSync(path.join(outDir, 'mlflow-spool', 'state.json'));
  }

  /** Counts the lines already on disk (an earlier run's spool being synced). */
  async open(): Promise<void> {
    this.#lines = 0;
    if (!existsSync(this.#rowsFile)) return;
    for await (const _ of this.#readLines(0)) this.#lines++;
  }

  async readState(): Promise<SpoolState | undefined> {
    if (!existsSync(this.#stateFile)) return undefined;
    const text = await readFile(this.#stateFile, 'utf8');
    const parsed = spoolStateSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      throw new JudgeflowError(
        `${this.#stateFile} is not a judgeflow MLflow spool state: ${parsed.error.message}`,
      );
    }
    return parsed.data;
  }

  writeState(state: SpoolState): Promise<void> {
    return this.#enqueue(async () => {
      await mkdir(this.dir, { recursive: true });
      const temporary = `${this.#stateFile}.${process.pid}.tmp`;
      await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`);
      await rename(temporary, this.#stateFile);
    });
  }

  /**
   * Appends entries; resolves when they are on disk. Returns their line numbers.
   *
   * Appends made while a write is in progress are coalesced into the next single write: a run that
   * scores thousands of rows a second while MLflow lags sends one `appendFile` per burst, not one per
   * row, so the texts waiting for the disk stay a few batches deep instead of piling up in memory.
   */
  append(entries: readonly SpoolEntry[]): Promise<number[]> {
    const lines = entries.map(() => this.#lines++);
    this.#appended += entries.length;
    for (const entry of entries) this.#unwritten.push(`${JSON.stringify(entry)}\n`);
    this.#nextWrite ??= this.#enqueue(async () => {
      this.#nextWrite = undefined;
      const text = this.#unwritten.join('');
      this.#unwritten = [];
      if (!this.#dirMade) {
        await mkdir(this.dir, { recursive: true });
        this.#dirMade = true;
      }
      await appendFile(this.#rowsFile, text);
    });
    return this.#nextWrite.then(() => lines);
  }

  /** Marks lines as delivered (they are dropped by `compact`). */
  markDone(lines: Iterable<number>): void {
    for (const line of lines) this.#done.add(line);
  }

  /** Lines appended by this process so far. */
  get appendedCount(): number {
    return this.#appended;
  }

  /** Lines not yet delivered. */
  get pendingLines(): number {
    return this.#lines - this.#done.size;
  }

  /**
   * Reads undelivered entries from line `fromLine` on, at most `limit`, with their line numbers.
   * Only complete lines are returned (an append in progress is left for the next read).
   */
  async read(fromLine: number, limit: number): Promise<Array<{ line: number; entry: SpoolEntry }>> {
    await this.#chain;
    const out: Array<{ line: number; entry: SpoolEntry }> = [];
    if (!existsSync(this.#rowsFile)) return out;
    // Lines never change once written, so a read can resume where the previous one stopped.
    const start = fromLine >= this.#cursor.line ? this.#cursor : { line: 0, byte: 0 };
    let line = start.line;
    let byte = start.byte;
    for await (const text of this.#readLines(byte)) {
      const current = line++;
      byte += Buffer.byteLength(text) + 1;
      if (current < fromLine || this.#done.has(current)) continue;
      out.push({ line: current, entry: parseEntry(text, this.#rowsFile, current) });
      if (out.length >= limit) break;
    }
    this.#cursor = { line, byte };
    return out;
  }

  /**
   * Rewrites `rows.jsonl` without delivered lines; removes the whole spool when nothing is left and
   * `keepState` is false. Returns the number of lines kept.
   */
  compact(options: { keepState: boolean }): Promise<number> {
    return this.#enqueue(async () => {
      let kept = 0;
      if (existsSync(this.#rowsFile)) {
        const temporary = `${this.#rowsFile}.${process.pid}.tmp`;
        const parts: string[] = [];
        let line = 0;
        for await (const text of this.#readLines(0)) {
          const current = line++;
          if (this.#done.has(current)) continue;
          parts.push(`${text}\n`);
          kept++;
          if (parts.length >= 1000) {
            await appendFile(temporary, parts.join(''));
            parts.length = 0;
          }
        }
        await appendFile(temporary, parts.join(''));
        if (kept > 0) await rename(temporary, this.#rowsFile);
        else {
          await rm(temporary, { force: true });
          await rm(this.#rowsFile, { force: true });
        }
      }
      this.#done.clear();
      this.#lines = kept;
      this.#cursor = { line: 0, byte: 0 };
      if (kept === 0 && !options.keepState) {
        await rm(this.dir, { recursive: true, force: true });
        this.#dirMade = false;
      }
      return kept;
    });
  }

  async *#readLines(fromByte: number): AsyncGenerator<string> {
    const stream = createReadStream(this.#rowsFile, { encoding: 'utf8', start: fromByte });
    const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
    try {
      for await (const text of lines) {
        yield text;
      }
    } finally {
      lines.close();
      stream.destroy();
    }
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(task);
    this.#chain = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }
}

function parseEntry(text: string, file: string, line: number): SpoolEntry {
  try {
    const parsed = entrySchema.parse(JSON.parse(text));
    return parsed as SpoolEntry;
  } catch (cause) {
    throw new JudgeflowError(`${file}:${line + 1}: not a judgeflow spool entry`, { cause });
  }
}
