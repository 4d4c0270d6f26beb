export {
  type DatasetFormat,
  type DatasetOrigin,
  type DatasetSource,
  datasetName,
  type FileDatasetSource,
  formatFromExtension,
  type RawRow,
  type RecordsDatasetSource,
  type RowsDatasetSource,
} from './dataset-source.js';
export { csvCell, readCsv } from './read-csv.js';
export { type ReadDatasetOptions, readDataset } from './read-dataset.js';
export { readJsonArray } from './read-json-array.js';
export { readJsonl } from './read-jsonl.js';
export { fileFormat, readRawRows } from './read-raw-rows.js';
export { maxYamlBytes, readYaml } from './read-yaml.js';
export {
  type DatasetScan,
  datasetInfo,
  digestLength,
  type MissingInput,
  type RowReference,
  type ScanDatasetOptions,
  scanDataset,
} from './scan-dataset.js';
export type { DatasetSchemaSummary, OutputsKind } from './schema-summary.js';
export { validateRow } from './validate-row.js';
