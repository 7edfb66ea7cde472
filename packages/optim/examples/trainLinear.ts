// Trains a 2-class linear classifier for 10 steps with AdamW + cosine warmup schedule + EMA.
// Run: pnpm example   (from packages/optim)
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { pathToFileURL } from 'node:url';
import { registerGradients } from '@nextnets/backend';
import {
  AdamW,
  LrScheduler,
  ModelEma,
  clipGradNorm,
  cosineWithWarmup,
  crossEntropy,
  makeParamGroups,
  type Grads,
  type NamedParam,
} from '../src/index'; // '@nextnets/optim' outside this repository

export async function trainLinear(steps = 10): Promise<{ losses: number[]; emaLoss: number }> {
  await tf.setBackend('cpu');
  await registerGradients(); // tfjs-core alone ships no gradient functions in Node
  // toy data: class 1 iff x0 + x1 > 0
  const points = [[1, 2], [2, 0.5], [0.3, 0.9], [1.5, -0.5], [-1, -2], [-2, 0.5], [-0.4, -0.9], [-1.5, 0.4]];
  const x = tf.tensor2d(points);
  const labels = points.map(([a, b]) => (a + b > 0 ? 1 : 0));
  const params: NamedParam[] = [
    { name: 'head.fc.weight', variable: tf.tidy(() => tf.variable(tf.zeros([2, 2]))) }, // [in, out]
    { name: 'head.fc.bias', variable: tf.tidy(() => tf.variable(tf.zeros([2]))) },
  ];
  const [weight, bias] = params.map((p) => p.variable);
  const loss = () => crossEntropy(tf.add(tf.matMul(x, weight), bias), labels, { labelSmoothing: 0.1 });

  // weight decay on the 2-D weight only (defaultNoDecay excludes biases and 1-D params)
  const optimizer = new AdamW(makeParamGroups(params, { weightDecay: 0.05 }));
  const scheduler = new LrScheduler(cosineWithWarmup({ baseLr: 0.1, warmupSteps: 2, totalSteps: steps }));
  const ema = new ModelEma(params.map((p) => [p.name, p.variable]), { decay: 0.9 });

  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const { value, grads } = tf.variableGrads(loss, [weight, bias]);
    // tf.variableGrads keys by tfjs variable name; re-key by our parameter names
    const named: Grads = Object.fromEntries(params.map((p) => [p.name, grads[p.variable.name]]));
    clipGradNorm(named, 5);
    optimizer.step(named, scheduler.lr);
    scheduler.advance();
    ema.update();
    losses.push(value.dataSync()[0]);
    tf.dispose([value, ...Object.values(named)]);
  }

  ema.swap(); // evaluate with the EMA weights …
  const emaLossTensor = tf.tidy(loss);
  const emaLoss = emaLossTensor.dataSync()[0];
  ema.swap(); // … and switch back
  tf.dispose([emaLossTensor, x, weight, bias]);
  optimizer.dispose();
  ema.dispose();
  return { losses, emaLoss };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  trainLinear().then(({ losses, emaLoss }) => console.log(JSON.stringify({ losses, emaLoss })));
}
