/**
 * Micro-benchmark of the custom wasm training kernels on ConvNeXt-atto-like shapes (32x32 input, batch 64,
 * dims 40/80/160/320). Prints JSON: median/min milliseconds per call on wasm, GFLOP/s, and the same kernel on
 * tfjs-backend-cpu for reference (skip it with --no-cpu). Run: pnpm exec tsx bench/kernels.ts
 */
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '../src/index';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid';

interface BenchCase {
  label: string;
  kernel: string;
  /** Multiply-accumulates per call, for GFLOP/s. */
  macs: number;
  /** Builds fresh inputs and attrs (outside the timed region). */
  prepare: () => { inputs: tf.NamedTensorMap; attrs: tf.NamedAttrMap };
}

function randomTensor(shape: number[]): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32', 42);
}

/** The filter gradient of a dense convolution, and with `withInput` its input gradient too. */
function convCase(label: string, x: Shape4, filter: Shape4, stride: number, pad: Pad, withInput = false): BenchCase[] {
  const info = tf.backend_util.computeConv2DInfo(x, filter, stride, 1, pad);
  const macs = info.batchSize * info.outHeight * info.outWidth * filter[0] * filter[1] * filter[2] * filter[3];
  const filterGrad: BenchCase = {
    label,
    kernel: tf.Conv2DBackpropFilter,
    macs,
    prepare: () => ({
      inputs: { x: randomTensor(x), dy: randomTensor(info.outShape) },
      attrs: { strides: stride, pad, dataFormat: 'NHWC', filterShape: filter },
    }),
  };
  const inputGrad: BenchCase = {
    label,
    kernel: tf.Conv2DBackpropInput,
    macs,
    prepare: () => ({
      inputs: { dy: randomTensor(info.outShape), filter: randomTensor(filter) },
      attrs: { strides: stride, pad, dataFormat: 'NHWC', inputShape: x },
    }),
  };
  return withInput ? [filterGrad, inputGrad] : [filterGrad];
}

function depthwiseCase(label: string, x: Shape4, k: number, stride: number): BenchCase[] {
  const filter: Shape4 = [k, k, x[3], 1];
  const info = tf.backend_util.computeConv2DInfo(x, filter, stride, 1, 'same', undefined, true);
  const macs = info.batchSize * info.outHeight * info.outWidth * k * k * x[3];
  const attrs = { strides: stride, pad: 'same', dilations: 1 };
  return [
    {
      label,
      kernel: tf.DepthwiseConv2dNativeBackpropFilter,
      macs,
      prepare: () => ({
        inputs: { x: randomTensor(x), dy: randomTensor(info.outShape) },
        attrs: { ...attrs, filterShape: filter },
      }),
    },
    {
      label,
      kernel: tf.DepthwiseConv2dNativeBackpropInput,
      macs,
      prepare: () => ({
        inputs: { dy: randomTensor(info.outShape), filter: randomTensor(filter) },
        attrs: { ...attrs, inputShape: x },
      }),
    },
  ];
}

function maxPoolCase(label: string, x: Shape4): BenchCase {
  const info = tf.backend_util.computePool2DInfo(x, 2, 2, 1, 'valid');
  return {
    label,
    kernel: tf.MaxPoolGrad,
    macs: x[0] * x[1] * x[2] * x[3],
    prepare: () => {
      const input = randomTensor(x);
      return {
        inputs: { dy: randomTensor(info.outShape), input, output: tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid') },
        attrs: { filterSize: 2, strides: 2, pad: 'valid' },
      };
    },
  };
}

function gatherCase(): BenchCase {
  return {
    label: 'gather grad: 64 rows of 320 from a [1000,320] table',
    kernel: tf.UnsortedSegmentSum,
    macs: 64 * 320,
    prepare: () => ({
      inputs: {
        x: randomTensor([64, 320]),
        segmentIds: tf.tensor1d(Array.from({ length: 64 }, (_, i) => (i * 37) % 1000), 'int32'),
      },
      attrs: { numSegments: 1000 },
    }),
  };
}

const B = 64;
const CASES: BenchCase[] = [
  ...convCase('stem 4x4 s4, 3->40, x [64,32,32,3]', [B, 32, 32, 3], [4, 4, 3, 40], 4, 'valid'),
  ...convCase('stem 2x2 s2, 3->40, x [64,32,32,3]', [B, 32, 32, 3], [2, 2, 3, 40], 2, 'valid'),
  ...convCase('downsample 2x2 s2, 40->80, x [64,8,8,40]', [B, 8, 8, 40], [2, 2, 40, 80], 2, 'valid'),
  ...convCase('downsample 2x2 s2, 80->160, x [64,4,4,80]', [B, 4, 4, 80], [2, 2, 80, 160], 2, 'valid'),
  ...convCase('downsample 2x2 s2, 160->320, x [64,2,2,160]', [B, 2, 2, 160], [2, 2, 160, 320], 2, 'valid'),
  ...convCase('3x3 s1 same, 64->64, x [64,16,16,64]', [B, 16, 16, 64], [3, 3, 64, 64], 1, 'same', true),
  ...convCase('3x3 s2 same, 48->96, x [64,8,8,48]', [B, 8, 8, 48], [3, 3, 48, 96], 2, 'same', true),
  ...convCase('3x3 s1 same, 192->192, x [64,2,2,192]', [B, 2, 2, 192], [3, 3, 192, 192], 1, 'same', true),
  ...depthwiseCase('dw 7x7, x [64,16,16,40]', [B, 16, 16, 40], 7, 1),
  ...depthwiseCase('dw 7x7, x [64,8,8,40]', [B, 8, 8, 40], 7, 1),
  ...depthwiseCase('dw 7x7, x [64,4,4,80]', [B, 4, 4, 80], 7, 1),
  ...depthwiseCase('dw 7x7, x [64,2,2,160]', [B, 2, 2, 160], 7, 1),
  ...depthwiseCase('dw 7x7, x [64,1,1,320]', [B, 1, 1, 320], 7, 1),
  ...depthwiseCase('dw 7x7, x [64,8,8,320]', [B, 8, 8, 320], 7, 1),
  maxPoolCase('maxPool 2x2 s2 grad, x [64,16,16,40]', [B, 16, 16, 40]),
  gatherCase(),
];

/** Milliseconds per kernel call, sorted ascending (one untimed warm-up call first). */
function timeKernel(c: BenchCase, reps: number): number[] {
  const times: number[] = [];
  for (let i = 0; i <= reps; i++) {
    tf.tidy(() => {
      const { inputs, attrs } = c.prepare();
      const start = performance.now();
      tf.engine().runKernel(c.kernel, inputs, attrs);
      if (i > 0) times.push(performance.now() - start);
    });
  }
  return times.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const withCpu = !process.argv.includes('--no-cpu');
  const reps = 7;
  if (withCpu) await setupBackend('cpu');
  await setupBackend('wasm');
  const results = [];
  for (const c of CASES) {
    await tf.setBackend('wasm');
    const wasm = timeKernel(c, reps);
    const median = wasm[Math.floor(wasm.length / 2)];
    let cpuMs: number | null = null;
    if (withCpu) {
      await tf.setBackend('cpu');
      const cpu = timeKernel(c, 2);
      cpuMs = +cpu[0].toFixed(2);
    }
    results.push({
      kernel: c.kernel,
      case: c.label,
      wasmMsMedian: +median.toFixed(2),
      wasmMsMin: +wasm[0].toFixed(2),
      gflops: +((2 * c.macs) / (median * 1e6)).toFixed(2),
      cpuMsMin: cpuMs,
    });
  }
  console.log(JSON.stringify({ node: process.version, reps, results }, null, 2));
}

await main();
