/**
 * The runs that compressed a run: pruned while fine-tuning from it, or distilled with it as the
 * teacher. Their ONNX exports join the run's own in its comparison, scored on the same images,
 * so that a user sees what pruning or a smaller student cost and saved next to the original.
 */
import { isDeepStrictEqual } from 'node:util';
import type { ComparisonSource, ExportComparison, RunRecord } from '../../../contract/index';
import { runExports, type OnnxBundle } from './run-exports';
import type { RunStore } from './run-store';

export interface CompressedRun {
  source: ComparisonSource;
  bundles: OnnxBundle[];
}

/** How `record` compressed the run `parentId`, or null when it did not. */
function compressionOf(record: RunRecord, parentId: string): Omit<ComparisonSource, 'runId'> | null {
  const { config } = record;
  if (config.distill?.teacherRunId === parentId) {
    const { temperature, alpha } = config.distill;
    return { kind: 'distilled', detail: `${config.model.architecture} student, T ${temperature}, α ${alpha}` };
  }
  const from = config.fineTune?.from;
  const fromParent = (from?.kind === 'loupe-model' || from?.kind === 'run') && from.runId === parentId;
  if (config.prune && fromParent)
    return { kind: 'pruned', detail: `${Math.round(config.prune.targetSparsity * 100)} % sparse` };
  return null;
}

/**
 * The completed runs that pruned or distilled `parent`, each with its ONNX exports on disk; a run
 * with none, or whose model takes other inputs than the parent's (so it cannot be scored on the
 * same prepared images), is listed in `skipped` with the reason.
 */
export async function compressedRunsOf(
  store: RunStore,
  parent: RunRecord,
): Promise<{ runs: CompressedRun[]; skipped: ExportComparison['skipped'] }> {
  const runs: CompressedRun[] = [];
  const skipped: ExportComparison['skipped'] = [];
  for (const row of store.list()) {
    if (row.id === parent.runId || row.state !== 'completed') continue;
    const record = await store.record(row.id);
    const compression = record ? compressionOf(record, parent.runId) : null;
    if (!record || !compression) continue;
    const kind = compression.kind as 'pruned' | 'distilled';
    if (
      !isDeepStrictEqual(record.preprocessing, parent.preprocessing) ||
      !isDeepStrictEqual(record.classes, parent.classes)
    ) {
      skipped.push({
        runId: row.id,
        kind,
        reason: 'its model takes other inputs or classes than this run’s, so it cannot be scored on the same images',
      });
      continue;
    }
    const { onnx } = await runExports(store.folder(row.id));
    const fp32 = onnx.filter((b) => b.precision === 'fp32');
    if (fp32.length === 0) {
      skipped.push({ runId: row.id, kind, reason: `it has no ONNX fp32 export yet; export run ${row.id} first` });
      continue;
    }
    runs.push({ source: { ...compression, runId: row.id }, bundles: fp32 });
  }
  return { runs, skipped };
}
