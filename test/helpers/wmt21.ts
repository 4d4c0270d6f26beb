import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sharedData } from './shared-data.js';

// The WMT21 en→de newstest2021 data in ../shared/data/wmt21_ende_mqm (see its README): sources, the
// human references A, C and D, 8 systems' outputs, and Google's per-segment MQM scores.

const wmt21 = sharedData('wmt21_ende_mqm', path.join('newstest2021', 'sources'));
export const wmt21Directory = path.join(wmt21.dir, 'newstest2021');

/** Why WMT21 tests are skipped, or undefined when the data is there. */
export function wmt21Missing(): string | undefined {
  return wmt21.missing;
}

/** The 8 systems whose outputs are in the data, with their names in the MQM file. */
export const WMT21_SYSTEMS: ReadonlyArray<{ file: string; mqm: string }> = [
  { file: 'Facebook-AI', mqm: 'Facebook-AI' },
  { file: 'HuaweiTSC', mqm: 'HuaweiTSC' },
  { file: 'NVIDIA-NeMo', mqm: 'Nemo' },
  { file: 'Online-W', mqm: 'Online-W' },
  { file: 'UEdin', mqm: 'UEdin' },
  { file: 'VolcTrans-AT', mqm: 'VolcTrans-AT' },
  { file: 'VolcTrans-GLAT', mqm: 'VolcTrans-GLAT' },
  { file: 'eTranslation', mqm: 'eTranslation' },
];

export const WMT21_REFERENCES = ['A', 'C', 'D'] as const;

/** The lines of a text file, one segment each (split on "\n" only, as the files are line-aligned). */
function lines(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  if (all.length !== 1002) throw new Error(`${file}: expected 1002 lines, found ${all.length}`);
  return all;
}

export function wmt21Source(): string[] {
  return lines(path.join(wmt21Directory, 'sources', 'newstest2021.en-de.src.en'));
}

export function wmt21Reference(name: (typeof WMT21_REFERENCES)[number]): string[] {
  return lines(path.join(wmt21Directory, 'references', `newstest2021.en-de.ref.${name}.de`));
}

export function wmt21System(file: string): string[] {
  return lines(path.join(wmt21Directory, 'system-outputs', `newstest2021.en-de.hyp.${file}.de`));
}

/**
 * MQM scores by MQM system name: per segment (index = seg_id - 1), null where the segment was not
 * rated. Rows are `system<TAB>score<SPACE>seg_id`; splitting on any whitespace works (README).
 */
export function wmt21Mqm(): Map<string, (number | null)[]> {
  const file = path.join(wmt21Directory, 'mqm_newstest2021_ende.avg_seg_scores.tsv');
  const bySystem = new Map<string, (number | null)[]>();
  readFileSync(file, 'utf8')
    .split('\n')
    .slice(1)
    .forEach((line, index) => {
      if (line.trim() === '') return;
      const [system, score, segment] = line.trim().split(/\s+/);
      const segmentNumber = Number(segment);
      if (system === undefined || score === undefined || !Number.isInteger(segmentNumber)) {
        throw new Error(`${file}:${index + 2}: expected "system score seg_id", got ${JSON.stringify(line)}`);
      }
      const scores = bySystem.get(system) ?? new Array<number | null>(1002).fill(null);
      scores[segmentNumber - 1] = score === 'None' ? null : Number(score);
      bySystem.set(system, scores);
    });
  return bySystem;
}
