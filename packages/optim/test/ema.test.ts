import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelEma } from '../src/index';
import { useCpu } from './helpers';

function entries(): [string, tf.Variable][] {
  return [
    ['fc.weight', tf.variable(tf.tensor2d([[1, 2]]))],
    ['bn.running_mean', tf.variable(tf.tensor1d([0]), false)],
    ['bn.num_batches_tracked', tf.variable(tf.scalar(0, 'int32'), false)],
  ];
}

describe('ModelEma', () => {
  beforeAll(useCpu);

  it('averages params and buffers, copies int buffers, and leaks nothing', () => {
    const model = entries();
    const ema = new ModelEma(model, { decay: 0.9 });
    const before = tf.memory().numTensors;
    tf.tidy(() => model[0][1].assign(tf.tensor2d([[2, 4]])));
    tf.tidy(() => model[1][1].assign(tf.tensor1d([10])));
    tf.tidy(() => model[2][1].assign(tf.scalar(7, 'int32')));
    const afterAssign = tf.memory().numTensors;
    ema.update();
    expect(tf.memory().numTensors).toBe(afterAssign);
    expect(afterAssign).toBe(before);
    const state = ema.stateDict();
    expect(Array.from(state.get('fc.weight')!.dataSync())).toEqual(Array.from(new Float32Array([1.1, 2.2])));
    expect(state.get('bn.running_mean')!.dataSync()[0]).toBeCloseTo(1, 6);
    expect(state.get('bn.num_batches_tracked')!.dataSync()[0]).toBe(7);
    tf.dispose([...state.values()]);
    ema.dispose();
    tf.dispose(model.map(([, v]) => v));
  });

  it('decay warmups: none, TF num_updates, timm ModelEmaV3', () => {
    const model = entries();
    expect(new ModelEma(model).decayAt(1)).toBe(0.9999);
    const tfStyle = new ModelEma(model, { warmup: 'tf' });
    expect(tfStyle.decayAt(1)).toBeCloseTo(2 / 11, 15);
    expect(tfStyle.decayAt(1e6)).toBe(0.9999);
    const timm = new ModelEma(model, { decay: 0.9998, warmup: {} });
    expect(timm.decayAt(1)).toBe(0);
    expect(timm.decayAt(2)).toBeCloseTo(1 - 2 ** (-2 / 3), 15);
    expect(timm.decayAt(1e9)).toBe(0.9998);
    [tfStyle, timm].forEach((e) => e.dispose());
    tf.dispose(model.map(([, v]) => v));
  });

  it('swap exchanges model and EMA weights and back; copyTo writes EMA into other variables', () => {
    const model = entries();
    const ema = new ModelEma(model, { decay: 0.5 });
    tf.tidy(() => model[0][1].assign(tf.tensor2d([[3, 6]])));
    ema.update(); // ema = [2, 4]
    const before = tf.memory().numTensors;
    ema.swap();
    expect(ema.isSwapped).toBe(true);
    expect(Array.from(model[0][1].dataSync())).toEqual([2, 4]);
    expect(() => ema.update()).toThrow('call swap() again first');
    const evalCopy = tf.tidy(() => tf.variable(tf.zeros([1, 2])));
    ema.copyTo([['fc.weight', evalCopy]]);
    expect(Array.from(evalCopy.dataSync())).toEqual([2, 4]);
    ema.swap();
    expect(Array.from(model[0][1].dataSync())).toEqual([3, 6]);
    ema.copyTo([['fc.weight', evalCopy]]);
    expect(Array.from(evalCopy.dataSync())).toEqual([2, 4]);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(() => ema.copyTo([['nope', evalCopy]])).toThrow("no EMA entry named 'nope'");
    evalCopy.dispose();
    ema.dispose();
    tf.dispose(model.map(([, v]) => v));
  });

  it('resumes from saved state exactly', () => {
    const run = (stopAt: number | null): number[] => {
      const model = entries();
      let ema = new ModelEma(model, { decay: 0.99, warmup: 'tf' });
      for (let i = 1; i <= 6; i++) {
        if (stopAt === i) {
          const saved = ema.state();
          const json = JSON.parse(JSON.stringify(saved.json));
          ema.dispose();
          ema = new ModelEma(model, { decay: 0.99, warmup: 'tf' });
          ema.loadState({ json, tensors: saved.tensors });
          tf.dispose([...saved.tensors.values()]);
        }
        tf.tidy(() => model[0][1].assign(tf.tensor2d([[i, i * i]])));
        ema.update();
      }
      expect(ema.numUpdates).toBe(6);
      const out = Array.from(ema.stateDict().get('fc.weight')!.dataSync());
      ema.dispose();
      tf.dispose(model.map(([, v]) => v));
      return out;
    };
    expect(run(4)).toEqual(run(null));
  });

  it('rejects bad state dicts', () => {
    const model = entries();
    const ema = new ModelEma(model);
    expect(() => ema.loadStateDict(new Map())).toThrow("entry 'fc.weight' missing");
    const wrong = new Map<string, tf.Tensor>([['fc.weight', tf.zeros([2])]]);
    expect(() => ema.loadStateDict(wrong)).toThrow("'fc.weight' is float32[2], expected float32[1,2]");
    tf.dispose([...wrong.values()]);
    ema.dispose();
    tf.dispose(model.map(([, v]) => v));
  });
});
