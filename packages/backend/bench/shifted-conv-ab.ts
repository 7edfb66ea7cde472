/**
 * A/B of the dense 3×3 convolutions of tf_efficientnetv2_b0 at 224² batch 16: the registered Conv2D and
 * Conv2DBackpropInput kernels against the shifted-row GEMMs (src/kernels/shifted_conv.ts) called directly, interleaved, median ms of each. With `--native-gemm` the heap GEMM is
 * OpenBLAS on one thread (@nextnets/backend-native), else our wasm GEMM. Prints one JSON line per shape.
 * Run from packages/backend: `node --conditions=@nextnets/source --import tsx bench/shifted-conv-ab.ts [--native-gemm] [--reps 5]`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useNativeGemm } from '../../backend-native/src/index';
import { setupBackend } from '../src/index';
import { heapGemm } from '../src/kernels/heap_gemm';
import { shiftedConvForward, shiftedConvInputGradient } from '../src/kernels/shifted_conv';
import { asWasmBackend } from '../src/kernels/wasm_tensors';
import { median } from './fixture';

/** [x shape, filter shape, stride] of the model's dense 3×3 convolutions ('same' padding). */
const SHAPES: Array<[[number, number, number, number], [number, number, number, number], number]> = [
  [[16, 112, 112, 32], [3, 3, 32, 16], 1],
  [[16, 56, 56, 32], [3, 3, 32, 128], 1],
  [[16, 28, 28, 48], [3, 3, 48, 192], 1],
  [[16, 224, 224, 3], [3, 3, 3, 32], 2],
  [[16, 112, 112, 16], [3, 3, 16, 64], 2],
  [[16, 56, 56, 32], [3, 3, 32, 128], 2],
];

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const reps = argv.includes('--reps') ? Number(argv[argv.indexOf('--reps') + 1]) : 5;
  await setupBackend('wasm');
  if (argv.includes('--native-gemm') && !useNativeGemm({ threads: 1 })) throw new Error('--native-gemm: addon not built');
  const backend = asWasmBackend(tf.backend());
  const gemm = heapGemm(backend);
  if (gemm == null) throw new Error('no heap GEMM (wasm SIMD missing?)');
  for (const [xShape, wShape, stride] of SHAPES) {
    const x = tf.randomNormal(xShape, 0, 1, 'float32', 1);
    const w = tf.randomNormal(wShape, 0, 0.1, 'float32', 2);
    const info = tf.backend_util.computeConv2DInfo(xShape, wShape, stride, 1, 'same');
    const dy = tf.randomNormal(info.outShape, 0, 1, 'float32', 3);
    const attrs = { strides: stride, pad: 'same', dataFormat: 'NHWC' } as const;
    const cases: Record<string, () => tf.Tensor | tf.TensorInfo> = {
      forward_stock: () => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, 'same'),
      forward_shifted: () => shiftedConvForward(backend, gemm, x, w, info),
      input_stock: () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w }, { ...attrs, inputShape: xShape }) as tf.Tensor,
      input_shifted: () => shiftedConvInputGradient(backend, gemm, dy, w, info),
    };
    const times: Record<string, number[]> = {};
    const diffs: Record<string, number> = {};
    for (let r = 0; r < reps; r++) {
      const results: Record<string, Float32Array> = {};
      for (const [name, run] of Object.entries(cases)) {
        const start = performance.now();
        const out = run();
        (times[name] ??= []).push(performance.now() - start);
        results[name] = backend.typedArrayFromHeap(out).slice() as Float32Array;
        if (out instanceof tf.Tensor) out.dispose();
        else backend.disposeData(out.dataId);
      }
      for (const kind of ['forward', 'input']) {
        const a = results[`${kind}_stock`];
        const b = results[`${kind}_shifted`];
        let worst = 0;
        let scale = 0;
        for (let i = 0; i < a.length; i++) {
          worst = Math.max(worst, Math.abs(a[i] - b[i]));
          scale = Math.max(scale, Math.abs(a[i]));
        }
        diffs[kind] = worst / scale;
      }
    }
    const ms = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, +median(v).toFixed(1)]));
    console.log(JSON.stringify({ x: xShape, filter: wShape, stride, gemm: argv.includes('--native-gemm') ? 'OpenBLAS x1' : 'wasm', ms, maxRelDiff: diffs }));
    tf.dispose([x, w, dy]);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
