import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelCard } from '../../contract/index';
import { buildTfjsBundle, TFJS_FILES } from './tfjs-export';
import { openStockTfjs } from './tfjs-stock';

/** Dense weights just over two of tfjs's 4 MiB shards. */
const UNITS = 1100;
const FEATURES = 1024;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('TF.js bundle files', () => {
  it('splits weights into 4 MiB shards that model.json lists in order, and stock tfjs reads them back', async () => {
    const input = tf.input({ shape: [FEATURES] });
    const output = tf.layers
      .dense({ units: UNITS, kernelInitializer: tf.initializers.randomNormal({ seed: 1 }) })
      .apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    const card = { task: 'verification' } as ModelCard;
    const bundle = await buildTfjsBundle(model, card, {});
    expect(bundle.weightBytes).toBe((FEATURES * UNITS + UNITS) * 4);
    expect(bundle.shards).toEqual(['group1-shard1of2.bin', 'group1-shard2of2.bin']);
    expect((bundle.files[bundle.shards[0]!] as Uint8Array).length).toBe(4 * 1024 * 1024);
    expect(bundle.page).toBeNull();
    const json = JSON.parse(bundle.files[TFJS_FILES.modelJson] as string) as tf.io.ModelJSON;
    expect(json.weightsManifest[0]!.paths).toEqual(bundle.shards.map((s) => `./${s}`));

    const joined = Buffer.concat(bundle.shards.map((s) => bundle.files[s] as Uint8Array)).toString('base64');
    const stock = await openStockTfjs([]);
    const theirs = (await stock.run({
      name: 'check.js',
      text: `(async () => {
        const json = ${bundle.files[TFJS_FILES.modelJson] as string};
        const weightData = Uint8Array.from(atob('${joined}'), (c) => c.charCodeAt(0)).buffer;
        const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }));
        return Array.from(model.predict(tf.ones([1, ${FEATURES}])).dataSync());
      })()`,
    })) as number[];
    const ours = Array.from(tf.tidy(() => (model.predict(tf.ones([1, FEATURES])) as tf.Tensor).dataSync()));
    expect(theirs).toEqual(ours);
    model.dispose();
  }, 60_000);
});
