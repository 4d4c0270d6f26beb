import { createWriteStream } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { readEnv } from '../../config/env.js';
import type { RecordInput } from '../../core/record.js';
import { readDataset, scanDataset } from '../../datasets/index.js';
import type { MlflowClient } from '../../sinks/mlflow/client.js';
import { fromMlflowRecord, pushDataset, requireDataset } from '../../sinks/mlflow/datasets.js';
import { type MlflowCommandIo, printError, trackingClient } from './mlflow.js';
import { processIo } from './run.js';

/**
 * `judgeflow datasets push <file> --name N`: validates the whole file (the same rules as `run`), then
 * creates the MLflow evaluation dataset (or reuses the one with that name) and upserts the rows.
 */
export async function datasetsPushCommand(
  file: string,
  options: { name: string; experiment?: string; trackingUri?: string },
  io: MlflowCommandIo,
): Promise<number> {
  const env = readEnv(io.env, io.cwd);
  let client: MlflowClient | undefined;
  try {
    const source = { kind: 'file' as const, path: path.resolve(io.cwd, file) };
    const scan = await scanDataset(source, {});
    client = await trackingClient(env, options.trackingUri, io);
    const experimentIds: string[] = [];
    if (options.experiment !== undefined) {
      const { experiment } = await client.getOrCreateExperiment(options.experiment, {
        tags: [{ key: 'mlflow.experimentKind', value: 'genai_development' }],
      });
      experimentIds.push(experiment.experiment_id);
    }
    async function* records(): AsyncGenerator<RecordInput> {
      for await (const row of readDataset(source, { scan })) {
        const { id: _id, ...record } = row.record;
        yield record;
      }
    }
    const out = await pushDataset({
      client,
      name: options.name,
      records: records(),
      ...(experimentIds.length > 0 ? { experimentIds } : {}),
    });
    io.stdout.write(
      `${out.created ? 'created' : 'updated'} MLflow dataset "${out.dataset.name}" (${out.dataset.dataset_id}): ` +
        `${out.records} record(s), ${out.inserted} inserted, ${out.updated} updated\n`,
    );
    return 0;
  } catch (error) {
    return printError(error, io);
  } finally {
    await client?.close();
  }
}

/** `judgeflow datasets pull --name N [--out FILE]`: the records as JSONL (stdout without --out). */
export async function datasetsPullCommand(
  options: { name: string; out?: string; trackingUri?: string },
  io: MlflowCommandIo,
): Promise<number> {
  const env = readEnv(io.env, io.cwd);
  let client: MlflowClient | undefined;
  try {
    client = await trackingClient(env, options.trackingUri, io);
    const dataset = await requireDataset(client, options.name);
    const target =
      options.out !== undefined ? createWriteStream(path.resolve(io.cwd, options.out)) : undefined;
    const write = (text: string) =>
      target === undefined
        ? Promise.resolve(io.stdout.write(text))
        : new Promise<void>((resolve, reject) =>
            target.write(text, (error) => (error ? reject(error) : resolve())),
          );
    let count = 0;
    for await (const record of client.allDatasetRecords(dataset.dataset_id)) {
      await write(`${JSON.stringify(fromMlflowRecord(record))}\n`);
      count++;
    }
    if (target !== undefined) {
      await new Promise<void>((resolve, reject) =>
        target.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
      io.stderr.write(`wrote ${count} record(s) of "${dataset.name}" to ${options.out}\n`);
    }
    return 0;
  } catch (error) {
    return printError(error, io);
  } finally {
    await client?.close();
  }
}

/** `judgeflow datasets list`: the evaluation datasets on the server. */
export async function datasetsListCommand(
  options: { trackingUri?: string },
  io: MlflowCommandIo,
): Promise<number> {
  const env = readEnv(io.env, io.cwd);
  let client: MlflowClient | undefined;
  try {
    client = await trackingClient(env, options.trackingUri, io);
    let count = 0;
    for await (const dataset of client.searchAllDatasets()) {
      const profile = parseProfile(dataset.profile);
      const updated =
        dataset.last_update_time !== undefined ? new Date(dataset.last_update_time).toISOString() : '';
      io.stdout.write(
        `${dataset.name}\t${dataset.dataset_id}\t${profile !== undefined ? `${profile} records` : ''}\t${updated}\n`,
      );
      count++;
    }
    if (count === 0)
      io.stderr.write('no evaluation datasets (create one with `judgeflow datasets push <file> --name N`)\n');
    return 0;
  } catch (error) {
    return printError(error, io);
  } finally {
    await client?.close();
  }
}

function parseProfile(profile: string | undefined): number | undefined {
  if (profile === undefined) return undefined;
  try {
    const parsed = JSON.parse(profile) as { num_records?: unknown };
    return typeof parsed.num_records === 'number' ? parsed.num_records : undefined;
  } catch {
    return undefined;
  }
}

export function registerDatasetCommands(program: Command, setExitCode: (code: number) => void): void {
  const datasets = program.command('datasets').description("evaluation datasets in MLflow's dataset store");
  datasets
    .command('push')
    .description('create or update an MLflow evaluation dataset from a file (jsonl, json, csv, yaml)')
    .argument('<file>', 'the dataset file')
    .requiredOption('--name <name>', 'dataset name')
    .option('--experiment <name>', 'associate the dataset with this experiment')
    .option('--tracking-uri <uri>', 'MLflow server (default MLFLOW_TRACKING_URI, else the local server)')
    .action(async (file: string, options: { name: string; experiment?: string; trackingUri?: string }) => {
      setExitCode(await datasetsPushCommand(file, options, processIo()));
    });
  datasets
    .command('pull')
    .description('write an MLflow evaluation dataset as JSONL')
    .requiredOption('--name <name>', 'dataset name')
    .option('--out <file>', 'output file (default: stdout)')
    .option('--tracking-uri <uri>', 'MLflow server (default MLFLOW_TRACKING_URI, else the local server)')
    .action(async (options: { name: string; out?: string; trackingUri?: string }) => {
      setExitCode(await datasetsPullCommand(options, processIo()));
    });
  datasets
    .command('list')
    .description('list the evaluation datasets')
    .option('--tracking-uri <uri>', 'MLflow server (default MLFLOW_TRACKING_URI, else the local server)')
    .action(async (options: { trackingUri?: string }) => {
      setExitCode(await datasetsListCommand(options, processIo()));
    });
}
