import { describe, expect, it } from 'vitest';
import { type RunCliOptions, runRequestParts } from '../../../src/cli/commands/run-options.js';
import { ConfigError } from '../../../src/core/errors.js';

const base: RunCliOptions = {
  failUnder: [],
  mlflow: true,
  executor: 'local',
  workers: 2,
  workerConcurrency: 16,
  progress: false,
};

describe('one flag names a Ray cluster', () => {
  it('--ray names the cluster and implies --executor ray', () => {
    const warnings: string[] = [];
    const { executor } = runRequestParts({ ...base, ray: '10.0.0.1:6379' }, (w) => warnings.push(w));
    expect(executor).toEqual({ kind: 'ray', address: '10.0.0.1:6379', workers: 2, workerConcurrency: 16 });
    expect(warnings).toEqual([]);
  });

  it('keeps --ray-address as a deprecated alias that says so', () => {
    const warnings: string[] = [];
    const { executor } = runRequestParts({ ...base, rayAddress: 'auto' }, (w) => warnings.push(w));
    expect(executor).toMatchObject({ kind: 'ray', address: 'auto' });
    expect(warnings).toEqual([expect.stringContaining('--ray-address is deprecated; use --ray')]);
  });

  it('refuses Ray-only flags with a local run, and --ray with an explicit --executor local', () => {
    expect(() => runRequestParts({ ...base, workers: 4, given: ['workers'] }, () => undefined)).toThrow(
      /--workers only apply with --executor ray/,
    );
    expect(() =>
      runRequestParts({ ...base, ray: 'auto', given: ['executor', 'ray'] }, () => undefined),
    ).toThrow(ConfigError);
    // defaults alone are not "given"
    expect(runRequestParts(base, () => undefined).executor).toEqual({ kind: 'local' });
  });
});
