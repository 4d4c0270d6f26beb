import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { readEnv } from '../../config/env.js';
import { ConfigError } from '../../core/errors.js';
import type { MlflowClient } from '../../sinks/mlflow/client.js';
import { type MlflowCommandIo, printError, trackingClient } from './mlflow.js';
import { processIo } from './run.js';

/**
 * `judgeflow prompts push <file> --name N [--alias A]`: registers the file's text as a new version of
 * prompt N in MLflow's prompt registry (a `.json` file holding a list of `{role, content}` messages is
 * a chat prompt), optionally pointing alias A at it. Prints the URI to use as `model.prompt`.
 */
export async function promptsPushCommand(
  file: string,
  options: { name: string; alias?: string; message?: string; trackingUri?: string },
  io: MlflowCommandIo,
): Promise<number> {
  const env = readEnv(io.env, io.cwd);
  let client: MlflowClient | undefined;
  try {
    const text = await readFile(path.resolve(io.cwd, file), 'utf8');
    if (text.trim() === '') throw new ConfigError(`${file} is empty`, { file });
    const type = isChatTemplate(file, text) ? 'chat' : 'text';
    client = await trackingClient(env, options.trackingUri, io);
    const version = await client.registerPrompt({
      name: options.name,
      template: type === 'chat' ? JSON.stringify(JSON.parse(text)) : text,
      type,
      ...(options.message !== undefined ? { commitMessage: options.message } : {}),
    });
    if (options.alias !== undefined)
      await client.setPromptAlias(options.name, options.alias, version.version);
    io.stdout.write(
      `registered prompts:/${version.name}/${version.version}` +
        `${options.alias !== undefined ? ` (alias prompts:/${version.name}@${options.alias})` : ''}\n`,
    );
    return 0;
  } catch (error) {
    return printError(error, io);
  } finally {
    await client?.close();
  }
}

function isChatTemplate(file: string, text: string): boolean {
  if (path.extname(file).toLowerCase() !== '.json') return false;
  try {
    const parsed: unknown = JSON.parse(text);
    return (
      Array.isArray(parsed) &&
      parsed.every((m) => m !== null && typeof m === 'object' && 'role' in m && 'content' in m)
    );
  } catch {
    return false;
  }
}

export function registerPromptCommands(program: Command, setExitCode: (code: number) => void): void {
  const prompts = program.command('prompts').description("prompt templates in MLflow's prompt registry");
  prompts
    .command('push')
    .description('register a prompt template file as a new version')
    .argument('<file>', 'the template (text; or a .json list of chat messages)')
    .requiredOption('--name <name>', 'prompt name (letters, digits, _ - .)')
    .option('--alias <alias>', 'point this alias at the new version')
    .option('--message <text>', 'commit message for the version')
    .option('--tracking-uri <uri>', 'MLflow server (default MLFLOW_TRACKING_URI, else the local server)')
    .action(
      async (
        file: string,
        options: { name: string; alias?: string; message?: string; trackingUri?: string },
      ) => {
        setExitCode(await promptsPushCommand(file, options, processIo()));
      },
    );
}
