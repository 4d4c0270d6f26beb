import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../core/errors.js';

/**
 * Loads an export from a user's module by path — TypeScript loaded directly (through tsx), JavaScript
 * natively. Custom scorers and predict functions are always named this way (never passed as closures)
 * so that any worker process, on any machine, can load the same code.
 */
export async function loadExport(options: {
  modulePath: string;
  exportName: string;
  baseDir: string;
  /** For error messages: the config field that named the module. */
  field?: string;
}): Promise<unknown> {
  const absolute = path.resolve(options.baseDir, options.modulePath);
  if (!existsSync(absolute)) {
    throw new ConfigError(
      `module ${options.modulePath} does not exist (looked for ${absolute}; paths are relative to the eval file's folder)`,
      options.field !== undefined ? { field: options.field } : undefined,
    );
  }
  const url = pathToFileURL(absolute).href;
  let namespace: Record<string, unknown>;
  try {
    if (/\.(c|m)?tsx?$/.test(absolute)) {
      const { tsImport } = await import('tsx/esm/api');
      namespace = (await tsImport(url, import.meta.url)) as Record<string, unknown>;
    } else {
      namespace = (await import(url)) as Record<string, unknown>;
    }
  } catch (error) {
    throw new ConfigError(
      `cannot load module ${absolute}: ${error instanceof Error ? error.message : String(error)}`,
      {
        ...(options.field !== undefined ? { field: options.field } : {}),
        cause: error,
      },
    );
  }
  if (!(options.exportName in namespace)) {
    // A TypeScript module loaded through tsx also shows its named exports as a `default` object; only
    // the names the user wrote are listed.
    const interop =
      namespace.default !== null &&
      typeof namespace.default === 'object' &&
      Object.keys(namespace).every((k) => k === 'default' || k in (namespace.default as object));
    const available = Object.keys(namespace).filter(
      (k) => k !== '__esModule' && !(k === 'default' && interop),
    );
    throw new ConfigError(
      `module ${absolute} has no export "${options.exportName}" (exports: ${available.join(', ') || 'none'})`,
      options.field !== undefined ? { field: options.field } : undefined,
    );
  }
  return namespace[options.exportName];
}
