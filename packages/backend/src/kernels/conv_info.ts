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

/**
 * The 14 geometry numbers the depthwise and im2col kernels take (wasm `setGeometry`, the native addon's calls):
 * batch, inH, inW, C, outH, outW, kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft.
 */
export function convGeometry(info: backend_util.Conv2DInfo): number[] {
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    info.padInfo.top,
    info.padInfo.left,
  ];
}
