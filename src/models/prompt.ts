import { ConfigError } from '../core/errors.js';
import type { ChatMessage } from '../core/judge.js';
import { renderTemplate, templateVariables } from '../core/template.js';

/** How a row becomes the model under test's chat messages (every chat provider kind). */

/** The prompt settings of a chat model's `model:` section. */
export interface PromptConfig {
  prompt?: string | undefined;
  system_prompt?: string | undefined;
}

/** Optional system prompt, then the user prompt rendered from the template (or the default rendering). */
export function chatMessages(config: PromptConfig, inputs: Record<string, unknown>): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (config.system_prompt !== undefined && config.system_prompt !== '') {
    messages.push({ role: 'system', content: config.system_prompt });
  }
  messages.push({ role: 'user', content: renderPrompt(config.prompt, inputs) });
  return messages;
}

/**
 * The user prompt: the template over `{inputs}` when there is one; otherwise the only input when it is
 * a single string field, else the inputs as JSON.
 */
export function renderPrompt(template: string | undefined, inputs: Record<string, unknown>): string {
  if (template !== undefined) return renderTemplate(template, { inputs });
  const keys = Object.keys(inputs);
  if (keys.length === 1) {
    const only = inputs[keys[0] as string];
    if (typeof only === 'string') return only;
  }
  return JSON.stringify(inputs);
}

/** A prompt may only reach into the inputs; anything else is a typo caught before the first row. */
export function checkPromptVariables(prompt: string | undefined): void {
  if (prompt === undefined) return;
  for (const variable of templateVariables(prompt)) {
    if (variable !== 'inputs' && !variable.startsWith('inputs.')) {
      throw new ConfigError(
        `model.prompt uses "{{ ${variable} }}"; a model prompt can only use {{ inputs }} or {{ inputs.<field> }}`,
        { field: 'model.prompt' },
      );
    }
  }
}
