import { createModel, getModelEntry, type ImageClassifier } from '@nextnets/core-layers';
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
