import {
  type AgreementLabel,
  cohenKappa,
  confusionMatrix,
  percentAgreement,
  sortedLabels,
} from '../../stats/agreement.js';
import { positionConsistency, selfAgreement } from '../../stats/consistency.js';
import { fleissKappa, ratingTable } from '../../stats/fleiss.js';
import { type AlphaLevel, krippendorffAlpha } from '../../stats/krippendorff.js';
import { spearman } from '../../stats/spearman.js';
import { labelKey, majorityLabel } from './labels.js';
import type {
  CalibrateSettings,
  CalibrationInput,
  CalibrationReport,
  HumanAgreement,
  HumanLabelRecord,
  JudgeCalibration,
  JudgeVerdictRecord,
  ReviewerAgreement,
} from './types.js';

/** NaN (undefined statistic) as null, for JSON and MLflow. */
const num = (value: number): number | null => (Number.isFinite(value) ? value : null);

/**
 * The calibration report: for every judge (feedback name × source × prompt version) its agreement with
 * the majority human label of the same criterion and with each reviewer; for every criterion the
 * agreement among the humans; position consistency of a pairwise judge. Pure: no I/O.
 *
 * A reviewer who labelled an item twice counts once, with the label given last.
 */
export function calibrate(
  input: CalibrationInput,
  settings: CalibrateSettings = { weights: 'none' },
): Omit<CalibrationReport, 'run_id' | 'source'> {
  const labelsByName = humansByName(input.humans);
  const judgeGroups = new Map<string, JudgeVerdictRecord[]>();
  for (const verdict of input.judges) {
    const key = JSON.stringify([
      verdict.name,
      verdict.judge,
      verdict.prompt?.name ?? null,
      verdict.prompt?.version ?? null,
    ]);
    const group = judgeGroups.get(key);
    if (group === undefined) judgeGroups.set(key, [verdict]);
    else group.push(verdict);
  }
  const unlabelled = new Set<string>();
  const judges = [...judgeGroups.values()]
    .filter((verdicts) => {
      const name = (verdicts[0] as JudgeVerdictRecord).name;
      if (labelsByName.has(name)) return true;
      unlabelled.add(name);
      return false;
    })
    .map((verdicts) =>
      judgeCalibration(verdicts, labelsByName.get((verdicts[0] as JudgeVerdictRecord).name), input, settings),
    )
    .sort(
      (a, b) =>
        a.name.localeCompare(b.name) ||
        a.judge.localeCompare(b.judge) ||
        (a.prompt_version ?? '').localeCompare(b.prompt_version ?? '', undefined, { numeric: true }),
    );
  const humans = [...labelsByName.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, items]) => humanAgreement(name, items, settings));
  const judgedNames = new Set(input.judges.map((j) => j.name));
  const unmatched: Record<string, number> = {};
  for (const label of input.humans)
    if (!judgedNames.has(label.name)) unmatched[label.name] = (unmatched[label.name] ?? 0) + 1;
  let position: CalibrationReport['position'] = null;
  if (input.pairwise !== undefined) {
    const result = positionConsistency(input.pairwise.rows);
    position = {
      judge: input.pairwise.judge,
      pairs: result.pairs,
      consistent: result.consistent,
      position_consistency: num(result.rate),
      first_position_rate: num(result.firstPositionRate),
    };
  }
  return {
    schema: 'judgeflow.calibration/v1',
    judges,
    humans,
    position,
    unlabelled_judges: [...unlabelled].sort(),
    unmatched_labels: unmatched,
  };
}

/** item → reviewer → label, per criterion (item order as first seen). */
type ItemLabels = Map<string, Map<string, AgreementLabel>>;

function humansByName(humans: readonly HumanLabelRecord[]): Map<string, ItemLabels> {
  const out = new Map<string, ItemLabels>();
  for (const label of humans) {
    const items: ItemLabels = out.get(label.name) ?? new Map();
    out.set(label.name, items);
    const reviewers = items.get(label.itemId) ?? new Map<string, AgreementLabel>();
    items.set(label.itemId, reviewers);
    reviewers.set(label.reviewer, label.value);
  }
  return out;
}

function judgeCalibration(
  verdicts: readonly JudgeVerdictRecord[],
  items: ItemLabels | undefined,
  input: CalibrationInput,
  settings: CalibrateSettings,
): JudgeCalibration {
  const first = verdicts[0] as JudgeVerdictRecord;
  // the last verdict per item counts (a re-run overwrote it)
  const byItem = new Map<string, JudgeVerdictRecord>();
  for (const verdict of verdicts) byItem.set(verdict.itemId, verdict);
  const human: AgreementLabel[] = [];
  const judge: AgreementLabel[] = [];
  const humanMeans: number[] = [];
  const judgeScores: number[] = [];
  let noMajority = 0;
  const reviewerPairs = new Map<string, { human: AgreementLabel[]; judge: AgreementLabel[] }>();
  for (const [itemId, verdict] of byItem) {
    const labels = items?.get(itemId);
    if (labels === undefined || labels.size === 0) continue;
    const values = [...labels.values()];
    const majority = majorityLabel(values);
    if (majority === undefined) noMajority += 1;
    else {
      human.push(majority);
      judge.push(verdict.value);
    }
    if (typeof verdict.value === 'number' && values.every((v) => typeof v === 'number')) {
      judgeScores.push(verdict.value);
      humanMeans.push((values as number[]).reduce((a, b) => a + b, 0) / values.length);
    }
    for (const [reviewer, value] of labels) {
      const pair = reviewerPairs.get(reviewer) ?? { human: [], judge: [] };
      reviewerPairs.set(reviewer, pair);
      pair.human.push(value);
      pair.judge.push(verdict.value);
    }
  }
  const labels = sortedLabels([...human, ...judge]);
  const kappaOptions = { weights: settings.weights };
  const perReviewer: ReviewerAgreement[] = [...reviewerPairs.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([reviewer, pair]) => ({
      reviewer,
      n: pair.human.length,
      accuracy: num(percentAgreement(pair.human, pair.judge)),
      cohen_kappa: num(cohenKappa(pair.human, pair.judge, kappaOptions)),
    }));
  const sampled = [...byItem.values()]
    .filter((v) => v.samples !== undefined)
    .map((v) => v.samples as AgreementLabel[]);
  const self = sampled.length > 0 ? selfAgreement(sampled) : undefined;
  const rank = judgeScores.length > 0 ? spearman(humanMeans, judgeScores) : undefined;
  return {
    name: first.name,
    judge: first.judge,
    source_type: first.sourceType,
    prompt_name: first.prompt?.name ?? null,
    prompt_version: first.prompt?.version ?? null,
    n: human.length,
    no_majority: noMajority,
    accuracy: num(percentAgreement(human, judge)),
    cohen_kappa: num(cohenKappa(human, judge, kappaOptions)),
    kappa_weights: settings.weights,
    confusion: { labels, matrix: confusionMatrix(human, judge, labels) },
    spearman: rank === undefined ? null : { rho: num(rank.rho), p_value: num(rank.pValue), n: rank.n },
    per_reviewer: perReviewer,
    self_agreement:
      self === undefined
        ? null
        : {
            items: self.items,
            unanimous: num(self.unanimous),
            mean_pairwise: num(self.meanPairwise),
            fleiss_kappa: num(self.fleissKappa),
          },
    overridden: input.overridden[first.name] ?? 0,
  };
}

function humanAgreement(name: string, items: ItemLabels, settings: CalibrateSettings): HumanAgreement {
  const reviewers = [...new Set([...items.values()].flatMap((labels) => [...labels.keys()]))].sort();
  const all = [...items.values()].flatMap((labels) => [...labels.values()]);
  const numeric = all.length > 0 && all.every((v) => typeof v === 'number');
  const level: AlphaLevel = settings.alphaLevel ?? (numeric ? 'interval' : 'nominal');
  const multi = [...items.values()].filter((labels) => labels.size >= 2);
  let pairwise = 0;
  for (const labels of multi) {
    const values = [...labels.values()];
    let agree = 0;
    let pairs = 0;
    for (let i = 0; i < values.length; i++)
      for (let j = i + 1; j < values.length; j++) {
        pairs += 1;
        if (labelKey(values[i] as AgreementLabel) === labelKey(values[j] as AgreementLabel)) agree += 1;
      }
    pairwise += agree / pairs;
  }
  let cohen = Number.NaN;
  if (reviewers.length === 2) {
    const [r1, r2] = reviewers as [string, string];
    const both = multi.filter((labels) => labels.has(r1) && labels.has(r2));
    cohen = cohenKappa(
      both.map((labels) => labels.get(r1) as AgreementLabel),
      both.map((labels) => labels.get(r2) as AgreementLabel),
      { weights: settings.weights },
    );
  }
  const complete = [...items.values()].filter((labels) => reviewers.every((r) => labels.has(r)));
  const fleiss =
    reviewers.length >= 2 && complete.length > 0
      ? fleissKappa(ratingTable(complete.map((labels) => [...labels.values()])).table)
      : Number.NaN;
  const mixed = all.some((v) => typeof v === 'string') && all.some((v) => typeof v === 'number');
  const alpha =
    reviewers.length >= 2 && !mixed && (level === 'nominal' || numeric)
      ? krippendorffAlpha(
          reviewers.map((reviewer) => [...items.values()].map((labels) => labels.get(reviewer) ?? null)),
          { level },
        )
      : Number.NaN;
  return {
    name,
    reviewers,
    items: multi.length,
    percent_agreement: multi.length > 0 ? pairwise / multi.length : null,
    cohen_kappa: num(cohen),
    fleiss_kappa: num(fleiss),
    krippendorff_alpha: num(alpha),
    alpha_level: level,
  };
}
