import {
  backend_util,
  DepthwiseConv2dNativeBackpropFilter,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { asWasmBackend, floatView, zeroedOutput } from './wasm_tensors';

/**
 * Depthwise filter gradient, NHWC, channel multiplier M (output channel c*M + m reads input channel c):
 * dW[fh,fw,c,m] = sum over (b,oh,ow) of x[b, oh*sh + fh*dh - padTop, ow*sw + fw*dw - padLeft, c] * dy[b,oh,ow,c*M+m].
 * For each dy pixel the taps are visited in turn; the innermost loop runs over contiguous channels.
 */
export const depthwiseConv2dNativeBackpropFilter: KernelFunc = ({ inputs, backend: rawBackend, attrs }) => {
  const backend = asWasmBackend(rawBackend);
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, filterShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  const out = zeroedOutput(backend, info.filterShape, 'float32');
  const dW = floatView(backend, out);
  const xv = floatView(backend, x);
  const dyv = floatView(backend, dy);

  const { batchSize, inHeight, inWidth, inChannels: ch, outHeight, outWidth, outChannels } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { filterHeight: fhN, filterWidth: fwN } = info;
  const mult = outChannels / ch;
  const top = info.padInfo.top;
  const left = info.padInfo.left;

  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyOff = ((b * outHeight + oh) * outWidth + ow) * outChannels;
        for (let fh = 0; fh < fhN; fh++) {
          const ih = oh * sh + fh * dh - top;
          if (ih < 0 || ih >= inHeight) continue;
          for (let fw = 0; fw < fwN; fw++) {
            const iw = ow * sw + fw * dw - left;
            if (iw < 0 || iw >= inWidth) continue;
            const xOff = ((b * inHeight + ih) * inWidth + iw) * ch;
            const wOff = (fh * fwN + fw) * outChannels;
            if (mult === 1) {
              for (let c = 0; c < ch; c++) dW[wOff + c] += xv[xOff + c] * dyv[dyOff + c];
            } else {
              for (let c = 0; c < ch; c++) {
                const xc = xv[xOff + c];
                const base = c * mult;
                for (let m = 0; m < mult; m++) dW[wOff + base + m] += xc * dyv[dyOff + base + m];
              }
            }
          }
        }
      }
    }
  }
  return out;
};

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter,
};
