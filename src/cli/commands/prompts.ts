import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { readEnv } from '../../config/env.js';
import { ConfigError } from '../../core/errors.js';
import { builtinPromptTemplates } from '../../judges/registry-prompt.js';
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

/** The name prefix of the built-in judges' prompts unless `--prefix` says otherwise. */
export const DEFAULT_BUILTIN_PREFIX = 'judgeflow.';

/**
 * `judgeflow prompts push --builtin [--prefix judgeflow.] [--alias production]`: every built-in judge's
 * prompt becomes (a version of) the MLflow chat prompt `<prefix><judge>` — its system and user
 * messages, as `mlflow.genai.register_prompt` stores a chat template. A judge whose newest version
 * holds the same text gets no new version (pushing again is a no-op); a changed one does. Prints
 * `name@version` per judge.
 */
export async function promptsPushBuiltinCommand(
  options: { prefix?: string; alias?: string; message?: string; trackingUri?: string },
  io: MlflowCommandIo,
): Promise<number> {
  const env = readEnv(io.env, io.cwd);
  let client: MlflowClient | undefined;
  try {
    const prefix = options.prefix ?? DEFAULT_BUILTIN_PREFIX;
    if (!/^[a-zA-Z0-9_.-]*$/.test(prefix))
      throw new ConfigError(`--prefix "${prefix}": use letters, digits, "_", "-" and "." only`, {
        field: 'prefix',
      });
    const templates = await builtinPromptTemplates(prefix);
    client = await trackingClient(env, options.trackingUri, io);
    const { BUILTIN_JUDGE_TAG, pushPromptIfChanged } = await import('../../sinks/mlflow/index.js');
    let created = 0;
    for (const prompt of templates) {
      const pushed = await pushPromptIfChanged({
        client,
        name: prompt.name,
        template: prompt.template,
        type: 'chat',
        ...(options.alias !== undefined ? { alias: options.alias } : {}),
        commitMessage: options.message ?? `judgeflow built-in ${prompt.judge} judge prompt`,
        tags: { [BUILTIN_JUDGE_TAG]: prompt.judge },
      });
      if (pushed.created) created += 1;
      io.stdout.write(
        `${pushed.version.name}@${pushed.version.version}  ${pushed.created ? 'new version' : 'unchanged'}\n`,
      );
    }
    io.stdout.write(
      `${templates.length} judge prompts: ${created} new version(s), ${templates.length - created} unchanged` +
        `${options.alias !== undefined ? `; alias @${options.alias} points at each` : ''}\n`,
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
    .description(
      "register a prompt template file as a new version, or (--builtin) every built-in judge's prompt",
    )
    .argument('[file]', 'the template (text; or a .json list of chat messages)')
    .option('--name <name>', 'prompt name (letters, digits, _ - .); required with a file')
    .option(
      '--builtin',
      "push every built-in judge's prompt as <prefix><judge> (a new version only when changed)",
    )
    .option('--prefix <prefix>', `name prefix with --builtin (default ${DEFAULT_BUILTIN_PREFIX})`)
    .option('--alias <alias>', 'point this alias at the new (or unchanged) version')
    .option('--message <text>', 'commit message for the version')
    .option('--tracking-uri <uri>', 'MLflow server (default MLFLOW_TRACKING_URI, else the local server)')
    .action(
      async (
        file: string | undefined,
        options: {
          name?: string;
          builtin?: boolean;
          prefix?: string;
          alias?: string;
          message?: string;
          trackingUri?: string;
        },
      ) => {
        const io = processIo();
        const { builtin, name, prefix, ...rest } = options;
        if (builtin === true) {
          if (file !== undefined || name !== undefined) {
            io.stderr.write('judgeflow: prompts push --builtin takes no file and no --name\n');
            setExitCode(2);
            return;
          }
          setExitCode(
            await promptsPushBuiltinCommand({ ...rest, ...(prefix !== undefined ? { prefix } : {}) }, io),
          );
          return;
        }
        if (file === undefined || name === undefined) {
          io.stderr.write('judgeflow: prompts push needs a file and --name (or --builtin)\n');
          setExitCode(2);
          return;
        }
        setExitCode(await promptsPushCommand(file, { ...rest, name }, io));
      },
    );
}
