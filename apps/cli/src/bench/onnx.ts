/** Inference throughput through onnxruntime-node: the model is exported to ONNX in memory, then timed like `measure`. */
import { reparameterize } from '@nextnets/models-rep';
import { buildModel } from '../model/build.js';
import { exportOnnxBytes, loadOnnx } from '../model/engine.js';
import { timeIt, type BenchCase, type BenchResult } from './measure.js';

/** Measures one case's eval forward through onnxruntime with `threads` intra-op threads (inference only). */
export async function measureOnnx(c: BenchCase, warmup: number, steps: number, threads: number, numClasses = 10): Promise<BenchResult> {
  const model = buildModel(c.model, { numClasses });
  let bytes: Uint8Array;
  try {
    model.eval();
    if (c.reparameterized) reparameterize(model);
    bytes = exportOnnxBytes(model, { modelName: c.model, modelArgs: { numClasses }, inputSize: [3, c.size, c.size] });
  } finally {
    model.dispose();
  }
  const session = await loadOnnx(bytes, threads);
  try {
    const images = new Float32Array(c.batch * 3 * c.size * c.size);
    // Deterministic non-zero inputs (the values do not change the work done).
    for (let i = 0; i < images.length; i++) images[i] = Math.sin(i * 12.9898) * 1.7;
    const shape = [c.batch, 3, c.size, c.size];
    const seconds = await timeIt(() => session.run(images, shape, 'NCHW'), warmup, steps);
    const peakRssMiB = process.resourceUsage().maxRSS / 1024;
    return { ...c, engine: 'onnxruntime', replicas: 1, trainImgPerSec: null, inferImgPerSec: c.batch / seconds, peakRssMiB };
  } finally {
    await session.dispose();
  }
}
