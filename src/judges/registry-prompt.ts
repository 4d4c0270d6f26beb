import { readdir } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { templateVariables } from '../core/template.js';
import { type JudgePrompt, loadJudgePrompt, PROMPT_EXTENSION, promptDirectory } from './prompt-file.js';

/**
 * A judge prompt taken from MLflow's prompt registry. `judgeflow prompts push --builtin` stores a judge's
 * prompt as MLflow stores a chat prompt: the `mlflow.prompt.text` tag holds a JSON list of
 * `{role, content}` messages (one `system`, one `user`) and `_mlflow_prompt_type` is `chat`, so Python's
 * `mlflow.genai.load_prompt` reads it back as a chat template. A `text` prompt is used as the user
 * message alone.
 */

/** The scorer option `prompt:` once pre-flight resolved it: the version's template, fetched once. */
export const resolvedJudgePromptSchema = z
  .object({
    uri: z.string().min(1).describe('The reference as written (prompts:/name@alias or prompts:/name/3)'),
    name: z.string().min(1),
    version: z.string().min(1),
    type: z.enum(['chat', 'text']),
    template: z.string().min(1).describe('mlflow.prompt.text: a JSON message list (chat) or the text'),
  })
  .strict();
export type ResolvedJudgePrompt = z.infer<typeof resolvedJudgePromptSchema>;

/** `prompt:` on a judge scorer: a `prompts:/` reference, or the version pre-flight resolved it to. */
export const judgePromptOptionSchema = z
  .union([
    z
      .string()
      .regex(/^prompts:\//, 'expected prompts:/<name>@<alias> or prompts:/<name>/<version>')
      .describe(
        "The judge's prompt from MLflow's prompt registry: prompts:/judgeflow.correctness@production",
      ),
    resolvedJudgePromptSchema,
  ])
  .optional();

/** A judge prompt as the chat messages MLflow stores (`prompts push --builtin`). */
export function chatTemplateOf(prompt: Pick<JudgePrompt, 'system' | 'user'>): Array<{
  role: 'system' | 'user';
  content: string;
}> {
  return [
    { role: 'system', content: prompt.system },
    { role: 'user', content: prompt.user },
  ];
}

const messageListSchema = z.array(z.looseObject({ role: z.string(), content: z.string() })).min(1);

/**
 * The judge prompt with its system and user text taken from a registry version; its verdict, rubric
 * and everything else stay the judge's. The template must use every variable the judge needs (the
 * ones its own prompt uses) and no other: a judge only fills its own, so an unknown one could never be
 * rendered, and a missing one means the prompt never shows the judge what it grades.
 */
export function judgePromptFromRegistry(base: JudgePrompt, resolved: ResolvedJudgePrompt): JudgePrompt {
  const { system, user } = messagesOf(resolved);
  const used = new Set([...templateVariables(system), ...templateVariables(user)]);
  const missing = base.variables.filter((variable) => !used.has(variable));
  const fills = base.variables.map((variable) => `{{ ${variable} }}`).join(', ');
  if (missing.length > 0) {
    throw new ConfigError(
      `prompt ${resolved.uri} (${resolved.name} version ${resolved.version}) does not use {{ ${missing[0]} }}, which the ${base.name} judge needs (it fills ${fills})`,
      { field: 'prompt' },
    );
  }
  const unknown = [...used].filter((variable) => !base.variables.includes(variable));
  if (unknown.length > 0) {
    throw new ConfigError(
      `prompt ${resolved.uri} (${resolved.name} version ${resolved.version}) uses {{ ${unknown[0]} }}, which the ${base.name} judge does not fill (it fills ${fills})`,
      { field: 'prompt' },
    );
  }
  return {
    ...base,
    system,
    user,
    registry: { uri: resolved.uri, name: resolved.name, version: resolved.version },
  };
}

function messagesOf(resolved: ResolvedJudgePrompt): { system: string; user: string } {
  if (resolved.type === 'text') return { system: '', user: resolved.template.trim() };
  let parsed: unknown;
  try {
    parsed = JSON.parse(resolved.template);
  } catch (cause) {
    throw new ConfigError(`prompt ${resolved.uri}: the chat template is not JSON`, {
      field: 'prompt',
      cause,
    });
  }
  const messages = messageListSchema.safeParse(parsed);
  if (!messages.success) {
    throw new ConfigError(
      `prompt ${resolved.uri}: a chat template is a list of {role, content} messages with text content`,
      { field: 'prompt', cause: messages.error },
    );
  }
  const roles = messages.data.map((message) => message.role);
  const systems = messages.data.filter((message) => message.role === 'system');
  const users = messages.data.filter((message) => message.role === 'user');
  if (users.length !== 1 || systems.length > 1 || roles.length !== systems.length + users.length) {
    throw new ConfigError(
      `prompt ${resolved.uri}: a judge's chat prompt has one user message and at most one system message (got ${roles.join(', ')})`,
      { field: 'prompt' },
    );
  }
  return { system: systems[0]?.content.trim() ?? '', user: (users[0]?.content ?? '').trim() };
}

/** Prompt files that are no judge of their own (`make_judge`'s frame around the user's instructions). */
const NOT_A_JUDGE = new Set(['custom_judge']);

/** One judge's prompt as `prompts push --builtin` registers it. */
export interface BuiltinPromptTemplate {
  judge: string;
  /** `<prefix><judge>`. */
  name: string;
  /** The chat template as MLflow stores it: a JSON list of system and user messages. */
  template: string;
}

/** Every built-in judge's prompt (sorted by judge), as chat templates named `<prefix><judge>`. */
export async function builtinPromptTemplates(prefix: string): Promise<BuiltinPromptTemplate[]> {
  const files = (await readdir(promptDirectory()))
    .filter((file) => file.endsWith(PROMPT_EXTENSION))
    .map((file) => file.slice(0, -PROMPT_EXTENSION.length))
    .filter((judge) => !NOT_A_JUDGE.has(judge))
    .sort();
  return files.map((judge) => ({
    judge,
    name: `${prefix}${judge}`,
    template: JSON.stringify(chatTemplateOf(loadJudgePrompt(judge))),
  }));
}
