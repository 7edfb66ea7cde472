/** The shared builders: Python rounding, make_divisible, drop-path rates, override validation, the seeded Rng, the registry's duplicate warning. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deriveSeed, dropPathRates, makeDivisible, mergeOverrides, OverrideReader, pyRound, registerModel, Rng, type ImageClassifier } from '../src/index';

describe('shared builders', () => {
  it('pyRound rounds half to even; makeDivisible follows timm', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6].map(pyRound)).toEqual([0, 2, 2, -0, -2, 2, 3]);
    expect(makeDivisible(32 * 0.75)).toBe(24);
    expect(makeDivisible(10)).toBe(16); // 8 would lose more than 10%
    expect(makeDivisible(3, 8)).toBe(8);
    expect(makeDivisible(100, 16, 16, 0)).toBe(96);
  });

  it('dropPathRates is linspace(0, rate, blocks) split per stage', () => {
    const rates = dropPathRates(0.3, [1, 2, 1]);
    expect(rates.map((s) => s.length)).toEqual([1, 2, 1]);
    rates.flat().forEach((r, i) => expect(r).toBeCloseTo(0.1 * i, 12));
    expect(dropPathRates(0.5, [1])).toEqual([[0]]);
  });

  it('OverrideReader and mergeOverrides reject unknown keys and wrong values in one line', () => {
    expect(() => new OverrideReader('m', { nope: 1 }, ['a'])).toThrow(/^m: unknown override 'nope' \(accepted: a\)$/);
    const r = new OverrideReader('m', { a: 2, b: -1, c: 1.5, d: 1, e: null }, ['a', 'b', 'c', 'd', 'e', 'f']);
    expect(r.int('a', 0, 1)).toBe(2);
    expect(() => r.positive('b', 1)).toThrow(/^m: override 'b' must be > 0, got -1$/);
    expect(() => r.int('c', 0)).toThrow(/^m: override 'c' must be an integer >= 0, got 1.5$/);
    expect(() => r.rate('d', 0)).toThrow(/^m: override 'd' must be in \[0, 1\), got 1$/);
    expect(r.numberOrNull('e', 1)).toBeNull();
    expect(r.rate('f', 0.2)).toBe(0.2);
    expect(mergeOverrides('m', { x: 1, y: [1, 2], z: true }, { y: [3], x: undefined })).toEqual({ x: 1, y: [3], z: true });
    expect(() => mergeOverrides('m', { x: 1 }, { x: 'a' })).toThrow(/^m: override 'x' has invalid value "a"$/);
    expect(() => mergeOverrides('m', { x: 1 }, { w: 1 })).toThrow(/^m: unknown override 'w'/);
  });

  it('Rng: one mulberry32 stream for uniforms, normals and integers; deriveSeed mixes its parts', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    expect([a.uniform(), a.uniform()]).toEqual([b.random(), b.random()]);
    expect(a.uniform(2, 4)).toBeGreaterThanOrEqual(2);
    const n = new Rng(1);
    const draws = Array.from({ length: 2000 }, () => n.normal());
    const mean = draws.reduce((s, x) => s + x, 0) / draws.length;
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(new Rng(7).permutation(5).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(deriveSeed(1, 2)).not.toBe(deriveSeed(2, 1));
  });
});

describe('registerModel', () => {
  afterEach(() => vi.restoreAllMocks());

  it('warns when another package registers a name that exists; a package loaded twice stays quiet', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const entry = { name: 'dup_test_model', family: 'test', packageName: '@x/a', pretrainedCfg: {} as never, create: () => ({}) as ImageClassifier };
    registerModel(entry);
    registerModel({ ...entry });
    expect(warn).not.toHaveBeenCalled();
    registerModel({ ...entry, packageName: '@x/b' });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/^registerModel: 'dup_test_model' \(test, @x\/b\) replaces the model of that name from @x\/a \(test\)$/);
  });
});
