import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  backend_util,
  DepthwiseConv2dNative,
  DepthwiseConv2dNativeBackpropFilter,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { MIN_COVERAGE_FOR_XNNPACK, tapCoverage } from './tap_coverage';
import { asWasmBackend, floatView, releaseScratch, runStockKernel, scratchTensor, zeroedOutput } from './wasm_tensors';

/**
 * Depthwise filter gradient, NHWC, channel multiplier M (output channel c*M + m reads input channel c):
 * dW[fh,fw,c,m] = sum over (b,oh,ow) of x[b, oh*sh + fh*dh - padTop, ow*sw + fw*dw - padLeft, c] * dy[b,oh,ow,c*M+m].
 *
 * For M = 1 the sum over (oh,ow) is itself a depthwise correlation, run by the stock XNNPACK kernel: with batch
 * folded into channels, X = x as [1, H, W, B*C] and F = dy as [OH, OW, B*C, 1], correlating X with F at stride
 * (dh,dw) and dilation (sh,sw) gives [1, FH, FW, B*C]; summing over b yields dW. M > 1, and maps so small
 * that most taps fall in the padding, use the plain loops.
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
  const useXnnpack = info.outChannels === info.inChannels && tapCoverage(info) >= MIN_COVERAGE_FOR_XNNPACK;
  return useXnnpack ? viaBatchAsChannels(backend, x, dy, info) : viaLoops(backend, x, dy, info);
};

/** Copies [B, H, W, C] (keeping `rows` x `cols` of each image) into [H', W', B, C] order. */
function batchToChannels(src: Float32Array, dst: Float32Array, shape: number[], rows: number, cols: number): void {
  const [batch, height, width, ch] = shape;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < rows; h++) {
      for (let w = 0; w < cols; w++) {
        const from = ((b * height + h) * width + w) * ch;
        dst.set(src.subarray(from, from + ch), ((h * cols + w) * batch + b) * ch);
      }
    }
  }
}

function viaBatchAsChannels(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels: ch, outHeight, outWidth, filterHeight, filterWidth } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  // Input rows past the last one any window reaches are dropped, so that the bottom/right padding is >= 0.
  const reachHeight = (filterHeight - 1) * dh + (outHeight - 1) * sh + 1 - top;
  const reachWidth = (filterWidth - 1) * dw + (outWidth - 1) * sw + 1 - left;
  const rows = Math.min(inHeight, reachHeight);
  const cols = Math.min(inWidth, reachWidth);
  const channels = batchSize * ch;

  const folded = scratchTensor(backend, [1, rows, cols, channels]);
  const taps = scratchTensor(backend, [outHeight, outWidth, channels, 1]);
  batchToChannels(floatView(backend, x), floatView(backend, folded), x.shape, rows, cols);
  batchToChannels(floatView(backend, dy), floatView(backend, taps), dy.shape, outHeight, outWidth);
  const explicitPad: backend_util.ExplicitPadding = [
    [0, 0],
    [top, reachHeight - rows],
    [left, reachWidth - cols],
    [0, 0],
  ];
  const perImage = runStockKernel(
    backend,
    DepthwiseConv2dNative,
    { x: folded, filter: taps },
    { strides: [dh, dw], dilations: [sh, sw], pad: explicitPad },
  );
  releaseScratch(backend, folded, taps);

  const out = zeroedOutput(backend, info.filterShape, 'float32');
  const dW = floatView(backend, out);
  const pv = floatView(backend, perImage);
  const tapCount = filterHeight * filterWidth;
  for (let t = 0; t < tapCount; t++) {
    for (let b = 0; b < batchSize; b++) {
      const src = (t * batchSize + b) * ch;
      for (let c = 0; c < ch; c++) dW[t * ch + c] += pv[src + c];
    }
  }
  releaseScratch(backend, perImage);
  return out;
}

/** Per dy pixel, each tap in turn; the innermost loop runs over contiguous channels. */
function viaLoops(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
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
}

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter,
};
