/**
 * `nextnets roadmap` in CI size (tiny widths, the synthetic set, 20 steps per network), run in-process: the table,
 * roadmap.json and both figures, per-step resumption (a finished step is kept when the roadmap is run again with more
 * steps), the kernel-size sweep, and one-line errors for bad step names.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { runCli } from '../src/cli/run.js';
import { describeModels } from '../src/commands/models.js';
import type { RoadmapReport } from '../src/commands/roadmap-report.js';

const work = mkdtempSync(join(tmpdir(), 'nextnets-roadmap-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs the CLI in this process; returns the exit code and what it wrote to stderr and stdout. */
async function run(args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  let stderr = '';
  let stdout = '';
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  try {
    const code = await runCli(['node', 'nextnets', ...args]);
    return { code, stderr, stdout };
  } finally {
    err.mockRestore();
    out.mockRestore();
  }
}

const SMALL = ['--recipe', 'synthetic_smoke', '--epochs', '3', '--max-steps', '20', '--width-mult', '0.0625', '--depth-mult', '0.34'];
const STEPS = ['roadmap_resnet50', 'roadmap_patchify', 'roadmap_separate_downsampling'];

const isPng = (path: string): boolean => readFileSync(path).subarray(0, 8).toString('hex') === '89504e470d0a1a0a';

describe('nextnets roadmap', () => {
  const out = join(work, 'roadmap');

  it('trains the given steps with one recipe, keeps finished steps, and writes the table and figure', async () => {
    const first = await run(['roadmap', ...SMALL, '--steps', 'roadmap_resnet50', '--out', out]);
    expect(first.code, first.stderr).toBe(0);
    const firstWeights = readFileSync(join(out, 'roadmap_resnet50', 'last', 'model.safetensors'));

    // Each step's model, optimizer slots and EMA are freed before the next: the roadmap leaves no tensor behind.
    const tensorsBefore = tf.memory().numTensors;
    const r = await run(['roadmap', ...SMALL, '--steps', STEPS.join(','), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(r.stderr).toMatch(/roadmap_resnet50: already trained/);
    expect(readFileSync(join(out, 'roadmap_resnet50', 'last', 'model.safetensors')).equals(firstWeights)).toBe(true);

    const report = JSON.parse(readFileSync(join(out, 'roadmap.json'), 'utf8')) as RoadmapReport;
    expect(report.steps.map((s) => s.step)).toEqual(STEPS);
    expect(report.kernelSweep).toEqual([]);
    for (const s of report.steps) {
      expect(s.steps).toBe(20);
      expect(s.top1).toBeGreaterThanOrEqual(0);
      expect(s.top1).toBeLessThanOrEqual(1);
      expect(s.gmacs).toBeGreaterThan(0);
      expect(s.params).toBeGreaterThan(0);
    }
    // One recipe for every step: the saved configs differ only in the model (and the run name).
    const configs = STEPS.map((name) => parseYaml(readFileSync(join(out, name, 'config.yaml'), 'utf8')) as Record<string, unknown>);
    const shared = configs.map(({ model: _model, name: _name, ...rest }) => rest);
    expect(shared[1]).toEqual(shared[0]);
    expect(shared[2]).toEqual(shared[0]);
    expect(configs.map((c) => (c.model as { name: string }).name)).toEqual(STEPS);

    const table = readFileSync(join(out, 'roadmap.md'), 'utf8');
    expect(table).toMatch(/\| step \| change \| params \| MACs \| top-1 \(%\)/);
    for (const name of STEPS) expect(table).toMatch(new RegExp(`\\| \`${name}\` \\| .* \\| \\d+\\.\\d\\d \\| \\d+\\.\\d\\d \\| 20 \\|`));

    const svg = readFileSync(join(out, 'roadmap.svg'), 'utf8');
    expect(svg).toMatch(/^<svg/);
    expect(svg.match(/<rect x="230"[^>]*fill="#999999"/g)).toHaveLength(2);
    expect(svg.match(/<rect x="230"[^>]*fill="#1f77b4"/g)).toHaveLength(1);
    for (const name of ['resnet50', 'patchify', 'separate_downsampling']) expect(svg).toContain(`>${name}</text>`);
    expect(isPng(join(out, 'roadmap.png'))).toBe(true);
    expect(existsSync(join(out, 'kernel-sweep.svg'))).toBe(false);
  });

  it('refuses to continue a roadmap folder under other settings', async () => {
    const r = await run(['roadmap', ...SMALL, '--width-mult', '0.125', '--steps', 'roadmap_resnet50', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^nextnets: .*roadmap-settings\.json: this folder holds a roadmap trained with other settings/);
  });

  it('runs the kernel-size sweep of roadmap_kernel_7 and draws it', async () => {
    const dir = join(work, 'sweep');
    const args = ['roadmap', ...SMALL, '--max-steps', '4', '--steps', 'roadmap_kernel_7', '--kernel-sizes', '3,7', '--out', dir];
    const r = await run(args);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'roadmap.json'), 'utf8')) as RoadmapReport;
    expect(report.kernelSweep.map((s) => [s.id, s.kernelSize])).toEqual([
      ['roadmap_kernel_7_k3', 3],
      ['roadmap_kernel_7', 7],
    ]);
    expect(report.kernelSweep[0].gmacs).toBeLessThan(report.kernelSweep[1].gmacs);
    expect(readFileSync(join(dir, 'kernel-sweep.svg'), 'utf8').match(/<circle /g)).toHaveLength(2);
    expect(isPng(join(dir, 'kernel-sweep.png'))).toBe(true);
    expect(readFileSync(join(dir, 'roadmap.md'), 'utf8')).toMatch(/Kernel-size sweep/);
  });

  it('nextnets models lists the 12 steps (GMACs at 224² are checked in @nextnets/models-roadmap)', () => {
    const rows = describeModels('roadmap_', 0);
    expect(rows.map((r) => r.name)).toHaveLength(12);
    expect(rows.find((r) => r.name === 'roadmap_resnet50')).toMatchObject({ family: 'roadmap', params: 25_557_032, gmacs: null });
    expect(rows.find((r) => r.name === 'roadmap_separate_downsampling')?.params).toBe(28_589_128);
  });

  it('names an unknown step in one line', async () => {
    const r = await run(['roadmap', '--steps', 'roadmap_resnet50,roadmap_nope', '--out', join(work, 'bad')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^nextnets: --steps: unknown roadmap step 'roadmap_nope' \(steps: roadmap_resnet50, /);
  });
});
