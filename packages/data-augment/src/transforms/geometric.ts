/**
 * PIL `Image.transform(AFFINE)` equivalents for RandAugment's geometric ops: output pixel centre (X, Y) samples the
 * input at (aX + bY + c, dX + eY + f); samples falling outside the input take the fill colour.
 */
import { clampByte, type Uint8Image } from '../image';

export type AffineMatrix = [number, number, number, number, number, number];
export type GeometricInterpolation = 'nearest' | 'bilinear';

export function affine(image: Uint8Image, m: AffineMatrix, fill: number[], interpolation: GeometricInterpolation = 'bilinear'): Uint8Image {
  const { height, width, channels: c } = image;
  const src = image.data;
  const out = new Uint8Array(src.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const cx = x + 0.5;
      const cy = y + 0.5;
      const xin = m[0] * cx + m[1] * cy + m[2];
      const yin = m[3] * cx + m[4] * cy + m[5];
      const dst = (y * width + x) * c;
      if (xin < 0 || yin < 0 || xin >= width || yin >= height) {
        for (let ch = 0; ch < c; ch++) out[dst + ch] = fill[Math.min(ch, fill.length - 1)];
        continue;
      }
      if (interpolation === 'nearest') {
        const from = (Math.floor(yin) * width + Math.floor(xin)) * c;
        for (let ch = 0; ch < c; ch++) out[dst + ch] = src[from + ch];
        continue;
      }
      // bilinear between the four nearest pixel centres, clamped at the border
      const fx = xin - 0.5;
      const fy = yin - 0.5;
      const x0 = Math.floor(fx);
      const y0 = Math.floor(fy);
      const wx = fx - x0;
      const wy = fy - y0;
      const xa = Math.max(0, x0);
      const xb = Math.min(width - 1, x0 + 1);
      const ya = Math.max(0, y0);
      const yb = Math.min(height - 1, y0 + 1);
      for (let ch = 0; ch < c; ch++) {
        const top = src[(ya * width + xa) * c + ch] * (1 - wx) + src[(ya * width + xb) * c + ch] * wx;
        const bottom = src[(yb * width + xa) * c + ch] * (1 - wx) + src[(yb * width + xb) * c + ch] * wx;
        out[dst + ch] = clampByte(top * (1 - wy) + bottom * wy);
      }
    }
  }
  return { data: out, height, width, channels: c };
}

/** PIL `rotate(degrees)`: counter-clockwise about the image centre, same canvas. */
export function rotate(image: Uint8Image, degrees: number, fill: number[], interpolation?: GeometricInterpolation): Uint8Image {
  const theta = (degrees * Math.PI) / 180;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const cx = image.width / 2;
  const cy = image.height / 2;
  // inverse map: input = R(θ)ᵀ-style rotation of (output − centre) + centre, with y pointing down
  const m: AffineMatrix = [cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy];
  return affine(image, m, fill, interpolation);
}

export function shearX(image: Uint8Image, factor: number, fill: number[], interpolation?: GeometricInterpolation): Uint8Image {
  return affine(image, [1, factor, 0, 0, 1, 0], fill, interpolation);
}

export function shearY(image: Uint8Image, factor: number, fill: number[], interpolation?: GeometricInterpolation): Uint8Image {
  return affine(image, [1, 0, 0, factor, 1, 0], fill, interpolation);
}

/** Positive `pixels` moves content left (PIL/timm convention: output x samples input x + pixels). */
export function translateX(image: Uint8Image, pixels: number, fill: number[], interpolation?: GeometricInterpolation): Uint8Image {
  return affine(image, [1, 0, pixels, 0, 1, 0], fill, interpolation);
}

export function translateY(image: Uint8Image, pixels: number, fill: number[], interpolation?: GeometricInterpolation): Uint8Image {
  return affine(image, [1, 0, 0, 0, 1, pixels], fill, interpolation);
}
