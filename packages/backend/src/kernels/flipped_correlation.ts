import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import { floatView, scratchTensor } from './wasm_tensors';

/**
 * The input of an input gradient computed as a forward correlation with the flipped filter (dense and depthwise
 * convolutions alike): dy with stride − 1 zero rows and columns inserted between its pixels (rows past inHeight + padTop
 * only ever meet padding and are cropped), and the explicit padding, (FH − 1)·d − padTop rows on top (columns likewise)
 * and as many at the bottom as make the correlation at stride 1 and dilation d come out inHeight × inWidth. At stride 1
 * with nothing cropped the input is dy itself (`copied` false); otherwise a scratch tensor the caller releases.
 */
export function correlationInput(
  backend: BackendWasm,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): { x: TensorInfo; copied: boolean; pad: backend_util.ExplicitPadding } {
  const { batchSize, inHeight, inWidth, outHeight, outWidth, outChannels: co, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const upHeight = Math.min((outHeight - 1) * sh + 1, inHeight + top);
  const upWidth = Math.min((outWidth - 1) * sw + 1, inWidth + left);
  const pad: backend_util.ExplicitPadding = [
    [0, 0],
    [(info.filterHeight - 1) * info.dilationHeight - top, inHeight - upHeight + top],
    [(info.filterWidth - 1) * info.dilationWidth - left, inWidth - upWidth + left],
    [0, 0],
  ];
  if (sh === 1 && sw === 1 && upHeight === outHeight && upWidth === outWidth) return { x: dy, copied: false, pad };
  const x = scratchTensor(backend, [batchSize, upHeight, upWidth, co]);
  const dyv = floatView(backend, dy);
  const up = floatView(backend, x);
  up.fill(0);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh * sh < upHeight; oh++) {
      for (let ow = 0; ow * sw < upWidth; ow++) {
        const src = ((b * outHeight + oh) * outWidth + ow) * co;
        up.set(dyv.subarray(src, src + co), ((b * upHeight + oh * sh) * upWidth + ow * sw) * co);
      }
    }
  }
  return { x, copied: true, pad };
}
