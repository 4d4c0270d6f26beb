// The "model under test" of examples/parallel_eval.ts: a lookup that answers most questions, a little
// slowly, as a real model behind an API would. It is named by path and export, so every Ray worker
// loads this same file.
const answers: Record<string, string> = {
  'What is the capital of France?': 'Paris',
  'What is 2 + 2?': '4',
  'What color is the sky on a clear day?': 'blue',
  'How many legs does a spider have?': '8',
  'What is the largest planet in the solar system?': 'Jupiter',
  'Who wrote Hamlet?': 'Shakespeare',
  'What is the boiling point of water in Celsius?': '100',
  'What is the chemical symbol for gold?': 'Au',
};

export async function predict(inputs: { question: string }): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  return answers[inputs.question] ?? 'I do not know';
}
