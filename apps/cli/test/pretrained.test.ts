/**
 * `--pretrained` through the built binary against a local stand-in for the Hugging Face hub (127.0.0.1, started and
 * stopped here; HF_ENDPOINT points at it, HF_HOME at a temporary folder): predict reproduces the PyTorch fixture's
 * logits, the file lands in the huggingface_hub cache layout, and the same command works offline with the hub
 * stopped; ImageNet-1k weights print class names.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSafetensors, serializeSafetensors, type TensorData } from '@nextnets/core-layers';
import { readNpy } from '@nextnets/core-layers/node';
import { relMaxDiff as relErr, smallFixturePath, smallManifest } from '@nextnets/test-fixtures';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalHub } from '../../../packages/hub/test/hub-server';
import { BIN, type CliRun } from './helpers';

const FIXTURE = 'convnext_tiny_cfg';
const REPO = 'timm/convnext_atto.fixture';
const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const weights = new Uint8Array(readFileSync(smallFixturePath(FIXTURE, 'weights.safetensors')));
const work = mkdtempSync(join(tmpdir(), 'nextnets-pretrained-'));
const home = join(work, 'hf');
const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** The fixture's trunk with a 1000-class classifier that always favours class 281 (zero weights, bias 10). */
function imagenetCheckpoint(): Uint8Array {
  const tensors = new Map<string, TensorData>(parseSafetensors(weights).tensors);
  const width = tensors.get('head.fc.weight')!.shape[1];
  const bias = new Float32Array(1000);
  bias[281] = 10;
  tensors.set('head.fc.weight', { shape: [1000, width], data: new Float32Array(1000 * width) });
  tensors.set('head.fc.bias', { shape: [1000], data: bias });
  return serializeSafetensors(tensors);
}

const hub = new LocalHub()
  .add(REPO, { commit: COMMIT, files: { 'model.safetensors': weights, 'config.json': new TextEncoder().encode(JSON.stringify({ num_classes: 4, label_names: ['circle', 'square', 'triangle', 'star'] })) } })
  .add('timm/convnext_atto.in1k_fixture', { commit: COMMIT, files: { 'model.safetensors': imagenetCheckpoint() } });

/** Runs the CLI without blocking this process's event loop (the hub answers from here). */
function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const base = { ...process.env };
    for (const k of ['HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'HF_TOKEN', 'HF_TOKEN_PATH', 'HF_HUB_OFFLINE', 'NEXTNETS_DEBUG']) delete base[k];
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: work,
      env: { ...base, HF_ENDPOINT: hub.url, HF_HOME: home, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}


beforeAll(async () => {
  await hub.start();
});

afterAll(async () => {
  await hub.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('nextnets --pretrained', () => {
  const args = JSON.stringify(smallManifest(FIXTURE).model_args);
  const input = smallFixturePath(FIXTURE, 'input.npy');
  const reference = readNpy(smallFixturePath(FIXTURE, 'logits.npy')).data as Float32Array;

  it('predict --pretrained <hub id> reproduces the fixture logits, caches in the huggingface_hub layout, and works offline', async () => {
    const out = join(work, 'online.npy');
    const online = await runCli(['predict', '--model', 'convnext_atto', '--model-args', args, '--pretrained', REPO, '--input', input, '--output', out]);
    expect(online.stderr).toMatch(/downloaded timm\/convnext_atto\.fixture@main\/model\.safetensors: 109\.0 kB in \d+\.\d s, [\d.]+ [kMG]?B\/s/);
    expect(online.code).toBe(0);
    expect(online.stdout).toMatch(/input\.npy\[0\]: (circle|square|triangle|star) \d+\.\d%, /); // config.json label_names
    expect(readNpy(out).shape).toEqual([4, 4]);
    expect(relErr(readNpy(out).data as Float32Array, reference)).toBeLessThan(1e-4);
    const snapshot = join(home, 'hub', 'models--timm--convnext_atto.fixture', 'snapshots', COMMIT);
    expect(readdirSync(snapshot).sort()).toEqual(['config.json', 'model.safetensors']);
    expect(readFileSync(join(home, 'hub', 'models--timm--convnext_atto.fixture', 'refs', 'main'), 'utf8')).toBe(COMMIT);

    const requests = hub.requests.length;
    await hub.stop();
    const offlineOut = join(work, 'offline.npy');
    const offline = await runCli(['predict', '--model', 'convnext_atto', '--model-args', args, '--pretrained', REPO, '--input', input, '--output', offlineOut], { HF_HUB_OFFLINE: '1' });
    expect(offline.stderr).toMatch(/weights: timm\/convnext_atto\.fixture@main \(.*snapshots/);
    expect(offline.code).toBe(0);
    expect(readNpy(offlineOut).data).toEqual(readNpy(out).data);
    expect(hub.requests.length).toBe(requests);

    const missing = await runCli(['predict', '--model', 'convnext_atto', '--pretrained', 'timm/convnext_atto.other', '--input', input], { HF_HUB_OFFLINE: '1' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^nextnets: timm\/convnext_atto\.other@main: model\.safetensors is not in the cache .*HF_HUB_OFFLINE is set.*\n$/);
    await hub.start();
  });

  it('a repository the hub does not know is one line with exit code 1', async () => {
    const r = await runCli(['predict', '--model', 'convnext_atto', '--pretrained', 'timm/nope@v2', '--input', input]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^nextnets: timm\/nope@v2: access denied by http:\/\/127\.0\.0\.1:\d+ \(401\).*HF_TOKEN.*\n$/);
    expect(existsSync(join(home, 'hub', 'models--timm--nope'))).toBe(false);
  });

  it('ImageNet-1k weights print class names; models --pretrained lists the default tags', async () => {
    const r = await runCli(['predict', '--model', 'convnext_atto', '--model-args', JSON.stringify({ ...smallManifest(FIXTURE).model_args, numClasses: undefined }), '--pretrained', 'timm/convnext_atto.in1k_fixture', '--input', input, '--top-k', '1']);
    expect(r.code).toBe(0);
    // softmax of bias 10 against 999 zeros: e^10 / (e^10 + 999) = 95.7%
    expect(r.stdout.split('\n')[0]).toMatch(/input\.npy\[0\]: tabby, tabby cat 95\.7%$/);

    const list = await runCli(['models', '--pretrained', '--filter', 'n']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^convnext_atto +timm\/convnext_atto\.d2_in1k +\(imagenet-1k, 224px, crop 0\.875\)$/m);
    expect(list.stdout).toMatch(/^replknet_31b +no pretrained weights published$/m);
  });

  it('eval and export take --pretrained; train and finetune --pretrained initialise from it', async () => {
    // eval on a 4-class ImageFolder (one 64x64 image per class) with the config.json class names
    const folder = join(work, 'folder');
    for (const [i, name] of ['circle', 'square', 'triangle', 'star'].entries()) {
      mkdirSync(join(folder, name), { recursive: true });
      await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 60 * i, g: 200 - 40 * i, b: 90 } } }).png().toFile(join(folder, name, 'a.png'));
    }
    const evaluated = await runCli(['eval', '--model', 'convnext_atto', '--model-args', args, '--pretrained', REPO, '--data', folder, '--input-size', '64', '--json']);
    expect(evaluated.code).toBe(0);
    const report = JSON.parse(evaluated.stdout) as { count: number; checkpoint: string; top1: number };
    expect(report.count).toBe(4);
    expect(report.checkpoint).toMatch(/^timm\/convnext_atto\.fixture@main \(/);

    const out = join(work, 'export');
    const exported = await runCli(['export', '--model', 'convnext_atto', '--model-args', args, '--pretrained', REPO, '--out', out]);
    expect(exported.code).toBe(0);
    const written = parseSafetensors(new Uint8Array(readFileSync(join(out, 'model.safetensors')))).tensors;
    const original = parseSafetensors(weights).tensors;
    expect([...written.keys()].sort()).toEqual([...original.keys()].sort());
    for (const [key, t] of original) expect(written.get(key)!.data).toEqual(t.data);

    // synthetic_smoke is the fixture's architecture with a 2x2 stem; 4 classes like the fixture
    const recipe = ['--recipe', 'synthetic_smoke', '--model-args', '{"patchSize": 4}', '--epochs', '1', '--max-steps', '1'];
    const train = await runCli(['train', ...recipe, '--pretrained', REPO, '--out', join(work, 'train')]);
    expect(train.stderr).toMatch(/^loaded \d+ tensors from timm\/convnext_atto\.fixture@main \(.*\)$/m);
    expect(train.code).toBe(0);
    const smoke = readFileSync(join(packageDir, 'recipes', 'synthetic_smoke.yaml'), 'utf8');
    const finetuneRecipe = join(work, 'smoke_finetune.yaml');
    writeFileSync(finetuneRecipe, smoke.replace('name: synthetic_smoke', 'name: smoke_finetune\nkind: finetune'));
    const finetune = await runCli(['finetune', ...recipe, '--recipe', finetuneRecipe, '--pretrained', REPO, '--out', join(work, 'finetune')]);
    expect(finetune.stderr).toMatch(/^loaded \d+ tensors from timm\/convnext_atto\.fixture@main .*; re-initialised head\.fc\.weight, head\.fc\.bias$/m);
    expect(finetune.code).toBe(0);
  });

  it('--pretrained without a reference needs a model with published weights', async () => {
    const r = await runCli(['predict', '--model', 'replknet_31b', '--pretrained', '--input', input], { HF_HUB_OFFLINE: '1' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^nextnets: no pretrained weights published for replknet_31b: it is not a timm model/);
  });
});
