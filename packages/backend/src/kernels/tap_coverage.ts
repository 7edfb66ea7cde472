import type { backend_util } from '@tensorflow/tfjs-core';

/** Fraction of the (output pixel, filter tap) pairs of one spatial axis whose input index lies inside the image. */
function axisCoverage(inSize: number, outSize: number, taps: number, stride: number, dilation: number, pad: number): number {
  let inside = 0;
  for (let o = 0; o < outSize; o++) {
    for (let t = 0; t < taps; t++) {
      const i = o * stride + t * dilation - pad;
      if (i >= 0 && i < inSize) inside++;
    }
  }
  return inside / (outSize * taps);
}

/**
 * Fraction of a convolution's multiply-adds that touch real input rather than padding. The XNNPACK paths of the
 * depthwise gradients compute every padded tap (plus packing overhead), while the plain loops skip padding, so
 * small feature maps under a large kernel (e.g. 7x7 'same' on 4x4 or 1x1) are faster with the loops.
 */
export function tapCoverage(info: backend_util.Conv2DInfo): number {
  return (
    axisCoverage(info.inHeight, info.outHeight, info.filterHeight, info.strideHeight, info.dilationHeight, info.padInfo.top) *
    axisCoverage(info.inWidth, info.outWidth, info.filterWidth, info.strideWidth, info.dilationWidth, info.padInfo.left)
  );
}

/** Below this coverage the plain loops beat XNNPACK (measured: 7x7 'same' on 8x8 has 0.62 → XNNPACK; 4x4 has 0.33 → loops). */
export const MIN_COVERAGE_FOR_XNNPACK = 0.5;
