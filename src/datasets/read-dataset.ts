import { DatasetError, JudgeflowError } from '../core/errors.js';
import { rowIdFromInputs } from '../core/ids.js';
import type { DatasetRow, EvalRecord } from '../core/record.js';
import { type DatasetSource, sourceLabel } from './dataset-source.js';
import { readRawRows } from './read-raw-rows.js';
import { type DatasetScan, fileStampOf, type RowSelection } from './scan-dataset.js';
import { validateRow } from './validate-row.js';

export interface ReadDatasetOptions {
  /** The scan of the same source: it holds the selection (limit/sample) and the ids of repeated inputs. */
  scan: DatasetScan;
  signal?: AbortSignal;
}

/**
 * Streams the validated rows a run takes, one at a time, in file order, after `scanDataset` has
 * checked the whole dataset. `index` is the row's position among the selected rows. Only selected
 * rows are parsed into records; reading stops after the last selected row. A file that changed since
 * the scan is refused, so ids and the digest always describe the rows that run.
 */
export async function* readDataset(
  source: DatasetSource,
  options: ReadDatasetOptions,
): AsyncGenerator<DatasetRow> {
  const { scan, signal } = options;
  const { plan } = scan;
  if (source.kind !== plan.source.kind || sourceLabel(source) !== scan.source) {
    throw new JudgeflowError(
      `readDataset was given the scan of ${scan.source}, not of ${sourceLabel(source)}`,
    );
  }
  if (source.kind === 'file' && plan.fileStamp !== undefined) {
    const now = await fileStampOf(source.path);
    if (now.size !== plan.fileStamp.size || now.mtimeMs !== plan.fileStamp.mtimeMs) throw changedError(scan);
  }
  const isSelected = selector(plan.selection);
  let position = -1;
  let index = 0;
  for await (const { raw, location } of readRawRows(source)) {
    position++;
    signal?.throwIfAborted();
    if (!isSelected(position)) continue;
    const input = validateRow(raw, location);
    const id = input.id ?? plan.repeatedIds.get(position) ?? rowIdFromInputs(input.inputs);
    const record: EvalRecord = { ...input, id };
    yield { record, index, location };
    index++;
    if (index === scan.selectedRows) return;
  }
  throw changedError(scan);
}

/** A predicate over positions visited in increasing order. */
function selector(selection: RowSelection): (position: number) => boolean {
  switch (selection.kind) {
    case 'all':
      return () => true;
    case 'first':
      return (position) => position < selection.count;
    case 'positions': {
      let next = 0;
      return (position) => {
        if (selection.positions[next] !== position) return false;
        next++;
        return true;
      };
    }
  }
}

function changedError(scan: DatasetScan): DatasetError {
  return new DatasetError({
    file: scan.source,
    message: 'the dataset changed after it was validated',
    expected: 'the same rows as during validation',
  });
}
