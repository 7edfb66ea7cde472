import type { Uint8Image } from '../image';
import { deriveSeed, Rng } from '../random';
import { checkIndex, type Dataset, type DatasetDescriptor, type Sample } from './types';

export const SHAPES = ['circle', 'square', 'triangle', 'cross', 'ring', 'stripes'] as const;

export interface SyntheticShapesOptions {
  /** Number of classes, 2..6 (first n of circle, square, triangle, cross, ring, stripes). */
  numClasses?: number;
  /** Image side in pixels. */
  size?: number;
  /** Number of samples. */
  count?: number;
  seed?: number;
  /** 3 (default): colour shapes; 1: grayscale, for single-channel models (shape and background ≥ 80 levels apart). */
  channels?: 1 | 3;
}

/** Is the point (u, v), in shape-local units (radius 1), inside the shape? */
function inside(shape: (typeof SHAPES)[number], u: number, v: number): boolean {
  const r2 = u * u + v * v;
  switch (shape) {
    case 'circle':
      return r2 <= 1;
    case 'square':
      return Math.max(Math.abs(u), Math.abs(v)) <= 0.8;
    case 'triangle': {
      // equilateral triangle with vertices at radius 1; inside when on the inner side of all three edges
      for (let k = 0; k < 3; k++) {
        const angle = (2 * Math.PI * k) / 3 + Math.PI / 2;
        if (u * Math.cos(angle) + v * Math.sin(angle) > 0.5) return false;
      }
      return true;
    }
    case 'cross':
      return (Math.abs(u) <= 0.25 && Math.abs(v) <= 1) || (Math.abs(v) <= 0.25 && Math.abs(u) <= 1);
    case 'ring':
      return r2 <= 1 && r2 >= 0.36;
    case 'stripes':
      return Math.max(Math.abs(u), Math.abs(v)) <= 0.9 && Math.floor((u + 0.9) * 2.8) % 2 === 0;
  }
}

/**
 * Coloured (or grayscale) shapes on noisy backgrounds, generated on demand from (seed, index): random background
 * colour and noise, shape colour far from the background, random centre, scale and rotation. Label = index mod numClasses.
 */
export class SyntheticShapes implements Dataset {
  readonly classes: string[];
  readonly length: number;
  readonly size: number;
  readonly channels: 1 | 3;
  private readonly seed: number;

  constructor(readonly options: SyntheticShapesOptions = {}) {
    const numClasses = options.numClasses ?? SHAPES.length;
    if (!(Number.isInteger(numClasses) && numClasses >= 2 && numClasses <= SHAPES.length)) {
      throw new Error(`SyntheticShapes: numClasses must be an integer in [2, ${SHAPES.length}], got ${numClasses}`);
    }
    this.size = options.size ?? 32;
    if (!(Number.isInteger(this.size) && this.size >= 8)) throw new Error(`SyntheticShapes: size must be an integer >= 8, got ${this.size}`);
    this.channels = options.channels ?? 3;
    if (this.channels !== 1 && this.channels !== 3) throw new Error(`SyntheticShapes: channels must be 1 or 3, got ${String(this.channels)}`);
    this.length = options.count ?? 1000;
    this.seed = options.seed ?? 0;
    this.classes = SHAPES.slice(0, numClasses);
  }

  get descriptor(): DatasetDescriptor {
    return {
      kind: 'synthetic',
      options: { numClasses: this.classes.length, size: this.size, count: this.length, seed: this.seed, channels: this.channels },
    };
  }

  getSync(index: number): Sample {
    checkIndex(index, this.length, 'SyntheticShapes');
    const rng = new Rng(deriveSeed(this.seed, index, 0x5ba9e5));
    const label = index % this.classes.length;
    const shape = SHAPES[label];
    const s = this.size;
    const c = this.channels;
    const colour = () => Array.from({ length: c }, () => rng.uniform(0, 255));
    const background = colour();
    let foreground: number[];
    do {
      foreground = colour();
    } while (Math.hypot(...foreground.map((v, ch) => v - background[ch])) < (c === 3 ? 120 : 80));
    const radius = s * rng.uniform(0.25, 0.42);
    const cx = rng.uniform(radius * 0.9, s - radius * 0.9);
    const cy = rng.uniform(radius * 0.9, s - radius * 0.9);
    const angle = rng.uniform(0, 2 * Math.PI);
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    const noise = rng.uniform(5, 30);
    const image: Uint8Image = { data: new Uint8Array(s * s * c), height: s, width: s, channels: c };
    for (let y = 0; y < s; y++) {
      for (let x = 0; x < s; x++) {
        const dx = (x + 0.5 - cx) / radius;
        const dy = (y + 0.5 - cy) / radius;
        const fill = inside(shape, cos * dx + sin * dy, -sin * dx + cos * dy) ? foreground : background;
        for (let ch = 0; ch < c; ch++) {
          const value = fill[ch] + (rng.random() * 2 - 1) * noise;
          image.data[(y * s + x) * c + ch] = value < 0 ? 0 : value > 255 ? 255 : Math.round(value);
        }
      }
    }
    return { image, label };
  }

  async get(index: number): Promise<Sample> {
    return this.getSync(index);
  }
}
