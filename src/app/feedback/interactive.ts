import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { MlflowClient } from '../../sinks/mlflow/client.js';
import type { Assessment, TraceInfo } from '../../sinks/mlflow/wire.js';
import { isAutomatedFeedback, loadRunTraces } from './run-traces.js';
import { describeScale, type Scale, scaleValue } from './scale.js';
import { criterionScales, type LabelWrite, writeHumanLabel } from './write.js';

export interface InteractiveOptions {
  client: MlflowClient;
  runId: string;
  reviewer: string;
  /** Only these criteria (default: every criterion the run's judges and scorers wrote). */
  names?: readonly string[];
  scales?: Readonly<Record<string, Scale>>;
  input: Readable;
  output: Writable;
}

/** How an interactive session ended: labels written by action, and whether the person quit early. */
export interface InteractiveResult {
  written: Record<LabelWrite, number>;
  quit: boolean;
}

const ROW_ID_TAG = 'mlflow.eval.requestId';

function rowText(info: TraceInfo, which: 'inputs' | 'outputs'): string {
  const metadata = info.trace_metadata ?? {};
  return which === 'inputs'
    ? (info.request_preview ?? metadata['mlflow.traceInputs'] ?? '')
    : (info.response_preview ?? metadata['mlflow.traceOutputs'] ?? '');
}

function verdictText(assessment: Assessment): string {
  const feedback = assessment.feedback;
  const value =
    feedback?.error !== undefined
      ? `error ${feedback.error.error_code ?? ''}`.trim()
      : JSON.stringify(feedback?.value ?? null);
  const rationale = assessment.rationale !== undefined ? ` — ${assessment.rationale}` : '';
  return `${assessment.source.source_type} ${assessment.source.source_id}: ${value}${rationale}`;
}

/**
 * `judgeflow feedback RUN --interactive`: shows each row's inputs and output, asks for a value per
 * criterion (the judges' verdicts stay hidden until the person has answered, so they cannot anchor
 * the answer), writes each label at once and then shows what the judges said. Criteria this reviewer
 * labelled before are skipped, so a session can be resumed. Enter skips a criterion; `q` quits.
 */
export async function labelInteractively(options: InteractiveOptions): Promise<InteractiveResult> {
  const { client, reviewer, output } = options;
  const run = await loadRunTraces(client, options.runId);
  const scales = criterionScales(run, options.scales);
  const names = options.names ?? [...scales.keys()].sort();
  const written: Record<LabelWrite, number> = { created: 0, overrode: 0, updated: 0 };
  const lines = createInterface({ input: options.input, terminal: false })[Symbol.asyncIterator]();
  const ask = async (prompt: string): Promise<string | undefined> => {
    output.write(prompt);
    const next = await lines.next();
    return next.done === true ? undefined : next.value.trim();
  };
  const traces = [...run.traces.values()].sort((a, b) =>
    (a.request_time ?? '').localeCompare(b.request_time ?? ''),
  );
  let position = 0;
  for (const info of traces) {
    position++;
    const assessments = info.assessments ?? [];
    const pending = names.filter(
      (name) =>
        !assessments.some(
          (a) =>
            a.assessment_name === name &&
            a.feedback !== undefined &&
            a.source.source_type === 'HUMAN' &&
            a.source.source_id === reviewer,
        ),
    );
    if (pending.length === 0) continue;
    const rowId = info.tags?.[ROW_ID_TAG];
    output.write(
      `\n── row ${position}/${traces.length}${rowId !== undefined ? ` (${rowId})` : ''} ${info.trace_id}\n`,
    );
    output.write(`inputs:  ${rowText(info, 'inputs')}\noutput:  ${rowText(info, 'outputs')}\n`);
    for (const name of pending) {
      const scale = scales.get(name);
      let value: boolean | number | string | undefined;
      for (;;) {
        const answer = await ask(
          `${name} [${scale !== undefined ? describeScale(scale) : 'a value'}] (Enter skips, q quits): `,
        );
        if (answer === undefined || answer === 'q') return { written, quit: true };
        if (answer === '') break;
        const scaled = scaleValue(answer, scale);
        if (scaled.ok) {
          value = scaled.value;
          break;
        }
        output.write(`  expected ${scaled.expected}\n`);
      }
      if (value === undefined) continue;
      const rationale = await ask('rationale (optional): ');
      if (rationale === undefined) return { written, quit: true };
      const { action } = await writeHumanLabel(client, {
        traceId: info.trace_id,
        name,
        value,
        reviewer,
        ...(rationale !== '' ? { rationale } : {}),
      });
      written[action] += 1;
      const judges = assessments.filter((a) => isAutomatedFeedback(a) && a.assessment_name === name);
      output.write(`  written (${action}).${judges.length === 0 ? ' No judge assessed this.' : ''}\n`);
      for (const judge of judges) output.write(`  ${verdictText(judge)}\n`);
    }
  }
  return { written, quit: false };
}
