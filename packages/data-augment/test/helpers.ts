import type { Uint8Image } from '../src/image';

/** R encodes x, G encodes y, B = x + y (mod 256): every pixel says where it came from. */
export function gradientImage(height: number, width: number): Uint8Image {
  const data = new Uint8Array(height * width * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = x;
      data[i + 1] = y;
      data[i + 2] = (x + y) % 256;
    }
  }
  return { data, height, width, channels: 3 };
}

export function pixel(image: { data: ArrayLike<number>; width: number; channels: number }, y: number, x: number): number[] {
  const i = (y * image.width + x) * image.channels;
  return Array.from({ length: image.channels }, (_, c) => image.data[i + c]);
}
