import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { evalFileJsonSchema } from '../../app/json-schema.js';
import { type CommandIo, processIo } from './run.js';

/** `judgeflow schema [--out FILE]`: the eval file's JSON Schema, for editors (yaml-language-server). */
export async function schemaCommand(options: { out?: string }, io: CommandIo): Promise<number> {
  const text = `${JSON.stringify(evalFileJsonSchema(), null, 2)}\n`;
  if (options.out !== undefined) await writeFile(options.out, text);
  else io.stdout.write(text);
  return 0;
}

export function registerSchemaCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('schema')
    .description("print the eval file's JSON Schema (for editors)")
    .option('--out <file>', 'write it to a file')
    .action(async (options: { out?: string }) => {
      setExitCode(await schemaCommand(options, processIo()));
    });
}
