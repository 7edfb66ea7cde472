import { resize, type Interpolation } from '../resample';
import { squareSize } from './randomResizedCrop';
import type { Transform, TransformSpec } from './types';

export interface SquashResizeOptions {
  size: number | [number, number];
  interpolation?: Interpolation;
}

/** Warps the whole image to size x size without keeping the aspect (ConvNeXt eval at >= 384, ConvNeXt's official recipe, main.py/optim_factory.py). */
export function squashResize(options: SquashResizeOptions): Transform<Extract<TransformSpec, { kind: 'squashResize' }>> {
  const [outH, outW] = squareSize(options.size);
  const interpolation = options.interpolation ?? 'bilinear';
  return {
    spec: { kind: 'squashResize', options: { size: options.size, interpolation } },
    apply: (image) => (image.height === outH && image.width === outW ? image : resize(image, outH, outW, interpolation)),
  };
}
