/** Evaluation of a classifier over a loader (the engine's `evaluateClassifier`), for `nextnets eval`. */
import type { ImageClassifier } from '@nextnets/core-layers';
import type { DataLoader } from '@nextnets/data-augment/node';
import { evaluateClassifier, type ClassificationEvaluation, type Predict } from '@nextnets/train';

export type EvalResult = ClassificationEvaluation;
export type { Predict };

export function evaluate(model: ImageClassifier, loader: DataLoader, numClasses: number, predict?: Predict): Promise<EvalResult> {
  return evaluateClassifier(model, loader.epoch(0), numClasses, predict);
}
