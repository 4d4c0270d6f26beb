import type { Redactor } from '../core/redact.js';

/**
 * The stream, with every text written to it scrubbed by `redactor` first; everything else (isTTY,
 * columns, events) is the stream's own. What a command prints — results paths, the MLflow URL,
 * progress, log lines, errors — goes through it.
 */
export function redactingStream<S extends NodeJS.WritableStream>(stream: S, redactor: Redactor): S {
  const write = (chunk: unknown, ...rest: unknown[]): boolean => {
    const text =
      typeof chunk === 'string'
        ? chunk
        : chunk instanceof Uint8Array
          ? Buffer.from(chunk).toString('utf8')
          : String(chunk);
    return (stream.write as (...args: unknown[]) => boolean)(redactor.text(text), ...rest);
  };
  return new Proxy(stream, {
    get(target, property) {
      if (property === 'write') return write;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
