/** Placeholder replaced by the judges work: starts `judgeflow serve-judge` on the local model. */
export async function startJudgeServer(): Promise<{ baseUrl: string; stop: () => Promise<void> }> {
  return { baseUrl: '', stop: async () => undefined };
}
