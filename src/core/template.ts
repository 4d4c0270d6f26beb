/**
 * `{{ path }}` templates as MLflow prompts and judge instructions use them: `{{ inputs.question }}`,
 * `{{ outputs }}`. Strings are inserted as they are; other values as JSON. A missing variable is an
 * error listing what is available, so a typo in a prompt fails the validation pass, not row 900.
 */
const VARIABLE = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;

export function templateVariables(template: string): string[] {
  return [...template.matchAll(VARIABLE)].map((m) => m[1] as string);
}

export function renderTemplate(template: string, scope: Record<string, unknown>): string {
  return template.replace(VARIABLE, (_whole, name: string) => {
    const value = lookup(scope, name);
    if (value === undefined) {
      throw new TemplateError(name, Object.keys(scope));
    }
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

function lookup(scope: Record<string, unknown>, dotted: string): unknown {
  let current: unknown = scope;
  for (const part of dotted.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  readonly variable: string;
  constructor(variable: string, available: string[]) {
    super(
      `template variable "{{ ${variable} }}" is not defined (available: ${available.join(', ') || 'none'})`,
    );
    this.variable = variable;
  }
}
