/**
 * The engine's compareExports method: each exported ONNX file scored by ONNX Runtime on the
 * given split with the task's metric, through the same evaluation code that scores Loupe's own
 * model (which is scored too, as the reference), then timed on this machine.
 */
import { promises as fs } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { LoupeError, SPEED_IMAGES, THROUGHPUT_BATCH, type EvaluationReport } from '../../contract/index';
import type { EngineParsedRequestOf, EngineReplyOf } from '../../contract/engine/protocol';
import type { MethodContext } from '../worker/runtime';
import { prepareDataset, type PreparedDataset } from '../data/dataset';
import { measureSpeed, onnxBatchRunner } from '../export/onnx-batch-runner';
import { openOnnxSession } from '../export/onnx-parity';
import { Predictor } from '../train/predictor';
import { cardContext, evaluateSplit } from '../train/tasks/evaluation';
import type { ScoredModel } from '../train/scored-model';

type Reply = EngineReplyOf<'compareExports'>;
/** Images per evaluation batch, as the evaluate method uses. */
const COMPARE_BATCH_SIZE = 32;

/** The one number a task's exports are compared on. */
function metricOf(report: EvaluationReport): number | null {
  switch (report.task) {
    case 'classification':
      return report.accuracy;
    case 'segmentation':
      return report.meanDice;
    case 'detection':
      return report.mAP50;
    case 'verification':
      return report.eer;
  }
}

const METRICS: Record<EvaluationReport['task'], Reply['metric']> = {
  classification: { name: 'accuracy', lowerIsBetter: false },
  segmentation: { name: 'Dice', lowerIsBetter: false },
  detection: { name: 'mAP@0.5', lowerIsBetter: false },
  verification: { name: 'EER', lowerIsBetter: true },
};

export async function compareExports(
  request: EngineParsedRequestOf<'compareExports'>,
  context: MethodContext<'compareExports'>,
): Promise<Reply> {
  const predictor = await Predictor.load(request.modelDir);
  try {
    const { card } = predictor;
    const samples = request.dataset.samples.filter((s) => s.split === request.split);
    if (samples.length === 0) throw new LoupeError('INVALID_REQUEST', `The ${request.split} split has no images.`);
    const dataset = { ...request.dataset, samples };
    // Two steps per export (score, time) and one for Loupe's own model.
    const total = 1 + 2 * request.variants.length;
    let done = 0;
    const step = () => context.progress({ done: ++done, total });
    const prepared = new Map<boolean, PreparedDataset>();
    const preparedFor = async (baked: boolean): Promise<PreparedDataset> => {
      const known = prepared.get(baked);
      if (known) return known;
      const data = await prepareDataset(dataset, card.preprocessing, { signal: context.signal, scaled: !baked });
      prepared.set(baked, data);
      return data;
    };
    const evaluation = cardContext(card);
    const score = async (model: ScoredModel, data: PreparedDataset): Promise<number | null> => {
      const outcome = await evaluateSplit(model, data, request.split, evaluation, {
        batchSize: COMPARE_BATCH_SIZE,
        signal: context.signal,
      });
      return metricOf(outcome.report);
    };
    const loupeMetric = await score(predictor.model, await preparedFor(false));
    step();
    const rows: Reply['rows'] = [];
    for (const variant of request.variants) {
      const bytes = await fs.readFile(variant.modelFile).catch((error: Error) => {
        throw new LoupeError('NOT_FOUND', `Could not read ${variant.modelFile}: ${error.message}`);
      });
      const session = await openOnnxSession(bytes);
      try {
        const data = await preparedFor(variant.preprocessingBaked);
        const metric = await score(onnxBatchRunner(session, card, predictor.model.outputs[0]!.shape), data);
        step();
        const inputs = data.splits[request.split].slice(0, SPEED_IMAGES).map((s) => s.image);
        const speed = await measureSpeed(session, card, inputs, THROUGHPUT_BATCH, context.signal);
        step();
        rows.push({
          format: variant.format,
          precision: variant.precision,
          modelFile: variant.modelFile,
          modelBytes: bytes.length,
          metric,
          ...speed,
        });
      } finally {
        await session.release();
      }
    }
    return {
      metric: METRICS[card.task],
      loupeMetric,
      images: samples.length,
      runtime: `onnxruntime-node ${ort.env.versions.node ?? '?'} (CPU, 1 thread)`,
      rows,
    };
  } finally {
    predictor.dispose();
  }
}
