/**
 * Seedable random numbers for weight init, drop path and anything else that must be reproducible from `--seed`.
 * mulberry32 for uniforms, Box-Muller for normals: identical streams on every backend.
 */
export class Rng {
  private state: number;
  private spareNormal: number | null = null;

  constructor(seed = 0) {
    this.state = seed >>> 0;
  }

  /** Uniform float in [0, 1). */
  uniform(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal sample. */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A 32-bit integer, e.g. to seed a tfjs random op. */
  int(): number {
    return Math.floor(this.uniform() * 4294967296) >>> 0;
  }
}

let globalRng = new Rng(0);

/** Seeds the global generator used by layer init and stochastic layers (like `torch.manual_seed`). */
export function manualSeed(seed: number): void {
  globalRng = new Rng(seed);
}

/** The global generator. */
export function defaultRng(): Rng {
  return globalRng;
}
