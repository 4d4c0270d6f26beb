// A custom scorer for examples/parallel_eval.ts, loaded by every Ray worker by path and export.
export function admitsIgnorance({ outputs }: { outputs: unknown }): boolean {
  return String(outputs).toLowerCase().includes('do not know');
}
