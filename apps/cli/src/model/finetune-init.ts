/**
 * Fine-tuning initialisation (as in ConvNeXt-V2's main_finetune.py): load a pre-trained checkpoint leniently —
 * tensors whose shape differs (the old classifier) or that the model lacks (an FCMAE decoder) are dropped — then
 * re-initialise the classifier with trunc-normal(std) weights and zero biases.
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadStateDict, truncNormal, torchShape, type ImageClassifier, type RawTensor } from '@nextnets/core-layers';
import { CliError } from '../cli/errors.js';
import { resetClassifierParams } from './build.js';

export interface FinetuneLoadReport {
  loaded: number;
  droppedShape: string[];
  unexpected: string[];
  missing: string[];
  head: string[];
}


/**
 * Loads `tensors` for fine-tuning. Every backbone tensor (all but the classifier) must load: a checkpoint of which
 * only some tensors match would otherwise fine-tune from mostly random weights while looking like a fine-tune. Pass
 * `allowPartial` (the CLI's `--allow-partial`) to accept that knowingly.
 */
export function loadForFinetune(
  model: ImageClassifier,
  tensors: Map<string, RawTensor>,
  source: string,
  headInitStd: number,
  allowPartial = false,
): FinetuneLoadReport {
  const expected = new Map<string, number[]>();
  for (const [name, p] of model.namedParameters()) expected.set(name, torchShape(p.shape, p.layout));
  for (const [name, b] of model.namedBuffers()) expected.set(name, [...b.variable.shape]);
  const kept = new Map<string, RawTensor>();
  const droppedShape: string[] = [];
  for (const [key, t] of tensors) {
    const want = expected.get(key);
    if (want && (want.length !== t.shape.length || want.some((d, i) => d !== t.shape[i]))) droppedShape.push(key);
    else kept.set(key, t);
  }
  let result;
  try {
    result = loadStateDict(model, kept, { strict: false, source });
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  const loaded = [...kept.keys()].filter((k) => expected.has(k)).length;
  if (loaded === 0) throw new CliError(`${source}: no tensor matches a parameter of the model (is it a checkpoint of this architecture?)`);
  const head = resetClassifierParams(model);
  const backbone = [...expected.keys()].filter((k) => !head.includes(k) && !k.endsWith('num_batches_tracked'));
  const notLoaded = backbone.filter((k) => !kept.has(k));
  if (notLoaded.length > 0 && !allowPartial) {
    const why = droppedShape.includes(notLoaded[0]) ? 'shape differs' : 'not in checkpoint';
    throw new CliError(
      `${source}: only ${backbone.length - notLoaded.length} of the ${backbone.length} backbone tensors load ` +
        `(first missing: ${notLoaded[0]}, ${why}); pass --allow-partial to fine-tune from a partial load`,
    );
  }
  tf.tidy(() => {
    for (const [name, p] of model.namedParameters()) {
      if (!head.includes(name)) continue;
      p.variable.assign(p.variable.rank >= 2 ? truncNormal(p.shape, headInitStd) : tf.zeros(p.shape));
    }
  });
  return { loaded, droppedShape, unexpected: result.unexpectedKeys, missing: result.missingKeys.filter((k) => !head.includes(k)), head };
}
