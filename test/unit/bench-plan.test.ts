import { describe, expect, it } from 'vitest';
import { planShards } from '../../src/app/bench/plan-shards.js';
import { ConfigError } from '../../src/core/errors.js';

/** Every document of every task, as `task#doc`, in the order the shards cover them. */
function covered(shards: ReturnType<typeof planShards>): string[] {
  return shards.flatMap((shard) =>
    Array.from({ length: shard.end - shard.start }, (_, i) => `${shard.task}#${shard.start + i}`),
  );
}

describe('planShards', () => {
  it('one worker and a shard size past every task: one whole shard per task, in the order given', () => {
    const shards = planShards({
      tasks: [
        { name: 'b', docs: 10 },
        { name: 'a', docs: 3 },
      ],
      workers: 1,
      shardSize: Number.MAX_SAFE_INTEGER,
    });
    expect(shards.map(({ task, start, end }) => ({ task, start, end }))).toEqual([
      { task: 'b', start: 0, end: 10 },
      { task: 'a', start: 0, end: 3 },
    ]);
  });

  it('about 2 × workers shards by default, small tasks whole, every document exactly once', () => {
    const tasks = [
      { name: 'big', docs: 100 },
      { name: 'small', docs: 5 },
      { name: 'mid', docs: 30 },
    ];
    const shards = planShards({ tasks, workers: 4 });
    // 135 documents over 8 shards → 17 per shard: big in 6 ranges, mid in 2, small whole
    expect(shards.filter((s) => s.task === 'big')).toHaveLength(6);
    expect(shards.filter((s) => s.task === 'mid')).toHaveLength(2);
    expect(shards.filter((s) => s.task === 'small')).toEqual([expect.objectContaining({ start: 0, end: 5 })]);
    expect(shards.length).toBeGreaterThanOrEqual(8);
    expect(shards.length).toBeLessThanOrEqual(10);
    const expected = tasks.flatMap((t) => Array.from({ length: t.docs }, (_, i) => `${t.name}#${i}`));
    expect(covered(shards)).toEqual(expected);
    // near-equal ranges: lengths within one document of each other per task
    const lengths = shards.filter((s) => s.task === 'big').map((s) => s.end - s.start);
    expect(Math.max(...lengths) - Math.min(...lengths)).toBeLessThanOrEqual(1);
  });

  it('--shard-size sets the range length; ids are unique, ordered and file-name safe', () => {
    const shards = planShards({ tasks: [{ name: 'mmlu/high school', docs: 25 }], workers: 2, shardSize: 10 });
    expect(shards.map((s) => [s.start, s.end])).toEqual([
      [0, 9],
      [9, 17],
      [17, 25],
    ]);
    expect(new Set(shards.map((s) => s.id)).size).toBe(3);
    for (const shard of shards) expect(shard.id).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(shards.map((s) => s.id)).toEqual([...shards.map((s) => s.id)].sort());
  });

  it('is deterministic: the same input gives the same plan', () => {
    const input = {
      tasks: [
        { name: 'x', docs: 37 },
        { name: 'y', docs: 11 },
      ],
      workers: 3,
    };
    expect(planShards(input)).toEqual(planShards(structuredClone(input)));
  });

  it('more workers than documents: one document per shard, never an empty shard', () => {
    const shards = planShards({ tasks: [{ name: 't', docs: 3 }], workers: 8 });
    expect(shards.map((s) => s.end - s.start)).toEqual([1, 1, 1]);
  });

  it('refuses a task with no documents, a task named twice and a bad shard size', () => {
    expect(() => planShards({ tasks: [{ name: 't', docs: 0 }], workers: 1 })).toThrow(ConfigError);
    expect(() =>
      planShards({
        tasks: [
          { name: 't', docs: 1 },
          { name: 't', docs: 1 },
        ],
        workers: 1,
      }),
    ).toThrow(/named twice/);
    expect(() => planShards({ tasks: [{ name: 't', docs: 1 }], workers: 1, shardSize: 0 })).toThrow(
      /--shard-size/,
    );
  });
});
