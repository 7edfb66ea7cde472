import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '@nextnets/backend';
import {
  createModel,
  loadStateDict,
  stateDict,
  torchShape,
  valueAndGrads,
  withShapeOnlyInit,
  type Module,
} from '@nextnets/core-layers';
import '@nextnets/models-convnext';
import { ROADMAP_STEPS, RoadmapNet, listModels, roadmapConfig } from '../src/index.js';

beforeAll(async () => {
  await setupBackend('wasm');
});

/** Parameter key → PyTorch shape (valid for shape-only models too). */
function paramShapes(model: Module): Map<string, string> {
  return new Map(model.namedParameters().map(([name, p]) => [name, torchShape(p.shape, p.layout).join(',')]));
}

const shapeOnly = (name: string, overrides: Record<string, unknown> = {}): RoadmapNet =>
  withShapeOnlyInit(() => createModel(name, overrides) as RoadmapNet);

describe('roadmap steps', () => {
  it('registers the 12 steps in order', () => {
    expect(ROADMAP_STEPS.map((s) => s.name)).toEqual([
      'roadmap_resnet50',
      'roadmap_stage_ratio',
      'roadmap_patchify',
      'roadmap_resnextify',
      'roadmap_inverted_bottleneck',
      'roadmap_move_up_dw',
      'roadmap_kernel_7',
      'roadmap_gelu',
      'roadmap_fewer_activations',
      'roadmap_fewer_norms',
      'roadmap_layer_norm',
      'roadmap_separate_downsampling',
    ]);
    expect(listModels('roadmap_')).toHaveLength(12);
  });

  it('roadmap_resnet50 has timm resnet50 parameter count and key layout', () => {
    const model = shapeOnly('roadmap_resnet50');
    expect(model.numParams()).toBe(25_557_032);
    const shapes = paramShapes(model);
    // 53 convs (49 in blocks + stem + 4 shortcuts), 53 BatchNorms, fc; running mean/var of each BatchNorm.
    expect(shapes.size).toBe(53 + 53 * 2 + 2);
    expect(model.namedBuffers()).toHaveLength(53 * 2);
    expect(shapes.get('conv1.weight')).toBe('64,3,7,7');
    expect(shapes.get('layer1.0.conv2.weight')).toBe('64,64,3,3');
    expect(shapes.get('layer1.0.downsample.0.weight')).toBe('256,64,1,1');
    expect(shapes.get('layer2.0.conv2.weight')).toBe('128,128,3,3');
    expect(shapes.get('layer4.2.conv3.weight')).toBe('2048,512,1,1');
    expect(shapes.get('layer4.0.downsample.1.weight')).toBe('2048');
    expect(shapes.get('fc.weight')).toBe('1000,2048');
    expect([...shapes.keys()].filter((k) => /^layer\d\.\d+\.conv1\.weight$/.test(k))).toHaveLength(16);
    expect(shapes.has('layer3.5.bn3.weight') && !shapes.has('layer3.6.bn3.weight')).toBe(true);
  });

  it('roadmap_separate_downsampling has convnext_tiny parameter count, keys and shapes', () => {
    const roadmap = shapeOnly('roadmap_separate_downsampling');
    const convnext = withShapeOnlyInit(() => createModel('convnext_tiny'));
    expect(roadmap.numParams()).toBe(28_589_128);
    expect(paramShapes(roadmap)).toEqual(paramShapes(convnext));
    expect(roadmap.namedBuffers().map(([n]) => n)).toEqual(convnext.namedBuffers().map(([n]) => n));
  });

  it('a convnext_tiny state dict loads strictly into roadmap_separate_downsampling and gives the same logits', () => {
    const small = { depths: [1, 1, 2, 1], dims: [8, 16, 24, 32], numClasses: 5 };
    const convnext = createModel('convnext_tiny', small);
    const roadmap = createModel('roadmap_separate_downsampling', small);
    try {
      loadStateDict(roadmap, stateDict(convnext), { strict: true });
      convnext.eval();
      roadmap.eval();
      const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 3);
      const [a, b] = [convnext.forward(x), roadmap.forward(x)];
      expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBe(0);
      tf.dispose([x, a, b]);
    } finally {
      convnext.dispose();
      roadmap.dispose();
    }
  });

  it('the kernelSize override sets the depthwise kernel (3, 5, 7, 9, 11) and rejects even kernels', () => {
    for (const k of [3, 5, 7, 9, 11]) {
      const shapes = paramShapes(shapeOnly('roadmap_kernel_7', { kernelSize: k }));
      expect(shapes.get('layer1.0.conv1.weight')).toBe(`96,1,${k},${k}`);
    }
    expect(() => roadmapConfig('roadmap_kernel_7', { kernelSize: 4 })).toThrow(/kernelSize' must be odd/);
    expect(() => roadmapConfig('roadmap_gelu', { width: 2 })).toThrow(/unknown override 'width'/);
  });

  it('widthMult and depthMult scale widths (multiples of 8) and depths (at least 1)', () => {
    const c = roadmapConfig('roadmap_resnet50', { widthMult: 0.25, depthMult: 0.34 });
    expect(c.dims).toEqual([64, 128, 256, 512]);
    expect(c.stemWidth).toBe(16);
    expect(c.depths).toEqual([1, 1, 2, 1]);
  });

  // Every step at small width: output shape, a training step's gradients for every parameter, no leaked tensors.
  it.each(ROADMAP_STEPS.map((s) => s.name))('%s trains at small width without leaking tensors', (name) => {
    const model = createModel(name, { widthMult: 0.1, depthMult: 0.34, numClasses: 3, dropPathRate: 0.1 });
    try {
      const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 1);
      const labels = tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3);
      model.eval();
      const y = model.forward(x);
      expect(y.shape).toEqual([2, 3]);
      y.dispose();
      model.train();
      const before = tf.memory().numTensors;
      const { value, grads } = valueAndGrads(model, () => tf.losses.softmaxCrossEntropy(labels, model.forward(x)) as tf.Scalar);
      expect(Object.keys(grads)).toHaveLength(model.namedParameters().length);
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      tf.dispose([value, ...Object.values(grads)]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, labels]);
    } finally {
      model.dispose();
    }
  });
});
