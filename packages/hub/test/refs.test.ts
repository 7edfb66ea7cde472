import { describe, expect, it } from 'vitest';
import { defaultPretrainedTag, findDefaultTag, IMAGENET_1K_CLASSES, listDefaultTags, parseRef, tagForHubId } from '../src/index';
import { listModels } from '@nextnets/core-layers';
import '@nextnets/models-convnext';
import '@nextnets/models-rep';
import '@nextnets/models-efficient';

describe('references', () => {
  it('parses hub ids with revisions, hub resolve URLs, other URLs and paths', () => {
    expect(parseRef('timm/convnext_atto.d2_in1k')).toEqual({ kind: 'hub', repo: 'timm/convnext_atto.d2_in1k', revision: 'main', file: 'model.safetensors' });
    expect(parseRef('hf-hub:timm/convnext_atto.d2_in1k@v1.0')).toMatchObject({ kind: 'hub', repo: 'timm/convnext_atto.d2_in1k', revision: 'v1.0' });
    expect(parseRef('https://huggingface.co/timm/convnext_atto.d2_in1k/resolve/abc/model.safetensors')).toEqual({
      kind: 'hub', repo: 'timm/convnext_atto.d2_in1k', revision: 'abc', file: 'model.safetensors',
    });
    expect(parseRef('http://127.0.0.1:9/x/y/resolve/main/model.safetensors', 'http://127.0.0.1:9/')).toMatchObject({ kind: 'hub', repo: 'x/y' });
    expect(parseRef('https://example.com/w.safetensors')).toEqual({ kind: 'url', url: 'https://example.com/w.safetensors' });
    expect(parseRef('./weights/model.safetensors')).toEqual({ kind: 'path', path: './weights/model.safetensors' });
    expect(parseRef('runs/a/model.safetensors')).toEqual({ kind: 'path', path: 'runs/a/model.safetensors' });
    expect(() => parseRef('convnext atto')).toThrow(/is not a hub id \(org\/name\[@revision\]\), a URL or a \.safetensors path/);
  });

  it("knows timm's default tag of each registered model that timm has, and says so for the others", () => {
    expect(defaultPretrainedTag('convnext_atto').hubId).toBe('timm/convnext_atto.d2_in1k');
    expect(defaultPretrainedTag('convnext_tiny').pretrainedCfg.cropPct).toBe(0.95);
    expect(defaultPretrainedTag('tf_efficientnetv2_s').pretrainedCfg).toMatchObject({ inputSize: [3, 300, 300], mean: [0.5, 0.5, 0.5] });
    expect(tagForHubId('timm/repvgg_a0.rvgg_in1k')?.name).toBe('repvgg_a0.rvgg_in1k');
    expect(() => defaultPretrainedTag('replknet_31b')).toThrow(/^no pretrained weights published for replknet_31b: it is not a timm model/);
    expect(() => defaultPretrainedTag('mobilenext_100')).toThrow(/no pretrained weights published/);
    expect(() => defaultPretrainedTag('efficientnetv2_s')).toThrow(/timm publishes no pretrained weights for it/);
    // every registered model of a family timm has is in the table (RepLKNet and MobileNeXt are not timm models)
    const table = new Set(listDefaultTags().map(([m]) => m));
    const missing = listModels().filter((m) => !table.has(m) && !/^(replknet|mobilenext)_/.test(m));
    expect(missing).toEqual([]);
    expect(findDefaultTag('replknet_31b')).toBeUndefined();
  });

  it('ships the 1000 ImageNet-1k class names in index order', () => {
    expect(IMAGENET_1K_CLASSES).toHaveLength(1000);
    expect(IMAGENET_1K_CLASSES[0]).toBe('tench, Tinca tinca');
    expect(IMAGENET_1K_CLASSES[281]).toBe('tabby, tabby cat');
    expect(IMAGENET_1K_CLASSES[999]).toBe('toilet tissue, toilet paper, bathroom tissue');
  });
});
