/**
 * `nextnets pretrain` on @nextnets/train: a tiny FCMAE run writes reconstruction PNGs every epoch and the encoder
 * checkpoint; SIGKILL mid-run + --resume ends with the weights of an uninterrupted run; `--replicas 2` gives the
 * single replica's losses (each step's mask is drawn once, on the main thread, and sharded with the images).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors } from '@nextnets/core-layers/node';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliSync, runUntilThenKill, trainLosses } from './helpers';

const work = mkdtempSync(join(tmpdir(), 'nextnets-pretrain-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// 36 training images / batch 8 = 4 steps per epoch, 2 epochs; the recipe's 40 warmup epochs do not fit the run
const recipe = join(work, 'tiny_fcmae.yaml');
writeFileSync(
  recipe,
  `name: tiny_fcmae
kind: pretrain
model: { name: convnextv2_atto, args: { depths: [1, 1], dims: [16, 32] } }
data: { dataset: synthetic, imageSize: 32, syntheticCount: 48, syntheticClasses: 4, valFraction: 0.25, workers: 0 }
augment: { policy: rrc, scale: [0.2, 1] }
optimizer: { name: adamw, lr: 1.0e-3, betas: [0.9, 0.95], weightDecay: 0.05 }
schedule: { name: cosine, epochs: 2, warmupEpochs: 40, warmupStyle: exclusive }
pretrain: { maskRatio: 0.6, patchSize: 8, normPixLoss: true, decoderDepth: 1, decoderEmbedDim: 32 }
train: { batchSize: 8, checkpointEvery: 2 }
`,
);


describe('nextnets pretrain', () => {
  const straight = join(work, 'straight');

  it('writes metrics, curves, the encoder and reconstruction PNGs per epoch; a short run gets a sane warmup', () => {
    const r = runCliSync(['pretrain', '--recipe', recipe, '--out', straight]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/note: schedule\.warmupEpochs 40 covers the whole 2-epoch run; warming up over its first 1 of 8 steps instead/);
    expect(r.stderr).toMatch(/epoch 2: masked reconstruction loss \d+\.\d+/);
    expect(r.stdout).toMatch(/pre-trained 8 steps \(2 epochs\)/);
    for (const file of ['config.yaml', 'curves.svg', 'curves.png', 'last/encoder.safetensors', 'last/state.json', 'reconstructions/epoch-001-0.png', 'reconstructions/epoch-002-1.png']) {
      expect(existsSync(join(straight, file)), file).toBe(true);
    }
    const png = readFileSync(join(straight, 'reconstructions', 'epoch-002-0.png'));
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(png.readUInt32BE(16)).toBe(3 * 128 + 2 * 2 * 4); // three 32-pixel panels and two gaps, scaled 4×
    const encoder = readSafetensors(join(straight, 'last', 'encoder.safetensors'));
    expect(encoder.tensors.get('stem.0.weight')?.shape).toEqual([16, 3, 4, 4]);
    expect(encoder.tensors.has('mask_token')).toBe(false);
    expect(trainLosses(straight)).toHaveLength(8);
  });

  it('is killed with SIGKILL mid-run and --resume ends exactly like the uninterrupted run', async () => {
    const killed = join(work, 'killed');
    const first = await runUntilThenKill(['pretrain', '--recipe', recipe, '--out', killed], /epoch 2\/2 step 1\/4/);
    expect(first.killed).toBe(true);
    const resumed = runCliSync(['pretrain', '--resume', killed]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming from .*last at epoch \d, step \d/);
    const a = readSafetensors(join(killed, 'last', 'model.safetensors')).tensors;
    const b = readSafetensors(join(straight, 'last', 'model.safetensors')).tensors;
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [key, t] of a) expect(Array.from(t.data), key).toEqual(Array.from(b.get(key)!.data));
  });

  it('--replicas 2 follows the single-replica run', () => {
    const two = join(work, 'two');
    const r = runCliSync(['pretrain', '--recipe', recipe, '--replicas', '2', '--out', two]);
    expect(r.code, r.stderr).toBe(0);
    const [a, b] = [trainLosses(straight), trainLosses(two)];
    expect(b).toHaveLength(a.length);
    b.forEach((loss, i) => expect(loss).toBeCloseTo(a[i], 4));
  });
});
