/** A plain HWC pixel buffer; uint8 in [0,255] before normalisation, float32 after. */
export interface Image {
  data: Float32Array | Uint8Array;
  height: number;
  width: number;
  channels: number;
}

export interface Uint8Image extends Image {
  data: Uint8Array;
}

export function createImage(height: number, width: number, channels: number): Uint8Image {
  return { data: new Uint8Array(height * width * channels), height, width, channels };
}

export function checkImage(image: Image, where: string): void {
  const expected = image.height * image.width * image.channels;
  if (image.data.length !== expected) {
    throw new Error(
      `${where}: image buffer has ${image.data.length} values, expected ${image.height}x${image.width}x${image.channels}=${expected}`,
    );
  }
}

/** Rounds and clamps to uint8 (a float image in [0,255] becomes a byte image). */
export function toUint8(image: Image): Uint8Image {
  if (image.data instanceof Uint8Array) return image as Uint8Image;
  const out = new Uint8Array(image.data.length);
  for (let i = 0; i < out.length; i++) out[i] = clampByte(image.data[i]);
  return { data: out, height: image.height, width: image.width, channels: image.channels };
}

export function clampByte(value: number): number {
  return value <= 0 ? 0 : value >= 255 ? 255 : Math.round(value);
}

/** Replicates a 1-channel image to 3 channels (models that expect RGB); other images are returned as-is. */
export function toRgb(image: Image): Image {
  if (image.channels === 3) return image;
  if (image.channels !== 1) throw new Error(`toRgb: expected 1 or 3 channels, got ${image.channels}`);
  const pixels = image.height * image.width;
  const out = image.data instanceof Uint8Array ? new Uint8Array(pixels * 3) : new Float32Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    const value = image.data[p];
    out[3 * p] = value;
    out[3 * p + 1] = value;
    out[3 * p + 2] = value;
  }
  return { data: out, height: image.height, width: image.width, channels: 3 };
}
