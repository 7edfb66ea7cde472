/**
 * End to end through the built binary: train on the synthetic set, SIGKILL mid-run, resume, and check the resumed
 * run ends with exactly the weights of an uninterrupted run; then eval, predict (.npy and PNG) and export.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy, readSafetensors, writeNpy } from '@nextnets/core-layers/node';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { relMaxDiff as maxRel, smallFixturePath, smallManifest, type SmallFixture } from '@nextnets/test-fixtures';
import { runCliSync, runUntilThenKill } from './helpers';

const work = mkdtempSync(join(tmpdir(), 'nextnets-e2e-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// 128 training images / batch 16 = 8 steps per epoch, 2 epochs; `last` also every 2 steps
const TRAIN = ['train', '--recipe', 'synthetic_smoke', '--checkpoint-every', '2'];

function weightsOf(path: string): Map<string, Float32Array> {
  return new Map([...readSafetensors(path).tensors].map(([k, t]) => [k, t.data]));
}

describe('nextnets end to end', () => {
  const killedRun = join(work, 'killed');
  const straightRun = join(work, 'straight');

  it('train is killed with SIGKILL mid-run and --resume finishes it exactly like an uninterrupted run', async () => {
    const first = await runUntilThenKill([...TRAIN, '--out', killedRun], /epoch 2\/2 step 3\/8/);
    expect(first.killed).toBe(true);
    const state = JSON.parse(readFileSync(join(killedRun, 'last', 'state.json'), 'utf8')) as { step: number; epoch: number };
    expect(state.step).toBeGreaterThanOrEqual(8);
    expect(state.step).toBeLessThan(16);

    const resumed = runCliSync(['train', '--resume', killedRun]);
    expect(resumed.stderr).toMatch(/resuming from .*last at epoch 2, step \d+/);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/val accuracy: top-1 \d+\.\d+%/);

    const straight = runCliSync([...TRAIN, '--out', straightRun]);
    expect(straight.code).toBe(0);
    const a = weightsOf(join(killedRun, 'last', 'model.safetensors'));
    const b = weightsOf(join(straightRun, 'last', 'model.safetensors'));
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [key, values] of a) expect(Array.from(values), key).toEqual(Array.from(b.get(key)!));

    const metrics = readFileSync(join(killedRun, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; step: number });
    const steps = metrics.filter((m) => m.type === 'train').map((m) => m.step);
    expect(steps).toEqual([...new Set(steps)].sort((x, y) => x - y));
    expect(metrics.filter((m) => m.type === 'epoch')).toHaveLength(2);
    for (const file of ['config.yaml', 'curves.svg', 'curves.png', 'classes.json', 'best/model.safetensors', 'best/ema.safetensors', 'last/state.safetensors']) {
      expect(existsSync(join(killedRun, file)), file).toBe(true);
    }
    expect(readFileSync(join(killedRun, 'curves.svg'), 'utf8')).toMatch(/^<svg[^>]*>[\s\S]*<path d="M/);
    const png = readFileSync(join(killedRun, 'curves.png'));
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(png.length).toBeGreaterThan(10_000);
  });

  it('eval reports top-1/top-5 and writes the confusion matrix', () => {
    const r = runCliSync(['eval', '--checkpoint', join(killedRun, 'best'), '--out', join(work, 'eval')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\(ema weights\) on synthetic val: top-1 \d+\.\d+%, top-5 \d+\.\d+%/);
    const report = JSON.parse(readFileSync(join(work, 'eval', 'eval.json'), 'utf8')) as { confusion: number[][]; count: number };
    expect(report.confusion).toHaveLength(4);
    expect(report.confusion.flat().reduce((x, y) => x + y, 0)).toBe(report.count);
  });

  it('predict on an .npy batch writes float32 logits; on a PNG prints labels', async () => {
    const input = join(work, 'batch.npy');
    const data = Float32Array.from({ length: 2 * 3 * 32 * 32 }, (_, i) => Math.sin(i));
    writeNpy(input, { shape: [2, 3, 32, 32], data });
    const output = join(work, 'logits.npy');
    const r = runCliSync(['predict', '--checkpoint', join(killedRun, 'best', 'model.safetensors'), '--model', 'convnext_atto', '--input', input, '--output', output]);
    expect(r.code).toBe(0);
    const logits = readNpy(output);
    expect(logits.dtype).toBe('<f4');
    expect(logits.shape).toEqual([2, 4]);
    expect(Array.from(logits.data).every(Number.isFinite)).toBe(true);

    const png = join(work, 'shape.png');
    await sharp(Buffer.alloc(48 * 40 * 3, 200), { raw: { width: 48, height: 40, channels: 3 } }).png().toFile(png);
    const p = runCliSync(['predict', '--checkpoint', join(killedRun, 'best'), '--input', png, '--top-k', '2']);
    expect(p.code).toBe(0);
    expect(p.stdout).toMatch(/shape\.png: (circle|square|triangle|cross) \d+\.\d%, (circle|square|triangle|cross) \d+\.\d%/);
  });

  it('export writes timm-key safetensors and a tfjs weights manifest', () => {
    const out = join(work, 'export');
    expect(runCliSync(['export', '--checkpoint', join(killedRun, 'best'), '--out', out]).code).toBe(0);
    const exported = readSafetensors(join(out, 'model.safetensors'));
    expect(exported.metadata.model).toBe('convnext_atto');
    expect(exported.tensors.get('stem.0.weight')?.shape).toEqual([8, 3, 2, 2]);
    expect(runCliSync(['export', '--checkpoint', join(killedRun, 'best'), '--format', 'tfjs', '--out', out]).code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as {
      weightsManifest: { paths: string[]; weights: { name: string; shape: number[] }[] }[];
      nextnets: { model: string };
    };
    expect(manifest.nextnets.model).toBe('convnext_atto');
    const bytes = manifest.weightsManifest[0].paths.reduce((n, p) => n + readFileSync(join(out, p)).length, 0);
    const elements = manifest.weightsManifest[0].weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
    expect(bytes).toBe(4 * elements);
  });

  /** The fixture's model overrides without numClasses: the class count must come from the checkpoint. */
  const shapeArgs = (fixture: SmallFixture): string => {
    const { numClasses: _numClasses, ...args } = smallManifest(fixture).model_args;
    return JSON.stringify(args);
  };

  it('timm checkpoints load directly: predict reproduces timm logits, also after export --reparameterize', () => {
    const fixture: SmallFixture = 'repvgg_tiny_cfg';
    const reference = readNpy(smallFixturePath(fixture, 'logits.npy')).data as Float32Array;
    const weights = smallFixturePath(fixture, 'weights.safetensors');
    const direct = join(work, 'repvgg.npy');
    const args = ['predict', '--model', 'repvgg_a0', '--model-args', shapeArgs(fixture), '--input', smallFixturePath(fixture, 'input.npy')];
    expect(runCliSync([...args, '--checkpoint', weights, '--output', direct]).code).toBe(0);
    expect(maxRel(readNpy(direct).data as Float32Array, reference)).toBeLessThan(1e-4);

    const deploy = join(work, 'deploy');
    expect(runCliSync(['export', '--model', 'repvgg_a0', '--model-args', shapeArgs(fixture), '--checkpoint', weights, '--reparameterize', '--out', deploy]).code).toBe(0);
    // export records the model and its overrides in the file: predict needs neither --model nor --model-args
    const fused = join(work, 'repvgg-fused.npy');
    const input = ['--input', smallFixturePath(fixture, 'input.npy')];
    expect(runCliSync(['predict', ...input, '--checkpoint', join(deploy, 'model.safetensors'), '--output', fused]).code).toBe(0);
    expect(maxRel(readNpy(fused).data as Float32Array, reference)).toBeLessThan(1e-4);
  });

  it.each(['inception_next_tiny_cfg', 'mobilenext_tiny_cfg', 'efficientnetv2_tiny_cfg'] as const)(
    'predict reads the class count of %s from its own classifier weight',
    (fixture) => {
      const out = join(work, `${fixture}.npy`);
      const { model } = smallManifest(fixture);
      const run = runCliSync([
        'predict', '--model', model, '--model-args', shapeArgs(fixture),
        '--checkpoint', smallFixturePath(fixture, 'weights.safetensors'),
        '--input', smallFixturePath(fixture, 'input.npy'), '--output', out,
      ]);
      expect(run.stderr).toBe(`wrote logits [4, 4] to ${out}\n`);
      expect(maxRel(readNpy(out).data as Float32Array, readNpy(smallFixturePath(fixture, 'logits.npy')).data as Float32Array)).toBeLessThan(1e-4);
    },
  );

  it('--model of another family drops the recipe\'s family-specific model.args with a note', () => {
    const run = runCliSync(['train', '--recipe', 'synthetic_smoke', '--model', 'repvgg_a0', '--model-args', '{"widths":[8,8,8,8],"stemChs":8}', '--max-steps', '1', '--out', join(work, 'switch')]);
    expect(run.stderr).toMatch(/note: --model repvgg_a0 \(repvgg\) replaces the recipe's convnext\w* \(convnext\w*\); not applying its model\.args .*dims/);
    expect(run.code).toBe(0);
  });
});
