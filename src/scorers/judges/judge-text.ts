import { isPlainObject } from '../../core/json.js';

// How a row's inputs and outputs are shown to a judge, after MLflow's `parse_inputs_to_str` and
// `parse_outputs_to_str`: chat messages show their last message, chat completions their text, and
// anything else is JSON — except that a single text field is shown as the text itself, which small
// judges read far better than a JSON object.

/** The request as judge prompt text. */
export function inputsText(inputs: unknown): string {
  if (typeof inputs === 'string') return inputs;
  if (inputs === null || inputs === undefined) return '';
  if (isPlainObject(inputs)) {
    const last = lastMessageContent(inputs.messages);
    if (last !== undefined) return last;
    const keys = Object.keys(inputs);
    if (keys.length === 1 && typeof inputs[keys[0] as string] === 'string')
      return inputs[keys[0] as string] as string;
  }
  return JSON.stringify(inputs);
}

/** The response as judge prompt text. */
export function outputsText(outputs: unknown): string {
  if (typeof outputs === 'string') return outputs;
  if (outputs === null || outputs === undefined) return '';
  if (Array.isArray(outputs)) return outputs.length > 0 ? outputsText(outputs[0]) : '[]';
  if (isPlainObject(outputs)) {
    const choices = outputs.choices;
    if (Array.isArray(choices) && isPlainObject(choices[0]) && isPlainObject(choices[0].message)) {
      const content = choices[0].message.content;
      if (typeof content === 'string') return content;
    }
    const last = lastMessageContent(outputs.messages);
    if (last !== undefined) return last;
  }
  return JSON.stringify(outputs);
}

function lastMessageContent(messages: unknown): string | undefined {
  if (!Array.isArray(messages) || messages.length === 0) return undefined;
  const last = messages[messages.length - 1];
  return isPlainObject(last) && typeof last.content === 'string' ? last.content : undefined;
}

/** A list of strings (or one string) as a bulleted list; undefined when it is neither. */
export function bulletList(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string')) {
    return value.map((item) => `- ${item}`).join('\n');
  }
  return undefined;
}
