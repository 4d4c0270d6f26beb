import { errorMessage } from '../../core/errors.js';
import type { RowResult } from '../../core/result.js';
import { isOutage } from './outage.js';
import type { RunWriter } from './run-writer.js';
import type { Spool } from './spool.js';

export interface RowDeliveryOptions {
  /** Row batches written at once. */
  concurrency: number;
  /** Rows per batch at most. */
  batchSize: number;
  /** How long a batch waits to fill before it goes out not full (while rows keep coming). */
  lingerMs: number;
  /** Rows held in memory before further rows go to the disk spool. */
  maxQueuedRows: number;
  /** While the server is unreachable: how often to try again. */
  retryIntervalMs: number;
  log: (message: string) => void;
  now: () => number;
}

interface QueueItem {
  result: RowResult;
  /** The row may be partly written already: check before writing. */
  verify: boolean;
  /** Its spool line, when it came from the spool. */
  line?: number;
}

/**
 * Gets a run's rows to MLflow without ever blocking the caller: a bounded queue drained by a few
 * concurrent batch writers (the `RunWriter`); beyond the bound, and whenever the server is
 * unreachable, rows go to the disk spool, which is retried periodically and read back in order.
 * A batch the server rejects is split to find the row at fault; that row stays in the spool.
 */
export class RowDelivery {
  readonly #writer: RunWriter;
  readonly #spool: Spool;
  readonly #options: RowDeliveryOptions;

  #online = false;
  /** `finish` has begun: batches no longer wait to fill. */
  #finishing = false;
  /** `finish({wait: false})`: nothing new is sent; the backlog stays spooled. */
  #stopping = false;
  readonly #queue: QueueItem[] = [];
  /** When the oldest row in the queue arrived (for the linger). */
  #queuedSince = 0;
  #lingerTimer: NodeJS.Timeout | undefined;
  #active = 0;
  #written = 0;
  /** Spool lines rejected by the server for a reason a retry will not fix; left for `sync` to report. */
  readonly #rejected = new Set<number>();
  /** Spool lines of rows never sent (overflow, or spooled while offline). */
  readonly #fresh = new Set<number>();
  #spoolCursor = 0;
  #refilling = false;
  /** Nothing after the cursor is left to read (until an append, or a reconnect rewinds the cursor). */
  #spoolExhausted = true;
  #retryTimer: NodeJS.Timeout | undefined;
  #retrying: Promise<void> | undefined;
  readonly #io = new Set<Promise<unknown>>();
  #waiters: Array<() => void> = [];
  #lastOutage = '';

  constructor(writer: RunWriter, spool: Spool, options: RowDeliveryOptions) {
    this.#writer = writer;
    this.#spool = spool;
    this.#options = options;
  }

  /** The server answered (the run exists): rows are sent rather than spooled. */
  get online(): boolean {
    return this.#online;
  }

  /** Rows completely written. */
  get written(): number {
    return this.#written;
  }

  /** The last failure seen while the server was unreachable (or while finishing), for messages. */
  get lastOutage(): string {
    return this.#lastOutage;
  }

  /** The run was created: from now on rows are sent. */
  markOnline(): void {
    this.#online = true;
  }

  /** Records a failure that is not an outage, for the final message. */
  noteFailure(message: string): void {
    this.#lastOutage = message;
  }

  /** Takes one row; never blocks. */
  take(result: RowResult): void {
    if (!this.#online || this.#stopping || this.#queue.length >= this.#options.maxQueuedRows) {
      this.#track(this.#toSpool([result], { attempted: false }));
      return;
    }
    if (this.#queue.length === 0) this.#queuedSince = this.#options.now();
    this.#queue.push({ result, verify: false });
    this.#pump();
  }

  /**
   * The end of the run's rows. `wait`: send everything (one more attempt to reconnect first when
   * offline); what an unreachable server cannot take stays spooled. Without `wait`: in-flight
   * batches settle and everything still queued goes to the spool.
   */
  async finish(options: { wait: boolean }): Promise<void> {
    this.#finishing = true;
    if (options.wait) {
      if (!this.#online) await this.#retry();
      await this.#drained();
    } else {
      await this.#stop();
    }
    this.stopTimers();
  }

  /** Resolves once every spool write started so far is on disk. */
  async settled(): Promise<void> {
    await Promise.all([...this.#io]);
  }

  // ---- the queue -------------------------------------------------------------------------------

  #pump(): void {
    const { concurrency, batchSize } = this.#options;
    while (this.#online && !this.#stopping && this.#active < concurrency && this.#queue.length > 0) {
      if (this.#queue.length < batchSize && !this.#finishing && this.#linger()) break;
      const batch = this.#queue.splice(0, batchSize);
      if (this.#queue.length > 0) this.#queuedSince = this.#options.now();
      this.#active++;
      void this.#process(batch)
        .catch((error: unknown) =>
          this.#options.log(`MLflow: writing ${batch.length} row(s) failed: ${errorMessage(error)}`),
        )
        .finally(() => {
          this.#active--;
          this.#pump();
          this.#notify();
        });
    }
    if (
      this.#online &&
      !this.#stopping &&
      this.#queue.length === 0 &&
      !this.#refilling &&
      !this.#spoolExhausted
    ) {
      this.#refilling = true;
      void this.#refill()
        .catch((error: unknown) =>
          this.#options.log(`MLflow: reading the spool failed: ${errorMessage(error)}`),
        )
        .finally(() => {
          this.#refilling = false;
          this.#pump();
          this.#notify();
        });
    }
  }

  /**
   * True while a partial batch should wait for more rows (a full batch costs the server less per
   * row); arms a timer that pumps again when the wait is over.
   */
  #linger(): boolean {
    const { lingerMs, now } = this.#options;
    const waited = now() - this.#queuedSince;
    if (waited >= lingerMs) return false;
    if (this.#lingerTimer === undefined) {
      this.#lingerTimer = setTimeout(() => {
        this.#lingerTimer = undefined;
        this.#pump();
      }, lingerMs - waited);
      this.#lingerTimer.unref();
    }
    return true;
  }

  async #process(batch: QueueItem[]): Promise<void> {
    const writer = this.#writer;
    try {
      const jobs = batch.map((item) => writer.jobFor(item.result));
      await writer.writeRows(jobs, { verify: batch.some((item) => item.verify) });
      this.#spool.markDone(batch.flatMap((item) => (item.line !== undefined ? [item.line] : [])));
      this.#written += batch.length;
    } catch (error) {
      if (isOutage(error) || !this.#online) {
        await this.goOffline(error);
        await this.#toSpool(
          batch.filter((item) => item.line === undefined).map((item) => item.result),
          { attempted: true },
        );
        return;
      }
      if (batch.length > 1) {
        // Find the row the server rejects; the others go through.
        for (const item of batch) await this.#process([{ ...item, verify: true }]);
        return;
      }
      const item = batch[0] as QueueItem;
      this.#options.log(`MLflow rejected row ${item.result.id}: ${errorMessage(error)} — kept in the spool`);
      const lines =
        item.line !== undefined ? [item.line] : await this.#toSpool([item.result], { attempted: true });
      for (const line of lines) this.#rejected.add(line);
    }
  }

  /** Moves the next spooled entries back into the queue (rows) or sends them (links of old spools). */
  async #refill(): Promise<void> {
    const { batchSize, concurrency, lingerMs, now } = this.#options;
    let entries: Awaited<ReturnType<Spool['read']>> = [];
    while (entries.length === 0) {
      const read = await this.#spool.read(this.#spoolCursor, batchSize * concurrency);
      if (read.length === 0) break;
      this.#spoolCursor = (read[read.length - 1]?.line ?? this.#spoolCursor) + 1;
      entries = read.filter(({ line }) => !this.#rejected.has(line));
    }
    if (entries.length === 0) {
      this.#spoolExhausted = true;
      return;
    }
    if (this.#queue.length === 0) this.#queuedSince = now() - lingerMs;
    for (const { line, entry } of entries) {
      if (entry.kind === 'row') {
        // A fresh line is written without the check; if that fails, it is checked next time.
        this.#queue.push({ result: entry.result, verify: !this.#fresh.delete(line), line });
        continue;
      }
      try {
        await this.#writer.link(entry.trace_ids);
        this.#spool.markDone([line]);
      } catch (error) {
        if (isOutage(error)) await this.goOffline(error);
        else this.#rejected.add(line);
      }
    }
  }

  /**
   * Appends rows to the spool. Rows never `attempted` are remembered as fresh: read back in this
   * process they are written without the check first (nothing of them can be in MLflow yet).
   */
  async #toSpool(results: RowResult[], options: { attempted: boolean }): Promise<number[]> {
    if (results.length === 0) return [];
    this.#spoolExhausted = false;
    const lines = await this.#spool.append(results.map((result) => ({ kind: 'row', result })));
    if (!options.attempted) for (const line of lines) this.#fresh.add(line);
    return lines;
  }

  /** `finish({wait: false})`: in-flight batches settle, everything still queued goes to the spool. */
  async #stop(): Promise<void> {
    this.#stopping = true;
    const waiting = this.#queue.splice(0, this.#queue.length);
    await this.#toSpool(
      waiting.filter((item) => item.line === undefined).map((item) => item.result),
      { attempted: false },
    );
    for (;;) {
      await Promise.all([...this.#io]);
      if (this.#active === 0 && !this.#refilling) return;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  // ---- outage ----------------------------------------------------------------------------------

  /** The server is unreachable: queued rows move to the spool and a reconnect is scheduled. */
  async goOffline(error: unknown): Promise<void> {
    const message = errorMessage(error);
    if (this.#online || this.#lastOutage === '') {
      this.#options.log(
        `MLflow unreachable (${message}); writes go to the spool and are retried every ${Math.round(this.#options.retryIntervalMs / 1000)} s`,
      );
    }
    this.#lastOutage = message;
    this.#online = false;
    // Fresh rows waiting in memory move to the spool; spooled ones stay where they are.
    const waiting = this.#queue.splice(0, this.#queue.length);
    await this.#toSpool(
      waiting.filter((item) => item.line === undefined).map((item) => item.result),
      { attempted: false },
    );
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (this.#retryTimer !== undefined || this.#stopping) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#retry().then(() => {
        if (!this.#online) this.#scheduleRetry();
      });
    }, this.#options.retryIntervalMs);
    this.#retryTimer.unref();
  }

  stopTimers(): void {
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    if (this.#lingerTimer !== undefined) clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
  }

  /** One attempt to come back: the server answers, the run exists; then the spool drains. */
  #retry(): Promise<void> {
    this.#retrying ??= (async () => {
      try {
        const writer = this.#writer;
        if (!(await writer.client.health())) return;
        const hadRun = writer.runId !== undefined;
        await writer.ensureRun({ searchFirst: true });
        if (!hadRun) await this.#spool.writeState(writer.state);
        this.#online = true;
        this.#spoolCursor = 0;
        this.#spoolExhausted = false;
        this.#options.log('MLflow reachable again; sending the spooled writes');
        this.#pump();
      } catch (error) {
        this.#lastOutage = errorMessage(error);
      } finally {
        this.#retrying = undefined;
      }
    })();
    return this.#retrying;
  }

  // ---- waiting ---------------------------------------------------------------------------------

  #track(promise: Promise<unknown>): void {
    this.#io.add(promise);
    promise
      .catch((error: unknown) => this.#options.log(`MLflow spool write failed: ${errorMessage(error)}`))
      .finally(() => this.#io.delete(promise));
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * Resolves when nothing is queued or in flight and — while the server answers — the spool holds
   * nothing more to send. While it does not answer, what is left stays spooled.
   */
  async #drained(): Promise<void> {
    for (;;) {
      await Promise.all([...this.#io]);
      this.#pump();
      const busy =
        this.#active > 0 ||
        this.#refilling ||
        (this.#online && (this.#queue.length > 0 || !this.#spoolExhausted));
      if (!busy) return;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
}
