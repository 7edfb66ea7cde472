import { Cifar10Dataset } from './cifar10';
import { IdxDataset } from './idx';
import { ImageFolder } from './imageFolder';
import { RgbDataset, Subset } from './split';
import { SyntheticShapes } from './syntheticShapes';
import type { Dataset, DatasetDescriptor } from './types';

/** Rebuilds a dataset from its descriptor (used inside loader worker threads). */
export function datasetFromDescriptor(descriptor: DatasetDescriptor): Dataset {
  switch (descriptor.kind) {
    case 'imageFolder':
      return ImageFolder.fromDescriptor(descriptor);
    case 'idx':
      return new IdxDataset(descriptor.imagesPath, descriptor.labelsPath, descriptor.classes);
    case 'cifar10':
      return new Cifar10Dataset(descriptor.files);
    case 'synthetic':
      return new SyntheticShapes(descriptor.options);
    case 'subset':
      return new Subset(datasetFromDescriptor(descriptor.base), descriptor.indices);
    case 'toRgb':
      return new RgbDataset(datasetFromDescriptor(descriptor.base));
    default:
      throw new Error(`unknown dataset descriptor kind ${JSON.stringify((descriptor as { kind: unknown }).kind)}`);
  }
}
