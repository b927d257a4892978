/**
 * How `loupe train` shows a run: one redrawn progress line on a terminal (epoch, batch, loss,
 * metric, ETA) and one permanent line per finished epoch, which is also all a log file gets.
 */
import type { EpochRecord, TrainingProgress } from '../../../contract/index';

/** "1h02m", "3m05s", "42s". */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

function number(value: number | null): string {
  if (value === null) return 'n/a';
  return Math.abs(value) >= 100 ? value.toFixed(1) : value.toFixed(4);
}

const PHASE_WORDS: Record<TrainingProgress['phase'], string> = {
  preparing: 'reading images',
  training: 'training',
  validating: 'validating',
  evaluating: 'testing',
  saving: 'saving the model',
};

/** The redrawn line: `epoch 3/20 [#####.....] batch 5/9 loss 0.4321 accuracy 0.9120 ETA 1m20s`. */
export function progressText(p: TrainingProgress, width = 20): string {
  if (p.phase !== 'training') {
    const part = p.batches > 0 ? ` ${p.batch}/${p.batches}` : '';
    return `epoch ${p.epoch + 1}/${p.epochs} ${PHASE_WORDS[p.phase]}${part}`;
  }
  const fraction = p.batches > 0 ? (p.batch + 1) / p.batches : 0;
  const filled = Math.round(fraction * width);
  const parts = [
    `epoch ${p.epoch + 1}/${p.epochs}`,
    `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`,
    `batch ${p.batch + 1}/${p.batches}`,
  ];
  if (p.loss !== null) parts.push(`loss ${number(p.loss)}`);
  if (p.metric) parts.push(`${p.metric.name} ${number(p.metric.value)}`);
  if (p.etaMs !== null) parts.push(`ETA ${formatDuration(p.etaMs)}`);
  return parts.join(' ');
}

/** The permanent line of a finished epoch, with its validation metrics. */
export function epochLine(record: EpochRecord, epochs: number, metricName: string | null): string {
  const parts = [`epoch ${record.epoch + 1}/${epochs}`, `loss ${number(record.trainLoss)}`];
  if (metricName && record.trainMetric !== null) parts.push(`${metricName} ${number(record.trainMetric)}`);
  for (const [name, value] of Object.entries(record.validation)) parts.push(`${name} ${number(value)}`);
  if (record.sparsity !== undefined) parts.push(`sparsity ${number(record.sparsity)}`);
  parts.push(formatDuration(record.durationMs));
  if (record.trainImagesPerSecond !== undefined) parts.push(`${record.trainImagesPerSecond.toFixed(1)} images/s`);
  return parts.join('  ');
}
