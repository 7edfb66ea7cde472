/**
 * Downloads through a local stand-in for the hub (127.0.0.1, started and stopped here) into a temporary HF_HOME:
 * the huggingface_hub cache layout, no request when cached, HF_HUB_OFFLINE, one-line errors, broken transfers, and
 * the loaded weights reproducing the PyTorch fixture's logits.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupBackend } from '@nextnets/backend';
import { createPretrained, fetchWeights, hubFile, loadPretrained, type WeightsCache } from '../src/node';
import '@nextnets/models-convnext';
import { createModel } from '@nextnets/core-layers';
import { forwardParity, npyTensor, PARITY_TOLERANCE, relErr, smallFixturePath, smallManifest } from '@nextnets/test-fixtures';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalHub } from './hub-server';

const FIXTURE = 'convnext_tiny_cfg';
const REPO = 'timm/convnext_atto.fixture';
const COMMIT = 'a'.repeat(8) + '0123456789abcdef0123456789abcdef';
const weights = new Uint8Array(readFileSync(smallFixturePath(FIXTURE, 'weights.safetensors')));
const sha = createHash('sha256').update(weights).digest('hex');
// timm's config.json of the repository: the tag's preprocessing and class names
const config = new TextEncoder().encode(
  JSON.stringify({
    architecture: 'convnext_atto',
    num_classes: 4,
    pretrained_cfg: { input_size: [3, 64, 64], crop_pct: 1.0, interpolation: 'bilinear', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], num_classes: 4 },
    label_names: ['circle', 'square', 'triangle', 'star'],
  }),
);
const configSha = createHash('sha256').update(config).digest('hex');
const { model_args: fixtureArgs } = smallManifest(FIXTURE);
const { numClasses: _classes, ...archArgs } = fixtureArgs as Record<string, unknown>;

const home = mkdtempSync(join(tmpdir(), 'nextnets-hub-'));
const storage = join(home, 'hub', 'models--timm--convnext_atto.fixture');
const hub = new LocalHub()
  .add(REPO, { commit: COMMIT, files: { 'model.safetensors': weights, 'config.json': config } })
  .add('timm/private.fixture', { commit: COMMIT, files: { 'model.safetensors': weights }, token: 'hf_secret' })
  .add('timm/cut.fixture', { commit: 'b'.repeat(40), files: { 'model.safetensors': weights } })
  .add('timm/redirect.fixture', { commit: 'c'.repeat(40), files: { 'model.safetensors': weights }, redirect: true });
const saved = { ...process.env };

beforeAll(async () => {
  await setupBackend('wasm');
  await hub.start();
  for (const k of ['HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'HF_TOKEN', 'HF_TOKEN_PATH', 'HF_HUB_OFFLINE']) delete process.env[k];
  process.env.HF_ENDPOINT = hub.url;
  process.env.HF_HOME = home;
});

afterAll(async () => {
  await hub.stop();
  for (const k of ['HF_ENDPOINT', 'HF_HOME', 'HF_HUB_OFFLINE']) delete process.env[k];
  Object.assign(process.env, saved);
  rmSync(home, { recursive: true, force: true });
});

/** Files under a folder, relative, recursively (symlinks listed, not followed). */
function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe('pretrained weights from a hub', () => {
  it('the first load downloads into the huggingface_hub cache layout and reproduces the fixture logits', async () => {
    const { model, pretrained } = await createPretrained('convnext_atto', { pretrained: REPO, ...archArgs });
    expect(model.numClasses).toBe(4); // taken from the checkpoint
    expect(pretrained?.droppedClassifier).toEqual([]);
    expect(hub.requests.some((r) => r.startsWith(`GET /${REPO}/resolve/main/model.safetensors`))).toBe(true);
    expect(tree(storage)).toEqual([`blobs/${configSha}`, `blobs/${sha}`, 'refs/main', `snapshots/${COMMIT}/config.json`, `snapshots/${COMMIT}/model.safetensors`].sort());
    expect(pretrained?.pretrainedCfg).toEqual({ inputSize: [3, 64, 64], cropPct: 1, interpolation: 'bilinear', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    expect(pretrained?.labels).toEqual(['circle', 'square', 'triangle', 'star']);
    expect(readFileSync(join(storage, 'refs', 'main'), 'utf8')).toBe(COMMIT);
    const pointer = join(storage, 'snapshots', COMMIT, 'model.safetensors');
    expect(lstatSync(pointer).isSymbolicLink()).toBe(true);
    expect(readlinkSync(pointer)).toBe(join('..', '..', 'blobs', sha));
    expect(Buffer.compare(readFileSync(pointer), Buffer.from(weights))).toBe(0);
    expect(forwardParity(model, FIXTURE).logits).toBeLessThan(PARITY_TOLERANCE.forward);
    model.dispose();
  });

  it('a second load makes no request', async () => {
    const before = hub.requests.length;
    const file = await hubFile({ repo: REPO, revision: 'main', file: 'model.safetensors' });
    expect(file.downloaded).toBe(false);
    const model = createModel('convnext_atto', fixtureArgs);
    const info = await loadPretrained(model, REPO);
    expect(info.message).toMatch(/^loaded \d+ tensors from timm\/convnext_atto\.fixture@main/);
    expect(hub.requests.length).toBe(before);
    expect(forwardParity(model, FIXTURE).logits).toBeLessThan(PARITY_TOLERANCE.forward);
    model.dispose();
  });

  it('a commit revision is served from its snapshot; a different numClasses re-initialises the classifier', async () => {
    const before = hub.requests.length;
    const { model, pretrained } = await createPretrained('convnext_atto', { pretrained: `${REPO}@${COMMIT}`, ...archArgs, numClasses: 10 });
    expect(hub.requests.length).toBe(before);
    expect(model.numClasses).toBe(10);
    expect(pretrained?.droppedClassifier).toEqual(['head.fc.weight', 'head.fc.bias']);
    expect(pretrained?.message).toMatch(/; the checkpoint's 4-class classifier \(head\.fc\.weight, head\.fc\.bias\) was dropped and the classifier re-initialised for 10 classes$/);
    // everything but the classifier is the checkpoint's: the features match PyTorch's
    model.eval();
    const features = tf.tidy(() => {
      const input = tf.transpose(npyTensor(smallFixturePath(FIXTURE, 'input.npy')), [0, 2, 3, 1]);
      const ref = tf.transpose(npyTensor(smallFixturePath(FIXTURE, 'features.npy')), [0, 2, 3, 1]);
      return relErr(model.forwardFeatures(input), ref);
    });
    expect(features).toBeLessThan(PARITY_TOLERANCE.forward);
    model.dispose();

    const { model: bare, pretrained: noHead } = await createPretrained('convnext_atto', { pretrained: REPO, ...archArgs, numClasses: 0 });
    expect(noHead?.droppedClassifier).toEqual(['head.fc.weight', 'head.fc.bias']);
    expect(noHead?.message).toMatch(/4-class classifier \(head\.fc\.weight, head\.fc\.bias\) was dropped; the model has no classifier \(numClasses 0\)$/);
    bare.dispose();
  });

  it('404, 401 and a missing file are one line naming the repository, the revision and what to do', async () => {
    const errorOf = (p: Promise<unknown>) => p.then(() => '', (e: Error) => e.message);
    const unknown = await errorOf(hubFile({ repo: 'timm/nope', revision: 'main', file: 'model.safetensors' }));
    expect(unknown).toMatch(/^timm\/nope@main: access denied by http:\/\/127\.0\.0\.1:\d+ \(401\).*set HF_TOKEN/);
    const revision = await errorOf(hubFile({ repo: REPO, revision: 'v9', file: 'model.safetensors' }));
    expect(revision).toMatch(/^timm\/convnext_atto\.fixture@v9: repository or revision not found .*\(404\); check the model id and revision/);
    const entry = await errorOf(hubFile({ repo: REPO, revision: 'main', file: 'pytorch_model.bin' }));
    expect(entry).toMatch(/^timm\/convnext_atto\.fixture@main has no file pytorch_model\.bin/);
    for (const m of [unknown, revision, entry]) expect(m).not.toContain('\n');
    const gated = await errorOf(hubFile({ repo: 'timm/private.fixture', revision: 'main', file: 'model.safetensors' }));
    expect(gated).toMatch(/\(401\).*HF_TOKEN/);
    const withToken = await hubFile({ repo: 'timm/private.fixture', revision: 'main', file: 'model.safetensors' }, { token: 'hf_secret' });
    expect(withToken.downloaded).toBe(true);
  });

  it('a connection cut mid-file leaves no cache entry, and the next try completes', async () => {
    const cutStorage = join(home, 'hub', 'models--timm--cut.fixture');
    hub.cutAfter = 50_000;
    const message = await hubFile({ repo: 'timm/cut.fixture', revision: 'main', file: 'model.safetensors' }).then(() => '', (e: Error) => e.message);
    hub.cutAfter = undefined;
    expect(message).toMatch(/^timm\/cut\.fixture@main.*(broke off|ended) after \d+ of 109048 bytes.*nothing was cached/);
    expect(tree(cutStorage)).toEqual([]);
    const retry = await hubFile({ repo: 'timm/cut.fixture', revision: 'main', file: 'model.safetensors' });
    expect(retry.downloaded).toBe(true);
    expect(tree(cutStorage)).toEqual([`blobs/${sha}`, 'refs/main', `snapshots/${'b'.repeat(40)}/model.safetensors`]);
    // the repository has no config.json: remembered as huggingface_hub does, so the next load asks nothing
    const model = createModel('convnext_atto', fixtureArgs);
    await loadPretrained(model, 'timm/cut.fixture');
    expect(tree(cutStorage)).toContain(`.no_exist/${'b'.repeat(40)}/config.json`);
    const before = hub.requests.length;
    const info = await loadPretrained(model, 'timm/cut.fixture');
    expect(hub.requests.length).toBe(before);
    expect(info.pretrainedCfg).toBeUndefined();
    expect(info.labels).toBeUndefined();
    model.dispose();
  });

  it('a file the hub redirects to a CDN is cached under the commit of the redirect', async () => {
    const file = await hubFile({ repo: 'timm/redirect.fixture', revision: 'main', file: 'model.safetensors' });
    expect(file).toMatchObject({ commit: 'c'.repeat(40), downloaded: true });
    expect(hub.requests.some((r) => r.startsWith('GET /cdn/'))).toBe(true);
    expect(tree(join(home, 'hub', 'models--timm--redirect.fixture'))).toEqual([`blobs/${sha}`, 'refs/main', `snapshots/${'c'.repeat(40)}/model.safetensors`]);
  });

  it('a plain URL is downloaded (not cached) with progress; a local path is read', async () => {
    const url = `${hub.url.replace('127.0.0.1', 'localhost')}/${REPO}/resolve/main/model.safetensors`;
    const progress: number[] = [];
    const model = createModel('convnext_atto', fixtureArgs);
    const info = await loadPretrained(model, url, { onProgress: (p) => progress.push(p.loaded) });
    expect(info.source).toBe(url);
    expect(progress.at(-1)).toBe(weights.length);
    expect(forwardParity(model, FIXTURE).logits).toBeLessThan(PARITY_TOLERANCE.forward);
    const local = await loadPretrained(model, smallFixturePath(FIXTURE, 'weights.safetensors'));
    expect(local.source).toBe(smallFixturePath(FIXTURE, 'weights.safetensors'));
    model.dispose();
  });

  it('the browser entry (fetch + a Cache Storage cache) downloads once and then reads its cache', async () => {
    const store = new Map<string, ArrayBuffer>();
    const cache: WeightsCache = {
      match: async (key) => (store.has(key) ? new Response(store.get(key)) : undefined),
      put: async (key, response) => void store.set(key, await response.arrayBuffer()),
    };
    const progress: number[] = [];
    const first = await fetchWeights({ kind: 'hub', repo: REPO, revision: 'main', file: 'model.safetensors' }, { cache, onProgress: (p) => progress.push(p.loaded) });
    expect(first.fromCache).toBe(false);
    expect(Buffer.compare(Buffer.from(first.bytes), Buffer.from(weights))).toBe(0);
    expect(progress.at(-1)).toBe(weights.length);
    const before = hub.requests.length;
    const second = await fetchWeights({ kind: 'hub', repo: REPO, revision: 'main', file: 'model.safetensors' }, { cache });
    expect(second.fromCache).toBe(true);
    expect(second.config?.labels).toEqual(['circle', 'square', 'triangle', 'star']);
    expect(hub.requests.length).toBe(before);
    // a repository without config.json: its absence is cached too
    await fetchWeights({ kind: 'hub', repo: 'timm/cut.fixture', revision: 'main', file: 'model.safetensors' }, { cache });
    const afterMissing = hub.requests.length;
    const again = await fetchWeights({ kind: 'hub', repo: 'timm/cut.fixture', revision: 'main', file: 'model.safetensors' }, { cache });
    expect(again.config).toBeUndefined();
    expect(hub.requests.length).toBe(afterMissing);
  });

  it('with the hub stopped, HF_HUB_OFFLINE=1 loads from the cache; a file not cached is a one-line error', async () => {
    await hub.stop();
    const unreachable = await hubFile({ repo: 'timm/other', revision: 'main', file: 'model.safetensors' }).then(() => '', (e: Error) => e.message);
    expect(unreachable).toMatch(/^timm\/other@main: cannot reach http:\/\/127\.0\.0\.1:\d+ .*HF_HUB_OFFLINE=1/);
    process.env.HF_HUB_OFFLINE = '1';
    try {
      const { model } = await createPretrained('convnext_atto', { pretrained: REPO, ...archArgs });
      expect(forwardParity(model, FIXTURE).logits).toBeLessThan(PARITY_TOLERANCE.forward);
      model.dispose();
      const missing = await hubFile({ repo: 'timm/other', revision: 'main', file: 'model.safetensors' }).then(() => '', (e: Error) => e.message);
      expect(missing).toMatch(/^timm\/other@main: model\.safetensors is not in the cache .* and HF_HUB_OFFLINE is set/);
      expect(missing).not.toContain('\n');
    } finally {
      delete process.env.HF_HUB_OFFLINE;
    }
  });
});
