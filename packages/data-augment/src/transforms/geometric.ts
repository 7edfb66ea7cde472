/**
 * PIL `Image.transform(AFFINE)` equivalents for RandAugment's geometric ops: output pixel centre (X, Y) samples the
 * input at (aX + bY + c, dX + eY + f); samples falling outside the input take the fill colour.
 */
import type { Uint8Image } from '../image';

export type AffineMatrix = [number, number, number, number, number, number];
export type GeometricInterpolation = 'nearest' | 'bilinear' | 'bicubic';

/** PIL geometry's cubic (a = −1) through v1..v4 at fraction d between v2 and v3. */
function cubic(v1: number, v2: number, v3: number, v4: number, d: number): number {
  const p2 = -v1 + v3;
  const p3 = 2 * (v1 - v2) + v3 - v4;
  const p4 = -v1 + v2 - v3 + v4;
  return v2 + d * (p2 + d * (p3 + d * p4));
}

/** PIL stores filtered values truncated after clamping. */
function store(value: number): number {
  return value <= 0 ? 0 : value >= 255 ? 255 : Math.trunc(value);
}

export function affine(image: Uint8Image, m: AffineMatrix, fill: number[], interpolation: GeometricInterpolation = 'bilinear'): Uint8Image {
  const { height, width, channels: c } = image;
  const src = image.data;
  const out = new Uint8Array(src.length);
  const clampX = (x: number) => (x < 0 ? 0 : x >= width ? width - 1 : x);
  const clampY = (y: number) => (y < 0 ? 0 : y >= height ? height - 1 : y);
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
      // neighbours around the sample point (pixel centres at integer + 0.5), clamped at the border
      const fx = xin - 0.5;
      const fy = yin - 0.5;
      const x0 = Math.floor(fx);
      const y0 = Math.floor(fy);
      const dx = fx - x0;
      const dy = fy - y0;
      if (interpolation === 'bilinear') {
        const xa = clampX(x0);
        const xb = clampX(x0 + 1);
        const ya = clampY(y0);
        const yb = clampY(y0 + 1);
        for (let ch = 0; ch < c; ch++) {
          const top = src[(ya * width + xa) * c + ch] + dx * (src[(ya * width + xb) * c + ch] - src[(ya * width + xa) * c + ch]);
          const bottom = src[(yb * width + xa) * c + ch] + dx * (src[(yb * width + xb) * c + ch] - src[(yb * width + xa) * c + ch]);
          out[dst + ch] = store(top + dy * (bottom - top));
        }
        continue;
      }
      const xa = clampX(x0 - 1) * c;
      const xb = clampX(x0) * c;
      const xc = clampX(x0 + 1) * c;
      const xd = clampX(x0 + 2) * c;
      const r0 = clampY(y0 - 1) * width * c;
      const r1 = clampY(y0) * width * c;
      const r2 = clampY(y0 + 1) * width * c;
      const r3 = clampY(y0 + 2) * width * c;
      for (let ch = 0; ch < c; ch++) {
        const v0 = cubic(src[r0 + xa + ch], src[r0 + xb + ch], src[r0 + xc + ch], src[r0 + xd + ch], dx);
        const v1 = cubic(src[r1 + xa + ch], src[r1 + xb + ch], src[r1 + xc + ch], src[r1 + xd + ch], dx);
        const v2 = cubic(src[r2 + xa + ch], src[r2 + xb + ch], src[r2 + xc + ch], src[r2 + xd + ch], dx);
        const v3 = cubic(src[r3 + xa + ch], src[r3 + xb + ch], src[r3 + xc + ch], src[r3 + xd + ch], dx);
        out[dst + ch] = store(cubic(v0, v1, v2, v3, dy));
      }
    }
  }
  return { data: out, height, width, channels: c };
}

/** PIL `rotate(degrees)`: counter-clockwise about the image centre, same canvas. */
export function rotate(image: Uint8Image, degrees: number, fill: number[], interpolation?: GeometricInterpolation): Uint8Image {
  const theta = (degrees * Math.PI) / 180;
  // PIL rounds the matrix to 15 decimals, which makes multiples of 90 degrees exact
  const cos = Math.round(Math.cos(theta) * 1e15) / 1e15;
  const sin = Math.round(Math.sin(theta) * 1e15) / 1e15;
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
