import {
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { asWasmBackend, assertChannelsLast, floatView, zeroedOutput } from './wasm_tensors';

/** tfjs' attrs carry no dilations for this kernel; an optional `dilations` is honoured when given. */
type Attrs = Conv2DBackpropFilterAttrs & { dilations?: number | [number, number] };

/**
 * dW[fh,fw,ci,co] = sum over (b,oh,ow) of x[b, oh*sh + fh*dh - padTop, ow*sw + fw*dw - padLeft, ci] * dy[b,oh,ow,co].
 * Loop order: one dy pixel row at a time, then each filter tap, then the outer product x-row (ci) by
 * dy-row (co); the innermost loop runs over contiguous output channels in both dW and dy.
 */
export const conv2DBackpropFilter: KernelFunc = ({ inputs, backend: rawBackend, attrs }) => {
  const backend = asWasmBackend(rawBackend);
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape, dilations } = attrs as unknown as Attrs;
  assertChannelsLast(Conv2DBackpropFilter, dataFormat);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
  );
  const out = zeroedOutput(backend, info.filterShape, 'float32');
  const dW = floatView(backend, out);
  const xv = floatView(backend, x);
  const dyv = floatView(backend, dy);

  const { batchSize, inHeight, inWidth, inChannels: ci, outHeight, outWidth, outChannels: co } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { filterHeight: fhN, filterWidth: fwN } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const tapSize = ci * co;

  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyOff = ((b * outHeight + oh) * outWidth + ow) * co;
        for (let fh = 0; fh < fhN; fh++) {
          const ih = oh * sh + fh * dh - top;
          if (ih < 0 || ih >= inHeight) continue;
          for (let fw = 0; fw < fwN; fw++) {
            const iw = ow * sw + fw * dw - left;
            if (iw < 0 || iw >= inWidth) continue;
            const xOff = ((b * inHeight + ih) * inWidth + iw) * ci;
            let wOff = (fh * fwN + fw) * tapSize;
            for (let c = 0; c < ci; c++, wOff += co) {
              const xc = xv[xOff + c];
              if (xc === 0) continue;
              for (let o = 0; o < co; o++) dW[wOff + o] += xc * dyv[dyOff + o];
            }
          }
        }
      }
    }
  }
  return out;
};

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter,
};
