/**
 * The addon's im2col convolutions against the routes they replace (the shifted per-tap GEMMs, XNNPACK or the
 * JavaScript im2col), interleaved in one process: median ms and GMAC/s per kernel on EfficientNetV2-B0's
 * few-channel convolutions at 224², batch 16, and on wider ones near the routing limits (where both columns are
 * the same route, the layer is not routed). Run from packages/backend-native:
 * `node --conditions=@nextnets/source --import tsx bench/im2col.ts [--reps 7] [--batch 16] [--threads 1] [--only NAME]`
 * (--threads: OpenBLAS threads; with more than one the products run on OpenBLAS).
 */
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@nextnets/backend';
import { useNativeGemm } from '../src/index';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : fallback);
const reps = option('--reps', 7);
const batch = option('--batch', 16);
const threads = option('--threads', 1);
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : null;

// [name, x [h, w, ci], filter [fh, fw, ci, co], stride]
const SHAPES: [string, [number, number, number], [number, number, number, number], number][] = [
  ['stem 3→32 s2', [224, 224, 3], [3, 3, 3, 32], 2],
  ['16→64 s2', [112, 112, 16], [3, 3, 16, 64], 2],
  ['32→16 s1', [112, 112, 32], [3, 3, 32, 16], 1],
  ['16→16 s1', [112, 112, 16], [3, 3, 16, 16], 1],
  ['24→24 s1', [56, 56, 24], [3, 3, 24, 24], 1],
  ['24→96 s1', [56, 56, 24], [3, 3, 24, 96], 1],
  ['32→128 s1', [56, 56, 32], [3, 3, 32, 128], 1],
  ['32→128 s2', [56, 56, 32], [3, 3, 32, 128], 2],
  ['48→192 s1', [28, 28, 48], [3, 3, 48, 192], 1],
  ['64→64 s1', [56, 56, 64], [3, 3, 64, 64], 1],
  ['96→96 s1', [28, 28, 96], [3, 3, 96, 96], 1],
  ['64→128 s2', [56, 56, 64], [3, 3, 64, 128], 2],
  ['96→192 s2', [56, 56, 96], [3, 3, 96, 192], 2],
  ['128→256 s2', [28, 28, 128], [3, 3, 128, 256], 2],
  ['256→512 s2', [14, 14, 256], [3, 3, 256, 512], 2],
];

await setupBackend('wasm');
if (!useNativeGemm({ threads })) throw new Error('the addon is not built');
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

function ab(fn: () => tf.Tensor, macs: number): string {
  const ms: Record<string, number[]> = { before: [], im2col: [] };
  for (let r = 0; r < reps + 1; r++) {
    for (const kind of ['before', 'im2col'] as const) {
      useNativeGemm({ threads, im2colConv: kind === 'im2col' });
      const start = performance.now();
      const out = fn();
      if (r > 0) ms[kind].push(performance.now() - start); // the first round warms up
      out.dispose();
    }
  }
  const [b, a] = [median(ms.before), median(ms.im2col)];
  return `${b.toFixed(1)} → ${a.toFixed(1)} ms (${(macs / b / 1e6).toFixed(0)} → ${(macs / a / 1e6).toFixed(0)} GMAC/s)`;
}

for (const [name, [h, w, ci], filterShape, stride] of SHAPES) {
  if (only != null && !name.includes(only)) continue;
  const x = tf.randomUniform([batch, h, w, ci], -1, 1) as tf.Tensor4D;
  const filter = tf.randomUniform(filterShape, -1, 1) as tf.Tensor4D;
  const y = tf.conv2d(x, filter, stride, 'same');
  const dy = tf.randomUniform(y.shape, -1, 1) as tf.Tensor4D;
  const macs = y.size * filterShape[0] * filterShape[1] * ci;
  const attrs = { strides: stride, pad: 'same', dataFormat: 'NHWC', dilations: 1 };
  const row = {
    shape: name,
    forward: ab(() => tf.conv2d(x, filter, stride, 'same'), macs),
    input: ab(() => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, { ...attrs, inputShape: x.shape }) as tf.Tensor, macs),
    filter: ab(() => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrs, filterShape }) as tf.Tensor, macs),
  };
  console.log(JSON.stringify(row));
  tf.dispose([x, filter, y, dy]);
}
