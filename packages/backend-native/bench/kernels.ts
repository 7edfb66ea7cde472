/**
 * The addon's depthwise, GELU and LayerNorm kernels against our wasm ones, interleaved: median ms per shape of the depthwise
 * forward (with bias), input gradient and filter gradient (ConvNeXt-atto's 7×7 stages and InceptionNeXt-atto's
 * stage-1 branches at 224², batch 8; EfficientNetV2-B0's 3×3 layers of stages 3-5 at 224², batch 16), of GELU and its gradient (ConvNeXt-atto's MLP hidden activations) and of
 * LayerNorm and its gradient (ConvNeXt-atto's block norms). Run from
 * packages/backend-native: `node --conditions=@nextnets/source --import tsx bench/kernels.ts [--reps 7]`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@nextnets/backend';
import { nativeKernelIsa, useNativeGemm } from '../src/index';

// name, x shape, kernel, stride ('same' padding)
const SHAPES: [string, [number, number, number, number], [number, number], number?][] = [
  ['convnext s1', [8, 56, 56, 40], [7, 7]],
  ['convnext s2', [8, 28, 28, 80], [7, 7]],
  ['convnext s3', [8, 14, 14, 160], [7, 7]],
  ['convnext s4', [8, 7, 7, 320], [7, 7]],
  ['inception s1 3×3', [8, 56, 56, 10], [3, 3]],
  ['inception s1 1×9', [8, 56, 56, 10], [1, 9]],
  ['inception s1 9×1', [8, 56, 56, 10], [9, 1]],
  ['efficientnetv2 s3 3×3/2', [16, 28, 28, 192], [3, 3], 2],
  ['efficientnetv2 s3 3×3', [16, 14, 14, 384], [3, 3]],
  ['efficientnetv2 s4 3×3', [16, 14, 14, 672], [3, 3]],
  ['efficientnetv2 s5 3×3/2', [16, 14, 14, 672], [3, 3], 2],
  ['efficientnetv2 s5 3×3', [16, 7, 7, 1152], [3, 3]],
];

const argv = process.argv.slice(2);
const reps = argv.includes('--reps') ? Number(argv[argv.indexOf('--reps') + 1]) : 7;
await setupBackend('wasm');
if (!useNativeGemm({ threads: 1 })) throw new Error('the addon is not built');

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/** "wasm → native ms" of fn, median of `reps` interleaved calls; `use(native)` switches the kernel group. */
function ab(fn: () => tf.Tensor | tf.Tensor[], use: (native: boolean) => void): string {
  const ms: Record<string, number[]> = { wasm: [], native: [] };
  for (let r = 0; r < reps; r++) {
    for (const kind of ['wasm', 'native'] as const) {
      use(kind === 'native');
      const start = performance.now();
      tf.dispose(fn());
      ms[kind].push(performance.now() - start);
    }
  }
  return `${median(ms.wasm).toFixed(2)} → ${median(ms.native).toFixed(2)} ms`;
}

for (const [name, xShape, k, strides = 1] of SHAPES) {
  const x = tf.randomUniform(xShape, -1, 1) as tf.Tensor4D;
  const w = tf.randomUniform([...k, xShape[3], 1], -1, 1) as tf.Tensor4D;
  const bias = tf.randomUniform([xShape[3]], -1, 1) as tf.Tensor1D;
  const yShape: [number, number, number, number] = [xShape[0], Math.ceil(xShape[1] / strides), Math.ceil(xShape[2] / strides), xShape[3]];
  const dy = tf.randomUniform(yShape, -1, 1) as tf.Tensor4D;
  const attrs = { strides, pad: 'same', dilations: 1 };
  const ops: Record<string, () => tf.Tensor> = {
    forward: () => tf.fused.depthwiseConv2d({ x, filter: w, strides, pad: 'same', bias }),
    input: () => tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy, filter: w }, { ...attrs, inputShape: xShape }) as tf.Tensor,
    filter: () => tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy }, { ...attrs, filterShape: w.shape }) as tf.Tensor,
  };
  const row: Record<string, unknown> = { shape: name, x: xShape, k, strides };
  for (const [op, fn] of Object.entries(ops)) row[op] = ab(fn, (native) => useNativeGemm({ threads: 1, depthwise: native }));
  console.log(JSON.stringify(row));
  tf.dispose([x, w, bias, dy]);
}
for (const shape of [[25088, 160], [6272, 320], [1568, 640], [392, 1280]]) {
  const x = tf.randomNormal(shape);
  const dy = tf.randomNormal(shape);
  const use = (native: boolean) => useNativeGemm({ threads: 1, gelu: native });
  const gelu = ab(() => tf.engine().runKernel('NextnetsGelu', { x }) as tf.Tensor, use);
  const grad = ab(() => tf.engine().runKernel('NextnetsGeluGrad', { dy, x }) as tf.Tensor, use);
  console.log(JSON.stringify({ shape: `GELU ${shape}`, gelu, grad }));
  tf.dispose([x, dy]);
}
for (const [rows, c] of [[25088, 40], [6272, 80], [1568, 160], [392, 320]]) {
  const x = tf.randomNormal([rows, c]);
  const dy = tf.randomNormal([rows, c]);
  const weight = tf.randomNormal([c]);
  const bias = tf.randomNormal([c]);
  const [y, mean, rstd] = tf.engine().runKernel('NextnetsLayerNorm', { x, weight, bias }, { eps: 1e-6 }) as tf.Tensor[];
  const use = (native: boolean) => useNativeGemm({ threads: 1, layerNorm: native });
  const forward = ab(() => tf.engine().runKernel('NextnetsLayerNorm', { x, weight, bias }, { eps: 1e-6 }) as tf.Tensor[], use);
  const grad = ab(() => tf.engine().runKernel('NextnetsLayerNormGrad', { dy, x, weight, mean, rstd }) as tf.Tensor[], use);
  console.log(JSON.stringify({ shape: `LayerNorm ${rows}×${c}`, forward, grad }));
  tf.dispose([x, dy, weight, bias, y, mean, rstd]);
}
console.log(JSON.stringify({ isa: nativeKernelIsa() }));
