import { backend_util, type Conv2DAttrs } from '@tensorflow/tfjs-core';

/** The attrs that fix a dense 2-D convolution's geometry (Conv2D and its input gradient; dilations default to 1). */
export type ConvGeometryAttrs = Pick<Conv2DAttrs, 'strides' | 'pad' | 'dimRoundingMode' | 'dataFormat'> & {
  dilations?: number | [number, number];
};

/** tfjs' Conv2DInfo of a dense convolution of an `inputShape` input with a `filterShape` filter. */
export function denseConvInfo(inputShape: number[], filterShape: number[], attrs: ConvGeometryAttrs): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(
    inputShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
}
