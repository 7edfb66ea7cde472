/**
 * Train a ConvNeXt on an ImageFolder (root/<class>/<image>) from a script: `tsx examples/imagefolder.ts ROOT OUT`.
 * The run folder gets what `nextnets train` writes: metrics.jsonl, curves.svg/png, last/ and best/ checkpoints.
 */
import { pathToFileURL } from 'node:url';
import { setupBackend } from '@nextnets/backend';
import { createModel, type ImageClassifier } from '@nextnets/core-layers';
import { buildTrainTransform } from '@nextnets/data-augment';
import { DataLoader, ImageFolder } from '@nextnets/data-augment/node';
import '@nextnets/models-convnext';
import { AdamW, cosineWithWarmup, LrScheduler } from '@nextnets/optim';
import { classificationTask, Trainer, type TrainResult } from '../src/index.js';
import { NodeStorage, svgToPng } from '../src/node.js';

export async function trainImageFolder(root: string, out: string, epochs = 2, modelArgs: Record<string, unknown> = {}): Promise<TrainResult> {
  await setupBackend('wasm');
  const data = new ImageFolder(root);
  const model = createModel('convnext_atto', { numClasses: data.classes.length, ...modelArgs }) as ImageClassifier;
  const train = new DataLoader({ dataset: data, batchSize: 8, shuffle: true, transform: buildTrainTransform({ size: 64 }) });
  const optimizer = new AdamW(model.namedParameters().map(([name, p]) => ({ name, variable: p.variable })), { weightDecay: 0.05 });
  const scheduler = new LrScheduler(cosineWithWarmup({ baseLr: 1e-3, totalSteps: epochs * train.length, warmupSteps: 1 }));
  const task = classificationTask(model, { numClasses: data.classes.length, smoothing: 0.1 });
  const trainer = new Trainer({ task, optimizer, scheduler, train, epochs, storage: new NodeStorage(out), renderPng: svgToPng });
  trainer.on('epochTrained', ({ epoch, trainLoss }) => console.log(`epoch ${epoch + 1}: loss ${trainLoss.toFixed(4)}`));
  const result = await trainer.run();
  optimizer.dispose();
  model.dispose();
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await trainImageFolder(process.argv[2] ?? 'data/imagenette/train', process.argv[3] ?? 'runs/script');
}
