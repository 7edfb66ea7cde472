// Times one AdamW step over convnext_atto-sized parameters on the wasm backend, set up by @nextnets/backend (which
// registers the fused AdamW kernel unless NEXTNETS_WASM_FAST=0).
// Run: pnpm bench [--composite] [--steps 20]   (from packages/optim). `--composite` forces the ~10-op path (A/B).
// Prints JSON {backend, fused, params, tensors, steps, ms_per_step (mean wall), median_ms, min_ms, cpu_median_ms,
// cpu_min_ms}; the process-CPU times are the steadier measure on a shared machine.
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@nextnets/backend';
import { AdamW, makeParamGroups, type Grads, type NamedParam } from '../src/index'; // '@nextnets/optim' outside this repository

/** timm convnext_atto parameter shapes (depths 2,2,6,2; dims 40,80,160,320) in tfjs layouts (HWIO convs, [in,out] dense). */
function convnextAttoShapes(): [string, number[]][] {
  const depths = [2, 2, 6, 2];
  const dims = [40, 80, 160, 320];
  const shapes: [string, number[]][] = [
    ['stem.0.weight', [4, 4, 3, dims[0]]],
    ['stem.0.bias', [dims[0]]],
    ['stem.1.weight', [dims[0]]],
    ['stem.1.bias', [dims[0]]],
  ];
  dims.forEach((d, i) => {
    if (i > 0) {
      const prev = dims[i - 1];
      shapes.push(
        [`stages.${i}.downsample.0.weight`, [prev]],
        [`stages.${i}.downsample.0.bias`, [prev]],
        [`stages.${i}.downsample.1.weight`, [2, 2, prev, d]],
        [`stages.${i}.downsample.1.bias`, [d]],
      );
    }
    for (let b = 0; b < depths[i]; b++) {
      const p = `stages.${i}.blocks.${b}`;
      shapes.push(
        [`${p}.conv_dw.weight`, [7, 7, d, 1]],
        [`${p}.conv_dw.bias`, [d]],
        [`${p}.norm.weight`, [d]],
        [`${p}.norm.bias`, [d]],
        [`${p}.mlp.fc1.weight`, [d, 4 * d]],
        [`${p}.mlp.fc1.bias`, [4 * d]],
        [`${p}.mlp.fc2.weight`, [4 * d, d]],
        [`${p}.mlp.fc2.bias`, [d]],
        [`${p}.gamma`, [d]],
      );
    }
  });
  shapes.push(['head.norm.weight', [320]], ['head.norm.bias', [320]], ['head.fc.weight', [320, 1000]], ['head.fc.bias', [1000]]);
  return shapes;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const composite = args.includes('--composite');
  const stepsFlag = args.indexOf('--steps');
  await setupBackend('wasm');
  const shapes = convnextAttoShapes();
  const params: NamedParam[] = shapes.map(([name, shape]) => ({
    name,
    variable: tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, 0.02, 'float32', 1))),
  }));
  const grads: Grads = Object.fromEntries(shapes.map(([name, shape]) => [name, tf.randomNormal(shape, 0, 1e-3, 'float32', 2)]));
  const optimizer = new AdamW(makeParamGroups(params, { weightDecay: 0.05 }), { lr: 4e-3, fused: !composite });
  const warmup = 3;
  const steps = stepsFlag >= 0 ? Number(args[stepsFlag + 1]) : 20;
  for (let i = 0; i < warmup; i++) optimizer.step(grads);
  const tensorsBefore = tf.memory().numTensors;
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    optimizer.step(grads);
    params[params.length - 1].variable.dataSync(); // make sure the step's work has completed
    const cpu = process.cpuUsage(cpuStart);
    times.push(performance.now() - start);
    cpuTimes.push((cpu.user + cpu.system) / 1000);
  }
  const cpuSorted = [...cpuTimes].sort((a, b) => a - b);
  const msPerStep = times.reduce((a, b) => a + b, 0) / steps;
  const sorted = [...times].sort((a, b) => a - b);
  if (tf.memory().numTensors !== tensorsBefore) throw new Error('bench: AdamW.step leaked tensors');
  const numParams = params.reduce((sum, p) => sum + p.variable.size, 0);
  console.log(
    JSON.stringify({
      backend: tf.getBackend(),
      fused: optimizer.fusedKernelAvailable(),
      params: numParams,
      tensors: params.length,
      steps,
      ms_per_step: +msPerStep.toFixed(2),
      median_ms: +sorted[Math.floor(steps / 2)].toFixed(2),
      min_ms: +sorted[0].toFixed(2),
      cpu_median_ms: +cpuSorted[Math.floor(steps / 2)].toFixed(2),
      cpu_min_ms: +cpuSorted[0].toFixed(2),
    }),
  );
  optimizer.dispose();
  tf.dispose([...params.map((p) => p.variable), ...Object.values(grads)]);
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exitCode = 1;
});
