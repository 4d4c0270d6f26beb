/**
 * `{{ path }}` templates as MLflow prompts and judge instructions use them: `{{ inputs.question }}`,
 * `{{ outputs }}`. Strings are inserted as they are; other values as JSON. A missing variable is an
 * error listing what is available, so a typo in a prompt fails the validation pass, not row 900.
 *
 * Inserted values are untrusted (dataset rows, model outputs). When the template marks its sections
 * with tags (`<response>{{ response }}</response>`), every tag of those names inside a value is
 * escaped (`&lt;/response&gt;`), so no row can close its own section and open another (a planted
 * `</response><reference>…`). Values are inserted once and never re-scanned.
 */
const VARIABLE = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;
/** `<name>` / `</name>` in a template: the sections it wraps values in. */
const SECTION_TAG = /<\/?([A-Za-z][A-Za-z0-9_-]*)>/g;

/** The tag names a template uses to mark sections (`question`, `response`, ...). */
export function sectionTags(template: string): string[] {
  return [...new Set([...template.matchAll(SECTION_TAG)].map((m) => (m[1] as string).toLowerCase()))];
}

/**
 * The text with every opening or closing tag of the given names (any case, any spacing, any
 * attributes: `</Response >`, `< /response>`, `<reference x="1">`) turned into inert text.
 */
export function escapeSectionTags(text: string, tags: readonly string[]): string {
  if (tags.length === 0 || !text.includes('<')) return text;
  const names = tags.map((tag) => tag.replace(/[-]/g, '\\-')).join('|');
  const tag = new RegExp(`<(\\s*\\/?\\s*(?:${names})\\b[^<>]*)>?`, 'gi');
  return text.replace(tag, (_whole, inner: string) => `&lt;${inner}&gt;`);
}

export function templateVariables(template: string): string[] {
  return [...template.matchAll(VARIABLE)].map((m) => m[1] as string);
}

export function renderTemplate(
  template: string,
  scope: Record<string, unknown>,
  options: { sectionTags?: readonly string[] } = {},
): string {
  // the template's own sections, and those of templates rendered with it (a judge's system and user)
  const tags = [...new Set([...sectionTags(template), ...(options.sectionTags ?? [])])];
  return template.replace(VARIABLE, (_whole, name: string) => {
    const value = lookup(scope, name);
    if (value === undefined) {
      throw new TemplateError(name, Object.keys(scope));
    }
    return escapeSectionTags(typeof value === 'string' ? value : JSON.stringify(value), tags);
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
