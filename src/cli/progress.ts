import type { RunEvent } from '../core/events.js';
import type { RunSummary } from '../core/result.js';

export interface ProgressOptions {
  stream: NodeJS.WriteStream;
  /** Seconds between progress lines when not on a TTY. */
  intervalS?: number;
  color?: boolean;
}

/**
 * Progress on stderr: a redrawn bar on a TTY, otherwise one line every few seconds (CI logs stay short).
 * Consumes run events; never touches results.
 */
export function createProgressReporter(options: ProgressOptions): {
  onEvent: (event: RunEvent) => void;
  stop: () => void;
} {
  const { stream } = options;
  const tty = stream.isTTY === true;
  const intervalMs = (options.intervalS ?? 5) * 1000;
  let total = 0;
  let done = 0;
  let failed = 0;
  let errors = 0;
  let started = 0;
  let timer: NodeJS.Timeout | undefined;
  let lastDrawn = 0;
  let scored = false;
  /** The lagging sink's writes: rows written of rows taken, and their rate (smoothed). */
  let writes: { sink: string; written: number; accepted: number; at: number; rate: number } | undefined;

  const writesPart = (): string => {
    if (writes === undefined || writes.written >= writes.accepted) return '';
    const left = writes.accepted - writes.written;
    const eta = writes.rate > 0 ? ` · ~${formatDuration(left / writes.rate)} to write` : '';
    const name = writes.sink === 'mlflow' ? 'MLflow' : writes.sink;
    return ` · ${name} ${writes.written}/${writes.accepted} written${writes.rate > 0 ? ` (${writes.rate.toFixed(1)} rows/s)` : ''}${eta}`;
  };

  const line = (): string => {
    const elapsed = (performance.now() - started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const remaining = rate > 0 && total > done ? (total - done) / rate : 0;
    const pct = total > 0 ? (100 * done) / total : 0;
    return `${done}/${total} rows (${pct.toFixed(0)}%) · ${rate.toFixed(1)} rows/s · ${failed} failed rows · ${errors} scorer errors · ${formatDuration(elapsed)} elapsed${remaining > 0 ? ` · ~${formatDuration(remaining)} left` : ''}${writesPart()}`;
  };

  const draw = (): void => {
    if (tty) {
      const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - 90));
      const filled = total > 0 ? Math.round((width * done) / total) : 0;
      stream.write(`\r\x1b[2K[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${line()}`);
    } else {
      stream.write(`progress: ${line()}\n`);
    }
  };

  return {
    onEvent(event) {
      switch (event.type) {
        case 'run-start':
          total = event.totalRows;
          started = performance.now();
          if (!tty) {
            stream.write(`run ${event.runName}: ${total} rows\n`);
            timer = setInterval(draw, intervalMs);
            timer.unref();
          } else draw();
          break;
        case 'scoring-end':
          if (!scored) {
            scored = true;
            if (!tty)
              stream.write(
                `progress: ${line()}\nall ${event.rows} rows scored in ${formatDuration(event.scoringSeconds)}; finishing writes\n`,
              );
          }
          break;
        case 'sink-progress': {
          const now = performance.now();
          const { written, accepted } = event.progress;
          if (writes !== undefined && writes.sink === event.sink && now > writes.at) {
            const instant = ((written - writes.written) * 1000) / (now - writes.at);
            writes.rate = writes.rate > 0 ? 0.7 * writes.rate + 0.3 * instant : instant;
            writes.written = written;
            writes.accepted = accepted;
            writes.at = now;
          } else {
            writes = { sink: event.sink, written, accepted, at: now, rate: 0 };
          }
          if (tty) draw();
          break;
        }
        case 'row-end': {
          done += 1;
          if (event.result.error !== undefined) failed += 1;
          errors += event.result.feedbacks.filter((f) => f.error !== undefined).length;
          const now = performance.now();
          if (tty && now - lastDrawn > 100) {
            lastDrawn = now;
            draw();
          }
          break;
        }
        case 'run-end':
          if (timer !== undefined) clearInterval(timer);
          draw();
          if (tty) stream.write('\n');
          break;
        case 'row-start':
          break;
      }
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
    },
  };
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return `${m}m${String(s).padStart(2, '0')}s`;
}

/** The summary table printed at the end of a run. */
export function formatSummaryTable(summary: RunSummary): string {
  const rows: Array<[string, string, string, string]> = [['feedback', 'metric', 'value', 'values / errors']];
  const names = Object.keys(summary.counts);
  for (const name of names) {
    const counts = summary.counts[name]!;
    const metricKeys = Object.keys(summary.metrics).filter((k) => k.slice(0, k.lastIndexOf('/')) === name);
    if (metricKeys.length === 0) rows.push([name, '-', '-', `${counts.values} / ${counts.errors}`]);
    for (const [i, key] of metricKeys.entries()) {
      rows.push([
        i === 0 ? name : '',
        key.slice(key.lastIndexOf('/') + 1),
        formatNumber(summary.metrics[key]!),
        i === 0 ? `${counts.values} / ${counts.errors}` : '',
      ]);
    }
  }
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c as 0 | 1 | 2 | 3].length)));
  const render = (r: readonly string[]) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd();
  const out = [render(rows[0]!), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.slice(1).map(render)];
  out.push('');
  out.push(
    `rows: ${summary.rows}  failed rows: ${summary.failed_rows}  error feedbacks: ${summary.error_feedbacks}  duration: ${summary.duration_s}s`,
  );
  const judge = summary.usage.judge;
  const model = summary.usage.model;
  if (model.calls > 0 || judge.calls > 0) {
    out.push(
      `tokens: model ${model.total_tokens} (${model.calls} calls), judge ${judge.total_tokens} (${judge.calls} calls)  cost: $${summary.usage.cost_usd.toFixed(4)}`,
    );
  }
  if (summary.stopped_reason !== undefined) out.push(`stopped early: ${summary.stopped_reason}`);
  for (const gate of summary.gates ?? []) {
    out.push(`gate ${gate.gate}: ${gate.passed ? 'passed' : 'FAILED'} (actual ${gate.actual ?? 'none'})`);
  }
  return out.join('\n');
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}
