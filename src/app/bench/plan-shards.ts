import { ConfigError } from '../../core/errors.js';

/** One unit of work: a leaf task's documents `[start, end)` (positions after `--limit`). */
export interface Shard {
  /** Unique in the run and safe as a file name (`<id>.pkl`). */
  id: string;
  task: string;
  start: number;
  end: number;
}

export interface ShardPlanOptions {
  /** Leaf tasks in the order the user named them, with their document counts (after `--limit`). */
  tasks: ReadonlyArray<{ name: string; docs: number }>;
  /** How many shards may run at once (Ray workers); 1 for the local executor. */
  workers: number;
  /**
   * Documents per shard. Default: the total over about 2 × workers shards, so a slow shard at the
   * end leaves the other workers busy for at most half a round.
   */
  shardSize?: number;
}

/**
 * Splits tasks into shards by document ranges. A task no larger than the shard size is one shard
 * (whole); a larger one is cut into ranges of near-equal length (they differ by at most one
 * document). Every document of every task is in exactly one shard, and the same input always gives
 * the same plan — shard ids name task and range, so a retried shard replaces its own output.
 */
export function planShards(options: ShardPlanOptions): Shard[] {
  if (!Number.isInteger(options.workers) || options.workers < 1)
    throw new ConfigError(`workers must be a positive integer, got ${options.workers}`, { field: 'workers' });
  if (options.shardSize !== undefined && (!Number.isInteger(options.shardSize) || options.shardSize < 1))
    throw new ConfigError(`--shard-size must be a positive integer, got ${options.shardSize}`, {
      field: 'shard_size',
    });
  const seen = new Set<string>();
  for (const task of options.tasks) {
    if (seen.has(task.name)) throw new ConfigError(`task ${task.name} is named twice`, { field: 'tasks' });
    seen.add(task.name);
    if (!Number.isInteger(task.docs) || task.docs < 1)
      throw new ConfigError(`task ${task.name} has no documents to evaluate (after --limit)`, {
        field: 'tasks',
      });
  }
  const total = options.tasks.reduce((sum, task) => sum + task.docs, 0);
  const size = options.shardSize ?? Math.max(1, Math.ceil(total / (2 * options.workers)));
  const shards: Shard[] = [];
  for (const task of options.tasks) {
    const pieces = Math.ceil(task.docs / size);
    const base = Math.floor(task.docs / pieces);
    const longer = task.docs % pieces;
    let start = 0;
    for (let piece = 0; piece < pieces; piece++) {
      const end = start + base + (piece < longer ? 1 : 0);
      shards.push({ id: shardId(shards.length, task.name, start, end), task: task.name, start, end });
      start = end;
    }
  }
  return shards;
}

/** `0003-arc_easy-40-80`: ordered, readable, and a file name whatever characters the task name holds. */
function shardId(index: number, task: string, start: number, end: number): string {
  const safe = task.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 80);
  return `${String(index).padStart(4, '0')}-${safe}-${start}-${end}`;
}
