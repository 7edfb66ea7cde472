import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@nextnets/backend';
import { createModel } from '@nextnets/core-layers';
import { AdamW } from '@nextnets/optim';
import '@nextnets/models-convnext';
import { trainStep } from './train/step.js';
import { namedParams } from './train/optimizer.js';
await setupBackend('wasm');
const configs: Array<[string, Record<string, unknown>]> = [
  ['p2-24-48-96', { depths: [1, 2, 2], dims: [24, 48, 96], patchSize: 2, inChans: 1 }],
  ['p4-48-96', { depths: [2, 2], dims: [48, 96], patchSize: 4, inChans: 1 }],
  ['p2-32-64-128', { depths: [1, 2, 2], dims: [32, 64, 128], patchSize: 2, inChans: 1 }],
  ['p2-16-32-64', { depths: [1, 2, 2], dims: [16, 32, 64], patchSize: 2, inChans: 1 }],
];
for (const [name, args] of configs) {
  const m = createModel('convnext_atto', { ...args, numClasses: 10 });
  const params = namedParams(m);
  const opt = new AdamW(params, { lr: 1e-3, weightDecay: 0.05 });
  const bs = Number(process.env.BS ?? 128);
  const images = tf.randomNormal([bs, 28, 28, 1]) as tf.Tensor4D;
  const labels = tf.tensor1d(Array.from({ length: bs }, (_, i) => i % 10), 'int32') as tf.Tensor1D;
  const times: number[] = [];
  for (let i = 0; i < 6; i++) {
    const c = process.cpuUsage();
    trainStep(m, params, opt, { images, labels }, 1e-3, { smoothing: 0.1, l2WeightDecay: 0, noDecay: () => false });
    const d = process.cpuUsage(c);
    times.push((d.user + d.system) / 1000);
  }
  times.sort((a, b) => a - b);
  const c0 = process.cpuUsage();
  for (let i = 0; i < 3; i++) tf.tidy(() => m.eval().forward(images)).dataSync();
  const d0 = process.cpuUsage(c0);
  const inf = (3 * bs * 1e6) / (d0.user + d0.system);
  m.train();
  console.log(name, 'params', m.numParams(), 'train img/s', ((bs * 1000) / times[3]).toFixed(0), 'infer img/s', inf.toFixed(0), 'numTensors', tf.memory().numTensors);
}
