/** The README example (examples/imagefolder.ts) trains on a small generated ImageFolder and writes its run folder. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { trainImageFolder } from '../examples/imagefolder';

const work = mkdtempSync(join(tmpdir(), 'train-example-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('README example', () => {
  it('trains a ConvNeXt on an ImageFolder from a script', async () => {
    const root = join(work, 'images');
    for (const [c, colour] of [['red', [220, 30, 30]], ['blue', [30, 30, 220]]] as const) {
      mkdirSync(join(root, c), { recursive: true });
      for (let i = 0; i < 8; i++) {
        const pixels = Buffer.alloc(40 * 40 * 3).map((_, k) => Math.min(255, colour[k % 3] + ((k * 7 + i * 13) % 30)));
        await sharp(pixels, { raw: { width: 40, height: 40, channels: 3 } }).png().toFile(join(root, c, `${i}.png`));
      }
    }
    const out = join(work, 'run');
    const tiny = { depths: [1, 1, 1, 1], dims: [8, 16, 24, 32] };
    const result = await trainImageFolder(root, out, 2, tiny);
    expect(result.steps).toBe(4);
    for (const file of ['metrics.jsonl', 'curves.svg', 'curves.png', 'last/model.safetensors', 'summary.json']) expect(existsSync(join(out, file)), file).toBe(true);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').filter((l) => l.includes('"type":"epoch"'))).toHaveLength(2);
  });
});
