/**
 * PIL-equivalent pixel operations on byte images (ImageOps / ImageEnhance semantics), shared by RandAugment and
 * ColorJitter. Every function returns a new image; 1-channel images are handled as grayscale.
 */
import { clampByte, type Uint8Image } from '../image';

function like(image: Uint8Image, data: Uint8Array = new Uint8Array(image.data.length)): Uint8Image {
  return { data, height: image.height, width: image.width, channels: image.channels };
}

/** Applies a 256-entry lookup table per channel (`luts[ch]`, or one table for all). */
export function applyLut(image: Uint8Image, luts: Uint8Array[]): Uint8Image {
  const out = like(image);
  const c = image.channels;
  const src = image.data;
  const dst = out.data;
  for (let ch = 0; ch < c; ch++) {
    const table = luts.length === 1 ? luts[0] : luts[ch];
    for (let i = ch; i < src.length; i += c) dst[i] = table[src[i]];
  }
  return out;
}

function lut(fn: (v: number) => number): Uint8Array {
  const table = new Uint8Array(256);
  for (let v = 0; v < 256; v++) table[v] = clampByte(fn(v));
  return table;
}

/** PIL `Image.blend` stores its float result truncated (not rounded) and clamped to [0, 255]. */
function truncByte(value: number): number {
  return value <= 0 ? 0 : value >= 255 ? 255 : Math.trunc(value);
}

/** A lookup table for a PIL blend against a constant: truncated like `Image.blend`. */
function blendLut(degenerate: number, factor: number): Uint8Array {
  const table = new Uint8Array(256);
  for (let v = 0; v < 256; v++) table[v] = truncByte(degenerate + factor * (v - degenerate));
  return table;
}

/** PIL "L" conversion (ITU-R 601-2 in 16-bit fixed point, rounded): one value per pixel. */
export function luminance(image: Uint8Image): Float32Array {
  const pixels = image.height * image.width;
  const gray = new Float32Array(pixels);
  if (image.channels === 1) {
    gray.set(image.data);
    return gray;
  }
  const src = image.data;
  const c = image.channels;
  for (let p = 0; p < pixels; p++) {
    const i = p * c;
    gray[p] = (src[i] * 19595 + src[i + 1] * 38470 + src[i + 2] * 7471 + 0x8000) >> 16;
  }
  return gray;
}

/**
 * `Image.blend(degenerate, image, factor)` = degenerate + factor·(image − degenerate), truncated and clamped.
 * `degenerate` holds one value per element, or per pixel when `perPixel` (shared by all channels).
 */
function blend(image: Uint8Image, degenerate: Float32Array | Uint8Array, factor: number, perPixel: boolean): Uint8Image {
  const out = like(image);
  const dst = out.data;
  const src = image.data;
  const c = perPixel ? image.channels : 1;
  for (let i = 0; i < src.length; i++) {
    const d = degenerate[perPixel ? (i / c) | 0 : i];
    const v = d + factor * (src[i] - d);
    dst[i] = v <= 0 ? 0 : v >= 255 ? 255 : v;
  }
  return out;
}

export function invert(image: Uint8Image): Uint8Image {
  return applyLut(image, [lut((v) => 255 - v)]);
}

/** Keeps the `bits` most significant bits (bits >= 8: unchanged). */
export function posterize(image: Uint8Image, bits: number): Uint8Image {
  if (bits >= 8) return like(image, image.data.slice());
  const mask = ~(2 ** (8 - Math.max(0, bits)) - 1) & 0xff;
  return applyLut(image, [lut((v) => v & mask)]);
}

/** Inverts values >= threshold. */
export function solarize(image: Uint8Image, threshold: number): Uint8Image {
  return applyLut(image, [lut((v) => (v < threshold ? v : 255 - v))]);
}

/** Adds `add` to values below threshold (clamped to 255). */
export function solarizeAdd(image: Uint8Image, add: number, threshold = 128): Uint8Image {
  return applyLut(image, [lut((v) => (v < threshold ? Math.min(255, v + add) : v))]);
}

function channelHistograms(image: Uint8Image): Uint32Array[] {
  const c = image.channels;
  const hists = Array.from({ length: c }, () => new Uint32Array(256));
  for (let i = 0; i < image.data.length; i++) hists[i % c][image.data[i]]++;
  return hists;
}

/** ImageOps.autocontrast (cutoff 0): per channel, stretch [min,max] to [0,255]. */
export function autoContrast(image: Uint8Image): Uint8Image {
  const luts = channelHistograms(image).map((h) => {
    let lo = 0;
    while (lo < 255 && h[lo] === 0) lo++;
    let hi = 255;
    while (hi > 0 && h[hi] === 0) hi--;
    if (hi <= lo) return lut((v) => v);
    const scale = 255 / (hi - lo);
    const offset = -lo * scale;
    return lut((v) => Math.max(0, Math.min(255, Math.trunc(v * scale + offset))));
  });
  return applyLut(image, luts);
}

/** ImageOps.equalize: per-channel histogram equalisation with PIL's step rule. */
export function equalize(image: Uint8Image): Uint8Image {
  const luts = channelHistograms(image).map((h) => {
    const nonZero = Array.from(h).filter((n) => n > 0);
    if (nonZero.length <= 1) return lut((v) => v);
    const total = nonZero.reduce((a, b) => a + b, 0);
    const step = Math.floor((total - nonZero[nonZero.length - 1]) / 255);
    if (step === 0) return lut((v) => v);
    const table = new Uint8Array(256);
    let n = Math.floor(step / 2);
    for (let v = 0; v < 256; v++) {
      table[v] = Math.min(255, Math.floor(n / step));
      n += h[v];
    }
    return table;
  });
  return applyLut(image, luts);
}

/** ImageEnhance.Brightness: blend with black. */
export function brightness(image: Uint8Image, factor: number): Uint8Image {
  return applyLut(image, [blendLut(0, factor)]);
}

/** ImageEnhance.Contrast: blend with the mean grey level. */
export function contrast(image: Uint8Image, factor: number): Uint8Image {
  const gray = luminance(image);
  let sum = 0;
  for (let p = 0; p < gray.length; p++) sum += gray[p];
  const mean = Math.trunc(sum / gray.length + 0.5);
  return applyLut(image, [blendLut(mean, factor)]);
}

/** ImageEnhance.Color (saturation): blend with the grayscale image. */
export function color(image: Uint8Image, factor: number): Uint8Image {
  return blend(image, luminance(image), factor, true);
}

/** ImageEnhance.Sharpness: blend with PIL's SMOOTH filter (3x3, centre 5, total 13); border pixels kept. */
export function sharpness(image: Uint8Image, factor: number): Uint8Image {
  const { height, width, channels: c } = image;
  const src = image.data;
  const smooth = src.slice();
  const row = width * c;
  for (let y = 1; y < height - 1; y++) {
    for (let i = y * row + c; i < (y + 1) * row - c; i++) {
      const above = i - row;
      const below = i + row;
      const ring =
        src[above - c] + src[above] + src[above + c] + src[i - c] + src[i + c] + src[below - c] + src[below] + src[below + c];
      smooth[i] = Math.round((ring + 5 * src[i]) / 13);
    }
  }
  return blend(image, smooth, factor, false);
}

/** Hue shift by `shift` turns (−0.5..0.5) through HSV, as torchvision `adjust_hue`. */
export function hue(image: Uint8Image, shift: number): Uint8Image {
  if (image.channels !== 3) return like(image, image.data.slice());
  const out = like(image);
  for (let i = 0; i < image.data.length; i += 3) {
    const r = image.data[i] / 255;
    const g = image.data[i + 1] / 255;
    const b = image.data[i + 2] / 255;
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    const delta = max - min;
    let h = 0;
    if (delta > 0) {
      if (max === r) h = ((g - b) / delta) / 6;
      else if (max === g) h = ((b - r) / delta + 2) / 6;
      else h = ((r - g) / delta + 4) / 6;
    }
    h = (((h + shift) % 1) + 1) % 1;
    const s = max === 0 ? 0 : delta / max;
    const v = max;
    const sector = Math.floor(h * 6);
    const f = h * 6 - sector;
    const p = v * (1 - s);
    const q = v * (1 - s * f);
    const t = v * (1 - s * (1 - f));
    const rgb = [
      [v, t, p],
      [q, v, p],
      [p, v, t],
      [p, q, v],
      [t, p, v],
      [v, p, q],
    ][sector % 6];
    out.data[i] = clampByte(rgb[0] * 255);
    out.data[i + 1] = clampByte(rgb[1] * 255);
    out.data[i + 2] = clampByte(rgb[2] * 255);
  }
  return out;
}
