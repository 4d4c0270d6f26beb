/**
 * `json.dumps` as Python writes it (separators `", "` and `": "`, keys in insertion order), for the
 * few MLflow fields whose text Python clients produce and the UI shows verbatim: the trace's
 * `mlflow.traceInputs/Outputs` metadata, request/response previews and serialized expectation values.
 * Writing them the same way makes a judgeflow trace indistinguishable from a Python one.
 */
export function pythonJsonDumps(value: unknown, options: { ensureAscii?: boolean } = {}): string {
  const ensureAscii = options.ensureAscii ?? true;
  return dump(value, ensureAscii);
}

function dump(value: unknown, ensureAscii: boolean): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (Number.isNaN(value)) return 'NaN';
      if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
      return JSON.stringify(value);
    case 'bigint':
      return value.toString();
    case 'string':
      return quote(value, ensureAscii);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((item) => dump(item, ensureAscii)).join(', ')}]`;
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      return `{${entries.map(([k, v]) => `${quote(k, ensureAscii)}: ${dump(v, ensureAscii)}`).join(', ')}}`;
    }
    default:
      return quote(String(value), ensureAscii);
  }
}

function quote(text: string, ensureAscii: boolean): string {
  const json = JSON.stringify(text);
  if (!ensureAscii) return json;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping every non-ASCII unit, as Python does
  return json.replace(/[^\x00-\x7f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
