import {
  backend_util,
  type KernelConfig,
  type KernelFunc,
  MaxPoolGrad,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { asWasmBackend, floatView, zeroedOutput } from './wasm_tensors';

/**
 * MaxPool gradient, NHWC: each dy value goes to the first (row-major window order, like tfjs-backend-cpu
 * and TensorFlow) position holding its window's maximum. Replaces tfjs-backend-wasm 4.22's MaxPoolGrad, which
 * returns wrong values for batch > 1 or channels > 1 (it does not clear its output before accumulating).
 * Per output pixel the window is scanned tap by tap with the innermost loop over contiguous channels.
 */
export const maxPoolGrad: KernelFunc = ({ inputs, backend: rawBackend, attrs }) => {
  const backend = asWasmBackend(rawBackend);
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as MaxPoolGradAttrs;
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const out = zeroedOutput(backend, input.shape, 'float32');
  const dx = floatView(backend, out);
  const xv = floatView(backend, input);
  const dyv = floatView(backend, dy);

  const { batchSize, inHeight, inWidth, inChannels: ch, outHeight, outWidth } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { filterHeight: fhN, filterWidth: fwN } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const best = new Float32Array(ch);
  const bestAt = new Int32Array(ch);

  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        best.fill(-Infinity);
        bestAt.fill(-1);
        for (let fh = 0; fh < fhN; fh++) {
          const ih = oh * sh + fh * dh - top;
          if (ih < 0 || ih >= inHeight) continue;
          for (let fw = 0; fw < fwN; fw++) {
            const iw = ow * sw + fw * dw - left;
            if (iw < 0 || iw >= inWidth) continue;
            const xOff = ((b * inHeight + ih) * inWidth + iw) * ch;
            for (let c = 0; c < ch; c++) {
              const v = xv[xOff + c];
              if (v > best[c] || bestAt[c] < 0) {
                best[c] = v;
                bestAt[c] = xOff + c;
              }
            }
          }
        }
        const dyOff = ((b * outHeight + oh) * outWidth + ow) * ch;
        for (let c = 0; c < ch; c++) if (bestAt[c] >= 0) dx[bestAt[c]] += dyv[dyOff + c];
      }
    }
  }
  return out;
};

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad,
};
