export { calibrate } from './compute.js';
export { formatCalibration } from './format.js';
export { readLabelsFile } from './from-file.js';
export {
  calibrationInputFromTraces,
  PROMPT_NAME_KEY,
  PROMPT_VERSION_KEY,
  SAMPLE_VALUES_KEY,
} from './from-mlflow.js';
export { labelOf, majorityLabel } from './labels.js';
export {
  CALIBRATED_RUN_TAG,
  CALIBRATION_ARTIFACT,
  CALIBRATION_TABLE_ARTIFACT,
  calibrationMetrics,
  LATEST_CALIBRATION_TAG,
} from './mlflow-log.js';
export { type CalibrateOptions, runCalibrate } from './run-calibrate.js';
export type * from './types.js';
