import { createModel, getModelEntry, withShapeOnlyInit, type ImageClassifier } from '@nextnets/core-layers';
import { CliError } from '../cli/errors.js';
import '../models.js';

/** Builds a registered model with overrides; unknown names/keys become one-line CLI errors. */
export function buildModel(name: string, args: Record<string, unknown> = {}): ImageClassifier {
  try {
    getModelEntry(name);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  try {
    return createModel(name, args);
  } catch (error) {
    throw new CliError(`cannot build ${name} with ${JSON.stringify(args)}: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** Input channels of a model: the `inChans` override, else 3. */
export function modelChannels(args: Record<string, unknown>): number {
  const inChans = args.inChans;
  if (inChans === undefined) return 3;
  if (typeof inChans !== 'number' || !Number.isInteger(inChans) || inChans < 1) {
    throw new CliError(`model arg inChans must be a positive integer, got ${JSON.stringify(inChans)}`);
  }
  return inChans;
}

/** Names of a model's classifier parameters: those that `resetClassifier` replaces (re-initialising them). */
export function resetClassifierParams(model: ImageClassifier): string[] {
  const before = new Map(model.namedParameters());
  model.resetClassifier(model.numClasses);
  return model.namedParameters().filter(([name, p]) => before.get(name) !== p).map(([name]) => name);
}

/** The parameter name of the classifier's weight of a model built with these overrides (no weights are drawn). */
export function classifierWeightName(name: string, args: Record<string, unknown>): string | undefined {
  return withShapeOnlyInit(() => {
    const model = buildModel(name, args);
    try {
      return resetClassifierParams(model).filter((n) => n.endsWith('weight')).pop();
    } finally {
      model.dispose();
    }
  });
}
