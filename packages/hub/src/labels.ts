/**
 * ImageNet-1k class names in class-index order (the WordNet lemmas of the ILSVRC-2012 synsets, as
 * `@tensorflow-models/mobilenet`'s IMAGENET_CLASSES, Apache-2.0; index 107 spelled 'jellyfish' as its WordNet
 * lemma n01910747).
 */
import classes from './imagenet-1k-classes.json';

export const IMAGENET_1K_CLASSES: readonly string[] = Object.freeze(classes as string[]);
