import { describe, expect, it } from 'vitest';
import { deriveSeed, Rng, sampleRng } from '../src/random';
import { pyRound } from '@nextnets/core-layers';

describe('Rng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = Array.from({ length: 5 }, ((r) => () => r.random())(new Rng(7)));
    const b = Array.from({ length: 5 }, ((r) => () => r.random())(new Rng(7)));
    const c = Array.from({ length: 5 }, ((r) => () => r.random())(new Rng(8)));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('derives distinct per-sample streams from (seed, epoch, index)', () => {
    expect(sampleRng(1, 0, 5).random()).toBe(sampleRng(1, 0, 5).random());
    expect(sampleRng(1, 0, 5).random()).not.toBe(sampleRng(1, 1, 5).random());
    expect(deriveSeed(1, 2, 3)).not.toBe(deriveSeed(1, 3, 2));
  });

  it('samples Beta(a, a) with mean 1/2 and the right variance', () => {
    const rng = new Rng(3);
    const alpha = 0.8;
    const draws = Array.from({ length: 20000 }, () => rng.beta(alpha, alpha));
    const mean = draws.reduce((s, v) => s + v, 0) / draws.length;
    const variance = draws.reduce((s, v) => s + (v - mean) ** 2, 0) / draws.length;
    expect(mean).toBeCloseTo(0.5, 1);
    // Var Beta(a,a) = 1 / (4(2a+1))
    expect(variance).toBeCloseTo(1 / (4 * (2 * alpha + 1)), 2);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThanOrEqual(1);
  });

  it('randint is inclusive and permutation is a permutation', () => {
    const rng = new Rng(1);
    const seen = new Set(Array.from({ length: 500 }, () => rng.randint(2, 4)));
    expect([...seen].sort()).toEqual([2, 3, 4]);
    expect(rng.permutation(10).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('pyRound rounds half to even like Python', () => {
    expect([0.5, 1.5, 2.5, 2.6, -1.5].map(pyRound)).toEqual([0, 2, 2, 3, -2]);
  });
});
