import { pyRound } from '@nextnets/core-layers';
import { crop, resize, type Interpolation } from '../resample';
import { squareSize } from './randomResizedCrop';
import type { Transform, TransformSpec } from './types';

export interface ResizeCenterCropOptions {
  size: number | [number, number];
  /** Fraction of the resized image kept by the center crop (timm default 0.875). */
  cropPct?: number;
  interpolation?: Interpolation;
}

/**
 * timm eval transform: resize the shorter side to floor(size / cropPct) (aspect kept, torchvision `Resize(int)`), then
 * center-crop to size (offsets rounded as torchvision `CenterCrop`).
 */
export function resizeCenterCrop(options: ResizeCenterCropOptions): Transform<Extract<TransformSpec, { kind: 'resizeCenterCrop' }>> {
  const [outH, outW] = squareSize(options.size);
  const cropPct = options.cropPct ?? 0.875;
  const interpolation = options.interpolation ?? 'bilinear';
  if (!(cropPct > 0 && cropPct <= 1)) throw new Error(`resizeCenterCrop: cropPct must be in (0, 1], got ${cropPct}`);
  const scaleSize = Math.floor(Math.max(outH, outW) / cropPct);
  return {
    spec: { kind: 'resizeCenterCrop', options: { size: options.size, cropPct, interpolation } },
    apply(image) {
      const { height, width } = image;
      const [newH, newW] =
        height <= width ? [scaleSize, Math.trunc((scaleSize * width) / height)] : [Math.trunc((scaleSize * height) / width), scaleSize];
      const resized = newH === height && newW === width ? image : resize(image, newH, newW, interpolation);
      if (newH < outH || newW < outW) throw new Error(`resizeCenterCrop: resized image ${newH}x${newW} is smaller than the crop ${outH}x${outW}`);
      const top = pyRound((newH - outH) / 2);
      const left = pyRound((newW - outW) / 2);
      return crop(resized, { top, left, height: outH, width: outW });
    },
  };
}
