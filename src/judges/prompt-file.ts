import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { JudgeflowError } from '../core/errors.js';
import type { ChatMessage } from '../core/judge.js';
import { renderTemplate, sectionTags, templateVariables } from '../core/template.js';
import { type VerdictType, verdictTypeSchema } from './verdict.js';

/**
 * A judge prompt is data: one YAML file per judge in `src/judges/prompts/` (shipped as
 * `dist/judges/prompts/`), holding the system text, the user template and the verdict type. Adding a
 * built-in judge is adding one of these files, a small scorer that fills its variables, and its line in
 * the scorer registry (`src/scorers/builtins.ts`).
 */
export const judgePromptSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().min(1),
    /** The verdict's value type; custom judges take theirs from `makeJudge({valueType})` instead. */
    verdict: verdictTypeSchema.optional(),
    system: z.string().min(1),
    user: z.string().min(1),
    /** A 1–5 scale variant of a yes/no judge (`rubric: true`); rendered by `scorers/judges/rubric.ts`. */
    rubric: z
      .object({
        /** What is judged, and that tagged text is material: the rubric variant's system text before the scale. */
        system: z.string().min(1),
        /** The user template of the rubric variant (same variables as `user`, asking for a score). */
        user: z.string().min(1),
        /** What each score means; every level must be described. */
        levels: z
          .object({
            1: z.string().min(1),
            2: z.string().min(1),
            3: z.string().min(1),
            4: z.string().min(1),
            5: z.string().min(1),
          })
          .strict(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** The 1–5 scale of a judge that has one (`rubric:` in its prompt file). */
export interface RubricPromptText {
  system: string;
  user: string;
  /** Level descriptions, index 0 = score 1 … index 4 = score 5. */
  levels: [string, string, string, string, string];
}

export interface JudgePrompt {
  name: string;
  description: string;
  verdict: VerdictType | undefined;
  system: string;
  user: string;
  /** Every `{{ variable }}` the two templates use. */
  variables: string[];
  /** The 1–5 scale variant, for judges whose file has one. */
  rubric?: RubricPromptText | undefined;
  /**
   * Where the system and user text came from when not from the prompt file: a version in MLflow's
   * prompt registry (`prompt: prompts:/judgeflow.correctness@production` on the scorer).
   */
  registry?: RegistryPromptRef | undefined;
}

/** A prompt version in MLflow's prompt registry. */
export interface RegistryPromptRef {
  /** The reference as written (`prompts:/judgeflow.correctness@production`). */
  uri: string;
  name: string;
  version: string;
}

/** The assessment metadata key naming the prompt that produced a judge's verdict. */
export const PROMPT_NAME_KEY = 'judgeflow.prompt.name';
/** The assessment metadata key holding that prompt's version (a registry version, or a text hash). */
export const PROMPT_VERSION_KEY = 'judgeflow.prompt.version';

const builtinVersions = new WeakMap<JudgePrompt, string>();

/**
 * The prompt name and version a verdict was produced with: the registry's for a registry prompt;
 * otherwise `builtin:<judge>` and the first 12 hex digits of the sha256 of the system and user text,
 * so every edit of a shipped prompt file (or a rubric variant) is its own version.
 */
export function promptIdentity(prompt: JudgePrompt): { name: string; version: string } {
  if (prompt.registry !== undefined) return { name: prompt.registry.name, version: prompt.registry.version };
  let version = builtinVersions.get(prompt);
  if (version === undefined) {
    version = promptTextHash(prompt.system, prompt.user);
    builtinVersions.set(prompt, version);
  }
  return { name: `builtin:${prompt.name}`, version };
}

/** The short hash that versions a built-in prompt's text. */
export function promptTextHash(system: string, user: string): string {
  return createHash('sha256').update(`${system}\u0000${user}`).digest('hex').slice(0, 12);
}

/** The metadata every judge assessment carries: which prompt name and version produced it. */
export function promptMetadata(prompt: JudgePrompt): Record<string, string> {
  const { name, version } = promptIdentity(prompt);
  return { [PROMPT_NAME_KEY]: name, [PROMPT_VERSION_KEY]: version };
}

/** The file extension of prompt files. */
export const PROMPT_EXTENSION = '.yaml';

/** Where the prompt files live: next to this module, in `src/` and in `dist/` alike. */
export function promptDirectory(): string {
  return fileURLToPath(new URL('./prompts/', import.meta.url));
}

/** Reads and validates `prompts/<name>.yaml`. A broken file is a packaging bug: it throws at scorer build. */
export function loadJudgePrompt(name: string, directory: string = promptDirectory()): JudgePrompt {
  const file = `${directory}${name}${PROMPT_EXTENSION}`;
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new JudgeflowError(`cannot read judge prompt ${file}`, { cause });
  }
  const parsed = judgePromptSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new JudgeflowError(
      `judge prompt ${file}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`.trim(),
      { cause: parsed.error },
    );
  }
  const prompt = parsed.data;
  const variables = [...new Set([...templateVariables(prompt.system), ...templateVariables(prompt.user)])];
  const loaded: JudgePrompt = {
    name: prompt.name,
    description: prompt.description,
    verdict: prompt.verdict,
    system: prompt.system.trim(),
    user: prompt.user.trim(),
    variables,
  };
  if (prompt.rubric !== undefined) {
    const { system, user, levels } = prompt.rubric;
    // The scorer fills one set of variables for both variants, so the rubric may not ask for others.
    const extra = [...templateVariables(system), ...templateVariables(user)].filter(
      (variable) => !variables.includes(variable),
    );
    if (extra.length > 0) {
      throw new JudgeflowError(
        `judge prompt ${file}: rubric uses {{ ${extra[0]} }}, which the yes/no prompt does not fill`,
      );
    }
    loaded.rubric = {
      system: system.trim(),
      user: user.trim(),
      levels: [levels[1].trim(), levels[2].trim(), levels[3].trim(), levels[4].trim(), levels[5].trim()],
    };
  }
  return loaded;
}

/**
 * The chat messages for one judge call. Values are inserted once and never re-scanned, so text inside
 * a response that looks like `{{ reference }}` stays literal text; tags of the prompt's sections inside
 * a value are escaped, so a response cannot end its `<response>` section and plant a `<reference>`.
 */
export function renderJudgePrompt(prompt: JudgePrompt, variables: Record<string, string>): ChatMessage[] {
  // row text may not close or open any section of either message
  const tags = [...sectionTags(prompt.system), ...sectionTags(prompt.user)];
  const user: ChatMessage = {
    role: 'user',
    content: renderTemplate(prompt.user, variables, { sectionTags: tags }),
  };
  // a registry prompt stored as plain text is one user message, without a system message
  if (prompt.system === '') return [user];
  return [{ role: 'system', content: renderTemplate(prompt.system, variables, { sectionTags: tags }) }, user];
}
