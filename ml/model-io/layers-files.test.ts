import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../models/index';
import { layersSaveHandler, loadLayersModelFile } from './layers-files';

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(path.join(os.tmpdir(), 'loupe-layers-files-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('layers model files', () => {
  it('loads weights split over several files, a weight across their boundary, as saved', async () => {
    const model = buildModel(
      { architecture: 'small-cnn' },
      { task: 'classification', inputShape: [16, 16, 1], numClasses: 3, seed: 2 },
    );
    await model.save(layersSaveHandler(dir));
    // Three shards as tfjs's converter writes them, cut at odd offsets (inside a weight's values).
    const weights = readFileSync(path.join(dir, 'weights.bin'));
    const cuts = [0, 1001, 7003, weights.length];
    const paths = cuts.slice(1).map((_, i) => `group1-shard${i + 1}of3.bin`);
    paths.forEach((name, i) => writeFileSync(path.join(dir, name), weights.subarray(cuts[i], cuts[i + 1])));
    unlinkSync(path.join(dir, 'weights.bin'));
    const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
    json.weightsManifest[0].paths = paths.map((p) => `./${p}`);
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));

    const loaded = await loadLayersModelFile(path.join(dir, 'model.json'));
    const [saved, read] = [model.getWeights(), loaded.getWeights()];
    expect(read.map((w) => w.shape)).toEqual(saved.map((w) => w.shape));
    for (let i = 0; i < saved.length; i++) expect(await read[i]!.data()).toEqual(await saved[i]!.data());
    model.dispose();
    loaded.dispose();
  });
});
