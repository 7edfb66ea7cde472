import { describe, expect, it } from 'vitest';
import type { Image } from '../src/image';
import { Rng } from '../src/random';
import { randomCropPad } from '../src/transforms/randomCropPad';
import { transformFromSpec } from '../src/transforms/fromSpec';
import { compose } from '../src/transforms/compose';
import { horizontalFlip } from '../src/transforms/horizontalFlip';
import { gradientImage, pixel } from './helpers';

/** Reference padding, written out pixel by pixel. */
function padNaive(image: Image, p: number, fill: number[]): number[][][] {
  const rows: number[][][] = [];
  for (let y = -p; y < image.height + p; y++) {
    const row: number[][] = [];
    for (let x = -p; x < image.width + p; x++) {
      row.push(y >= 0 && y < image.height && x >= 0 && x < image.width ? pixel(image, y, x) : fill);
    }
    rows.push(row);
  }
  return rows;
}

/** Every (top, left) at which `out` equals a window of `padded`. */
function windowOffsets(padded: number[][][], out: Image): Array<[number, number]> {
  const found: Array<[number, number]> = [];
  for (let top = 0; top + out.height <= padded.length; top++) {
    for (let left = 0; left + out.width <= padded[0].length; left++) {
      let same = true;
      for (let y = 0; y < out.height && same; y++) {
        for (let x = 0; x < out.width && same; x++) same = pixel(out, y, x).join() === padded[top + y][left + x].join();
      }
      if (same) found.push([top, left]);
    }
  }
  return found;
}

// +1 so that no image pixel equals the fill value 0 and every window is unique
const image = ((img) => ({ ...img, data: img.data.map((v) => v + 1) }))(gradientImage(9, 11));

describe('randomCropPad', () => {
  it('outputs the requested size, or the input size when size is omitted', () => {
    const out = randomCropPad({ size: 8, padding: 2 }).apply(image, new Rng(0));
    expect([out.height, out.width, out.channels]).toEqual([8, 8, 3]);
    const rect = randomCropPad({ size: [10, 6], padding: 1 }).apply(image, new Rng(0));
    expect([rect.height, rect.width]).toEqual([10, 6]);
    const same = randomCropPad({ padding: 4 }).apply(image, new Rng(0));
    expect([same.height, same.width, same.data.length]).toEqual([9, 11, image.data.length]);
    expect(same.data).toBeInstanceOf(Uint8Array);
  });

  it('is the identity with padding 0 at the input size', () => {
    expect(randomCropPad().apply(image, new Rng(3))).toBe(image);
    expect(randomCropPad({ size: [9, 11], padding: 0 }).apply(image, new Rng(3))).toBe(image);
  });

  it('returns a window of the padded image, at every offset uniformly', () => {
    const p = 2;
    const padded = padNaive(image, p, [0, 0, 0]);
    const counts = new Map<string, number>();
    for (let seed = 0; seed < 500; seed++) {
      const out = randomCropPad({ padding: p }).apply(image, new Rng(seed));
      const offsets = windowOffsets(padded, out);
      expect(offsets, `seed ${seed}`).toHaveLength(1);
      const key = offsets[0].join(',');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    // (2p+1)^2 = 25 offsets, 20 expected each
    expect(counts.size).toBe(25);
    for (const n of counts.values()) expect(n).toBeGreaterThan(5);
    // a smaller crop than the input also lands on padded-image windows, corners included
    for (let seed = 0; seed < 50; seed++) {
      const out = randomCropPad({ size: 5, padding: 3 }).apply(image, new Rng(seed));
      expect(windowOffsets(padNaive(image, 3, [0, 0, 0]), out)).toHaveLength(1);
    }
  });

  it('pads with the fill value (per channel, clamped for bytes) and keeps float images float', () => {
    const fill = [7, 300, 9];
    const padded = padNaive(image, 3, [7, 255, 9]);
    for (let seed = 0; seed < 20; seed++) {
      const out = randomCropPad({ padding: 3, fill }).apply(image, new Rng(seed));
      expect(windowOffsets(padded, out)).toHaveLength(1);
    }
    const float: Image = { data: Float32Array.from(image.data, (v) => v / 10 - 0.5), height: 9, width: 11, channels: 3 };
    const out = randomCropPad({ size: 13, padding: 2, fill: -1.5 }).apply(float, new Rng(1));
    expect(out.data).toBeInstanceOf(Float32Array);
    expect(windowOffsets(padNaive(float, 2, [-1.5, -1.5, -1.5]), out)).toHaveLength(1);
  });

  it('is deterministic for a seed and rebuilds from its JSON spec (worker threads)', () => {
    const t = compose([randomCropPad({ padding: 4, fill: [1, 2, 3] }), horizontalFlip(0.5)]);
    const rebuilt = transformFromSpec(JSON.parse(JSON.stringify(t.spec)));
    const outputs = new Set<string>();
    for (let seed = 0; seed < 10; seed++) {
      const a = Array.from(t.apply(image, new Rng(seed)).data);
      expect(Array.from(t.apply(image, new Rng(seed)).data)).toEqual(a);
      expect(Array.from(rebuilt.apply(image, new Rng(seed)).data)).toEqual(a);
      outputs.add(a.join());
    }
    expect(outputs.size).toBeGreaterThan(5);
  });

  it('rejects bad options with one-line errors', () => {
    expect(() => randomCropPad({ padding: -1 })).toThrow('randomCropPad: padding must be an integer >= 0, got -1');
    expect(() => randomCropPad({ size: 0 })).toThrow(/invalid output size 0/);
    expect(() => randomCropPad({ size: 20, padding: 2 }).apply(image, new Rng(0))).toThrow(
      'randomCropPad: output 20x20 is larger than the padded image 13x15 (input 9x11, padding 2)',
    );
    expect(() => randomCropPad({ padding: 1, fill: [0, 0] }).apply(image, new Rng(0))).toThrow('randomCropPad: fill has 2 values for a 3-channel image');
  });
});
