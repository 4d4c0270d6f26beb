import type { AgreementLabel, KappaWeights } from '../../stats/agreement.js';
import type { AlphaLevel } from '../../stats/krippendorff.js';

/** One person's label on one item (a trace, or a row of a labelled dataset) for one criterion. */
export interface HumanLabelRecord {
  /** The trace id, or the dataset's row id. */
  itemId: string;
  /** The criterion: the judge's feedback name. */
  name: string;
  value: AgreementLabel;
  reviewer: string;
}

/** One judge's verdict on one item. */
export interface JudgeVerdictRecord {
  itemId: string;
  /** The feedback name (the criterion it judges). */
  name: string;
  /** The judge's source id (model URI for LLM judges, the scorer name for code). */
  judge: string;
  sourceType: 'LLM_JUDGE' | 'CODE';
  value: AgreementLabel;
  /** `judgeflow.prompt.name` / `judgeflow.prompt.version` of the assessment, when recorded. */
  prompt?: { name: string; version: string };
  /** Every sample's value when the judge ran with `samples: n` (`judgeflow.judge.sampleValues`). */
  samples?: AgreementLabel[];
}

/** Everything calibration compares, whatever it was read from. */
export interface CalibrationInput {
  humans: HumanLabelRecord[];
  judges: JudgeVerdictRecord[];
  /** Assessments MLflow marks `valid: false` (overridden), per feedback name. */
  overridden: Record<string, number>;
  /** Pairwise verdicts in both orders, from a comparison.json. */
  pairwise?: { judge: string; rows: Array<{ ab: PairOrder; ba: PairOrder }> };
}

export type PairOrder = 'A' | 'B' | 'tie' | 'error';

export interface CalibrateSettings {
  /** Cohen's kappa weights (ordinal scales: linear or quadratic). Default none. */
  weights: KappaWeights;
  /** Krippendorff's alpha level between humans; default nominal for categories, interval for numbers. */
  alphaLevel?: AlphaLevel;
}

/** Agreement of the judge with one reviewer. */
export interface ReviewerAgreement {
  reviewer: string;
  n: number;
  accuracy: number | null;
  cohen_kappa: number | null;
}

/** One judge (feedback name, source, prompt version) against the human labels of its criterion. */
export interface JudgeCalibration {
  /** The feedback name, i.e. the criterion. */
  name: string;
  judge: string;
  source_type: 'LLM_JUDGE' | 'CODE';
  prompt_name: string | null;
  prompt_version: string | null;
  /** Items with a verdict of this judge and a majority human label. */
  n: number;
  /** Judged items with human labels but no majority (a tie between reviewers): left out of n. */
  no_majority: number;
  accuracy: number | null;
  cohen_kappa: number | null;
  kappa_weights: KappaWeights;
  /** Rows the majority human label, columns the judge, over `labels`. */
  confusion: { labels: AgreementLabel[]; matrix: number[][] };
  /** Judge score against the mean human score, when both are numbers. */
  spearman: { rho: number | null; p_value: number | null; n: number } | null;
  per_reviewer: ReviewerAgreement[];
  self_agreement: {
    items: number;
    unanimous: number | null;
    mean_pairwise: number | null;
    fleiss_kappa: number | null;
  } | null;
  /** Overridden (valid: false) assessments of this feedback name. */
  overridden: number;
}

/** Agreement among the people who labelled one criterion: the ceiling a judge can be held to. */
export interface HumanAgreement {
  name: string;
  reviewers: string[];
  /** Items labelled by at least two reviewers. */
  items: number;
  /** Mean over those items of the share of agreeing reviewer pairs. */
  percent_agreement: number | null;
  /** With exactly two reviewers, over the items both labelled. */
  cohen_kappa: number | null;
  /** Over the items every reviewer labelled. */
  fleiss_kappa: number | null;
  krippendorff_alpha: number | null;
  alpha_level: AlphaLevel;
}

export interface CalibrationReport {
  schema: 'judgeflow.calibration/v1';
  /** The evaluated run, when the verdicts came from MLflow. */
  run_id: string | null;
  source: 'mlflow' | 'dataset';
  judges: JudgeCalibration[];
  humans: HumanAgreement[];
  position: {
    judge: string;
    pairs: number;
    consistent: number;
    position_consistency: number | null;
    first_position_rate: number | null;
  } | null;
  /** Feedback names judged on the items but labelled by no one (not calibrated). */
  unlabelled_judges: string[];
  /** Human labels on criteria no judge assessed, per name. */
  unmatched_labels: Record<string, number>;
  mlflow?: { calibration_run_id: string; experiment_id: string; url: string };
}
