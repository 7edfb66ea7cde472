import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  backend_util,
  DepthwiseConv2dNative,
  DepthwiseConv2dNativeBackpropInput,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { correlationInput } from './flipped_correlation';
import { MIN_COVERAGE_FOR_XNNPACK, tapCoverage } from './tap_coverage';
import { asWasmBackend, floatView, releaseScratch, runStockKernel, scratchTensor, zeroedOutput } from './wasm_tensors';

/**
 * Depthwise input gradient, NHWC, channel multiplier M:
 * dx[b,ih,iw,c] = sum over taps (fh,fw) and m of W[fh,fw,c,m] * dy[b,oh,ow,c*M+m] where ih = oh*sh + fh*dh - padTop.
 *
 * For M = 1 this is a forward depthwise correlation of dy (zero-upsampled by the stride) with the spatially
 * flipped filter, run by the stock XNNPACK kernel: dx[i] = sum_g Wflip[g] * dyUp[i + g*dh - ((FH-1)*dh - padTop)].
 * Channel multipliers > 1, windows lying entirely in the padding, and maps so small that most taps fall in the
 * padding use the plain loops below.
 */
export const depthwiseConv2dNativeBackpropInput: KernelFunc = ({ inputs, backend: rawBackend, attrs }) => {
  const backend = asWasmBackend(rawBackend);
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, inputShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  const effectiveHeight = (info.filterHeight - 1) * info.dilationHeight;
  const effectiveWidth = (info.filterWidth - 1) * info.dilationWidth;
  const useXnnpack =
    info.outChannels === info.inChannels &&
    info.padInfo.top <= effectiveHeight &&
    info.padInfo.left <= effectiveWidth &&
    tapCoverage(info) >= MIN_COVERAGE_FOR_XNNPACK;
  return useXnnpack ? viaFlippedCorrelation(backend, dy, filter, info) : viaLoops(backend, dy, filter, info);
};

function viaFlippedCorrelation(
  backend: BackendWasm,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { inChannels: ch, filterHeight, filterWidth } = info;
  const flipped = scratchTensor(backend, [filterHeight, filterWidth, ch, 1]);
  const wv = floatView(backend, filter);
  const fv = floatView(backend, flipped);
  for (let fh = 0; fh < filterHeight; fh++) {
    for (let fw = 0; fw < filterWidth; fw++) {
      const src = (fh * filterWidth + fw) * ch;
      const dst = ((filterHeight - 1 - fh) * filterWidth + (filterWidth - 1 - fw)) * ch;
      fv.set(wv.subarray(src, src + ch), dst);
    }
  }
  const input = correlationInput(backend, dy, info);
  const dx = runStockKernel(
    backend,
    DepthwiseConv2dNative,
    { x: input.x, filter: flipped },
    { strides: 1, dilations: [info.dilationHeight, info.dilationWidth], pad: input.pad },
  );
  releaseScratch(backend, flipped, ...(input.copied ? [input.x] : []));
  return dx;
}

/** Scatter from each dy pixel; every access is sequential over channels. */
function viaLoops(backend: BackendWasm, dy: TensorInfo, filter: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const out = zeroedOutput(backend, info.inShape, 'float32');
  const dx = floatView(backend, out);
  const wv = floatView(backend, filter);
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
            const dxOff = ((b * inHeight + ih) * inWidth + iw) * ch;
            const wOff = (fh * fwN + fw) * outChannels;
            if (mult === 1) {
              for (let c = 0; c < ch; c++) dx[dxOff + c] += wv[wOff + c] * dyv[dyOff + c];
            } else {
              for (let c = 0; c < ch; c++) {
                const base = c * mult;
                let acc = 0;
                for (let m = 0; m < mult; m++) acc += wv[wOff + base + m] * dyv[dyOff + base + m];
                dx[dxOff + c] += acc;
              }
            }
          }
        }
      }
    }
  }
  return out;
}

export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput,
};
