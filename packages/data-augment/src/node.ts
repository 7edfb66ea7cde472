/**
 * `@nextnets/data-augment/node`: what needs Node.js: the file-based datasets (ImageFolder decoded with sharp,
 * MNIST/Fashion-MNIST IDX files, CIFAR-10 batches), dataset descriptors that name them, and the DataLoader with its
 * worker threads. The main entry (transforms, Mixup/CutMix, RandAugment, batching on pixel arrays) is browser-safe.
 */
export {
  ImageFolder,
  decodeImageFile,
  describeSkipped,
  maxImagePixels,
  DEFAULT_MAX_IMAGE_PIXELS,
  type ImageFolderOptions,
} from './datasets/imageFolder';
export {
  FashionMNIST,
  MNIST,
  IdxDataset,
  parseIdx,
  FASHION_MNIST_CLASSES,
  MNIST_CLASSES,
  DEFAULT_FASHION_MNIST_DIR,
  DEFAULT_MNIST_DIR,
  type IdxOptions,
} from './datasets/idx';
export { Cifar10, Cifar10Dataset, CIFAR10_CLASSES, type Cifar10Options } from './datasets/cifar10';
export { datasetFromDescriptor } from './datasets/fromDescriptor';
export { DataLoader, type DataLoaderOptions, type EpochOverrides, type LoaderBatch } from './loader';
