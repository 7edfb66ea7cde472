/**
 * The built app in headless Debian Chromium (puppeteer-core, /usr/bin/chromium; nothing downloads a browser), served by
 * `vite preview` on 127.0.0.1: fixture logits on wasm, WebGL and WebGPU (the last two through SwiftShader), a short
 * fine-tune on generated images of two classes, the downloaded .safetensors, and a screenshot for the README.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '@tensorflow/tfjs-backend-cpu';
import { createModel, parseSafetensors, stateDict } from '@nextnets/core-layers';
import { readNpy } from '@nextnets/core-layers/node';
import '@nextnets/models-convnext';
import { relMaxDiff, smallFixturePath, smallManifest } from '@nextnets/test-fixtures';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bmp } from './bmp';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const outputDir = join(appDir, 'test-output');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FIXTURE = 'convnext_tiny_cfg';
/** The `nextnets` command from source (tsx), so the test needs no CLI build. */
const CLI = join(appDir, '..', 'cli', 'src', 'bin.ts');
const manifest = smallManifest(FIXTURE);

let server: PreviewServer;
let browser: Browser;
let page: Page;
let profileDir: string;
let workDir: string;
let classImages: string[][];
const pageErrors: string[] = [];

/** The page's `window.nextnets.state`, as JSON. */
interface PageState {
  backend: string;
  busy: boolean;
  losses: number[];
  stepTensors: number[];
  messages: string[];
  inferenceImagesPerSecond: Record<string, number>;
  trainImagesPerSecond: Record<string, number>;
  logits: number[][] | null;
}

async function pageState(): Promise<PageState> {
  return page.evaluate(() => {
    const s = (window as unknown as { nextnets: { state: Record<string, unknown> } }).nextnets.state as {
      backend: string; busy: boolean; losses: number[]; stepTensors: number[]; messages: string[];
      inferenceImagesPerSecond: Map<string, number>; trainImagesPerSecond: Map<string, number>;
      lastPrediction: { logits: Float32Array[] } | null;
    };
    return {
      backend: s.backend, busy: s.busy, losses: s.losses, stepTensors: s.stepTensors, messages: s.messages,
      inferenceImagesPerSecond: Object.fromEntries(s.inferenceImagesPerSecond),
      trainImagesPerSecond: Object.fromEntries(s.trainImagesPerSecond),
      logits: s.lastPrediction ? s.lastPrediction.logits.map((row) => [...row]) : null,
    };
  });
}

/** Waits until the page has finished its current task and returns the last message. */
async function settled(timeout = 120_000): Promise<string> {
  await page.waitForFunction(() => !(window as unknown as { nextnets: { state: { busy: boolean } } }).nextnets.state.busy, { timeout, polling: 100 });
  return page.$eval('#message', (el) => `${el.className}: ${el.textContent}`);
}

const t0 = Date.now();
const stamp = (what: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${what}`);

async function chooseBackend(name: string): Promise<void> {
  stamp(`backend ${name}`);
  await page.select('#backend', name);
  await page.waitForFunction((n) => (window as unknown as { nextnets: { state: { backend: string } } }).nextnets.state.backend === n, { timeout: 60_000 }, name);
  const msg = await settled();
  expect(msg).not.toMatch(/^error/);
}

/** Picks files in a file input (as a user would) and waits for the task it starts; returns the message line. */
async function upload(selector: string, ...paths: string[]): Promise<string> {
  const input = await page.$(selector);
  if (!input) throw new Error(`no ${selector} on the page`);
  const before = await page.evaluate(() => (window as unknown as { nextnets: { state: { tasksDone: number } } }).nextnets.state.tasksDone);
  await (input as unknown as { uploadFile(...p: string[]): Promise<void> }).uploadFile(...paths);
  await page.waitForFunction((n) => (window as unknown as { nextnets: { state: { tasksDone: number } } }).nextnets.state.tasksDone > n, { timeout: 120_000, polling: 50 }, before);
  return page.$eval('#message', (el) => `${el.className}: ${el.textContent}`);
}

async function setValue(selector: string, value: string): Promise<void> {
  await page.$eval(selector, (el, v) => {
    (el as HTMLInputElement).value = v;
  }, value);
}

/** Picks the generated images of the two classes in the fine-tune section. */
async function pickClassImages(): Promise<void> {
  await page.$$eval('.class-name', (els) => {
    (els[0] as HTMLInputElement).value = 'warm';
    (els[1] as HTMLInputElement).value = 'cool';
  });
  const inputs = await page.$$('input.class-files');
  await inputs[0].uploadFile(...classImages[0]);
  await inputs[1].uploadFile(...classImages[1]);
}

/** Clicks Train for `steps` steps at `size` px (batch 8) and returns the losses; checks tensors stay constant. */
async function train(steps: number, size: number, lr = 0.004): Promise<number[]> {
  await pickClassImages();
  await setValue('#input-size', String(size));
  await setValue('#steps', String(steps));
  await setValue('#lr', String(lr));
  await setValue('#batch', '8');
  const before = await page.evaluate(() => (window as unknown as { nextnets: { state: { tasksDone: number } } }).nextnets.state.tasksDone);
  await page.click('#train');
  await page.waitForFunction((n) => (window as unknown as { nextnets: { state: { tasksDone: number } } }).nextnets.state.tasksDone > n, { timeout: 150_000, polling: 100 }, before);
  expect(await settled()).toMatch(/^ok: fine-tuned/);
  const state = await pageState();
  expect(state.losses).toHaveLength(steps);
  expect(new Set(state.stepTensors.slice(1)).size, `numTensors per step: ${state.stepTensors.join(',')}`).toBe(1);
  stamp(`${state.backend} training: ${state.trainImagesPerSecond[state.backend]?.toFixed(1)} img/s, losses ${state.losses.map((l) => l.toFixed(3)).join(' ')}`);
  return state.losses;
}

/** max|a − b| / max|b| over all entries of page logits `a`. */
const relativeError = (a: number[][], b: Float32Array): number => relMaxDiff(a.flat(), b);

/** Generated images of two classes: warm with a horizontal bar vs cool with a vertical bar, plus noise. */
function writeClassImages(dir: string, perClass: number): string[][] {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return [0, 1].map((cls) =>
    Array.from({ length: perClass }, (_, i) => {
      const offset = Math.floor(rand() * 16);
      const image = bmp(48, 48, (x, y) => {
        const onBar = cls === 0 ? Math.abs(y - 16 - offset) < 5 : Math.abs(x - 16 - offset) < 5;
        const n = () => Math.floor(rand() * 60);
        return cls === 0 ? [onBar ? 250 : 170 + n(), 60 + n(), 40 + n()] : [40 + n(), 90 + n(), onBar ? 250 : 170 + n()];
      });
      const path = join(dir, `class${cls}-${i}.bmp`);
      writeFileSync(path, image);
      return path;
    }),
  );
}

/** Process ids whose command line mentions `needle` (our Chromium profile folder). */
function processesWith(needle: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (bash .ci/install-deps)`);
  mkdirSync(outputDir, { recursive: true });
  workDir = mkdtempSync(join(tmpdir(), 'nextnets-web-'));
  profileDir = join(workDir, 'profile');
  classImages = writeClassImages(workDir, 6);
  stamp('build');
  await build({ root: appDir, logLevel: 'warn', configFile: join(appDir, 'vite.config.ts') });
  server = await preview({ root: appDir, logLevel: 'warn', configFile: join(appDir, 'vite.config.ts'), preview: { host: '127.0.0.1', port: 0 } });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report a URL');
  const args = ['--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-angle=swiftshader', `--user-data-dir=${profileDir}`];
  if (process.getuid?.() === 0) args.push('--no-sandbox'); // Chromium refuses to sandbox as root (CI containers)
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args, protocolTimeout: 150_000 });
  page = await browser.newPage();
  await page.setViewport({ width: 1000, height: 1300 });
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  const session = await browser.target().createCDPSession();
  await session.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: workDir });
  stamp('chromium up');
  await page.goto(`${url}?backend=wasm`);
  await page.waitForFunction(() => (window as unknown as { nextnets?: { state: { backend: string } } }).nextnets?.state.backend === 'wasm', { timeout: 60_000 });
  await settled();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  const left = profileDir ? processesWith(profileDir) : [];
  rmSync(workDir, { recursive: true, force: true });
  expect(left, 'Chromium processes left running').toEqual([]);
});

describe('nextnets web app in headless Chromium', () => {
  const reference = readNpy(smallFixturePath(FIXTURE, 'logits.npy')).data as Float32Array;
  const logits: Record<string, number> = {};

  for (const [backend, tolerance] of [['wasm', 1e-4], ['webgl', 1e-3], ['webgpu', 1e-3]] as const) {
    it(`loads the ${FIXTURE} weights and matches PyTorch's logits on ${backend} (≤ ${tolerance} relative)${backend === 'wasm' ? '' : ', then trains 4 steps'}`, async () => {
      await chooseBackend(backend);
      await setValue('#model-name', manifest.model);
      await setValue('#model-args', JSON.stringify(manifest.model_args));
      await setValue('#input-size', String(manifest.input_shape[2]));
      expect(await upload('#weights-file', smallFixturePath(FIXTURE, 'weights.safetensors'))).toMatch(/^ok: loaded convnext_atto/);
      expect(await upload('#images-file', smallFixturePath(FIXTURE, 'input.npy'))).not.toMatch(/^error/);
      const state = await pageState();
      expect(state.backend).toBe(backend);
      expect(state.logits).toHaveLength(manifest.input_shape[0]);
      // our fused kernels (and SIMD modules) exist on wasm only; on WebGL/WebGPU core-layers runs the composite ops
      const custom = await page.evaluate(
        (b) => (window as unknown as { nextnets: { tf: typeof import('@tensorflow/tfjs-core') } }).nextnets.tf.getKernelsForBackend(b).map((k) => k.kernelName).filter((n) => n.startsWith('Nextnets')),
        backend,
      );
      if (backend === 'wasm') expect(custom).toEqual(expect.arrayContaining(['NextnetsLayerNorm', 'NextnetsGelu', 'NextnetsAdamWUpdate']));
      else expect(custom).toEqual([]);
      stamp(`${backend} logits`);
      logits[backend] = relativeError(state.logits!, reference);
      expect(logits[backend]).toBeLessThanOrEqual(tolerance);
      console.log(`${backend}: logits rel. err ${logits[backend].toExponential(2)}, ${state.inferenceImagesPerSecond[backend]?.toFixed(1)} img/s at ${manifest.input_shape[2]}px`);
      if (backend !== 'wasm') {
        // a few training steps here too (wasm gets the longer fine-tune below): composite ops, no fused kernels.
        // Each GPU backend is exercised in one go: on SwiftShader, WebGL cannot compile shaders any more once WebGPU
        // has run in the page.
        const losses = await train(4, 32);
        expect(losses.every((l) => Number.isFinite(l) && l > 0)).toBe(true);
      }
    });
  }

  it('loads a `nextnets export --format tfjs` folder (model.json + shards) and gives the same logits on wasm', async () => {
    const out = join(workDir, 'tfjs');
    const cliArgs = ['export', '--model', manifest.model, '--model-args', JSON.stringify(manifest.model_args)];
    cliArgs.push('--checkpoint', smallFixturePath(FIXTURE, 'weights.safetensors'), '--format', 'tfjs', '--out', out);
    execFileSync(process.execPath, ['--conditions=@nextnets/source', '--import', 'tsx', CLI, ...cliArgs], { cwd: appDir, stdio: 'pipe' });
    await chooseBackend('wasm');
    await setValue('#model-name', 'convnextv2_atto'); // ignored: the name and args come from model.json
    await setValue('#model-args', '{}');
    await setValue('#input-size', String(manifest.input_shape[2]));
    const files = readdirSync(out).map((f) => join(out, f));
    expect(await upload('#weights-file', ...files)).toMatch(/^ok: loaded convnext_atto from model\.json/);
    expect(await upload('#images-file', smallFixturePath(FIXTURE, 'input.npy'))).not.toMatch(/^error/);
    expect(relativeError((await pageState()).logits!, reference)).toBeLessThanOrEqual(1e-4);
    // a shard left out is named
    expect(await upload('#weights-file', join(out, 'model.json'))).toMatch(/^error: model\.json: weight shard 'group1-shard1of1\.bin' is missing/);
  });

  it('says in one line what is wrong with a bad weights file, a wrong model and an image that does not decode', async () => {
    const junk = join(workDir, 'junk.safetensors');
    writeFileSync(junk, 'this is not a safetensors file');
    expect(await upload('#weights-file', junk)).toMatch(/^error: junk\.safetensors: [^\n]+$/);
    await setValue('#model-name', 'convnextv2_atto');
    await setValue('#model-args', JSON.stringify(manifest.model_args));
    expect(await upload('#weights-file', smallFixturePath(FIXTURE, 'weights.safetensors'))).toMatch(/^error: weights\.safetensors: (missing|unexpected) key '[^']+'/);
    const broken = join(workDir, 'broken.png');
    writeFileSync(broken, 'not a png');
    expect(await upload('#images-file', broken)).toMatch(/^error: broken\.png: the image cannot be decoded/);
  });

  it('fine-tunes on two generated classes on wasm: the loss falls, tensors do not leak, the download parses back', async () => {
    await chooseBackend('wasm');
    await setValue('#model-name', manifest.model);
    await setValue('#model-args', JSON.stringify(manifest.model_args));
    await setValue('#input-size', '32');
    expect(await upload('#weights-file', smallFixturePath(FIXTURE, 'weights.safetensors'))).toMatch(/^ok/);
    const [warm, cool] = classImages;
    const steps = 24;
    const losses = await train(steps, 32);
    const state = await pageState();
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(losses.slice(0, 4));
    const last = mean(losses.slice(-4));
    console.log(`fine-tune: loss ${first.toFixed(4)} → ${last.toFixed(4)} in ${steps} steps, ${state.trainImagesPerSecond.wasm?.toFixed(1)} img/s training`);
    expect(last).toBeLessThan(first * 0.7);

    // classify some of the generated images with the fine-tuned model (and keep the page for the README)
    expect(await upload('#images-file', warm[0], cool[0], warm[1], cool[1])).not.toMatch(/^error/);
    const after = await pageState();
    const predicted = after.logits!.map((row) => (row[0] > row[1] ? 0 : 1));
    expect(predicted).toEqual([0, 1, 0, 1]);
    await page.screenshot({ path: join(outputDir, 'screenshot.png'), fullPage: true });
    writeFileSync(join(outputDir, 'timings.json'), `${JSON.stringify({ ...after, logits: undefined, losses: state.losses }, null, 1)}\n`);

    await page.click('#download');
    const file = join(workDir, 'convnext_atto-finetuned.safetensors');
    for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 100));
    const { tensors, metadata } = parseSafetensors(new Uint8Array(readFileSync(file)), file);
    expect(JSON.parse(metadata.classes)).toEqual(['warm', 'cool']);
    const expected = stateDict(createModel(manifest.model, { ...manifest.model_args, numClasses: 2 }));
    expect([...tensors.keys()]).toEqual([...expected.keys()]);
    for (const [key, t] of expected) expect(tensors.get(key)!.shape, key).toEqual(t.shape);

    // the downloaded weights load in `nextnets predict` and give the page's logits
    expect(await upload('#images-file', smallFixturePath(FIXTURE, 'input.npy'))).not.toMatch(/^error/);
    const pageLogits = (await pageState()).logits!;
    const cliLogits = join(workDir, 'cli-logits.npy');
    const cliArgs = ['predict', '--model', manifest.model, '--model-args', JSON.stringify({ ...manifest.model_args, numClasses: 2 })];
    cliArgs.push('--checkpoint', file, '--input', smallFixturePath(FIXTURE, 'input.npy'), '--output', cliLogits);
    execFileSync(process.execPath, ['--conditions=@nextnets/source', '--import', 'tsx', CLI, ...cliArgs], { cwd: appDir, stdio: 'pipe' });
    const predicted2 = readNpy(cliLogits);
    expect(predicted2.shape).toEqual([manifest.input_shape[0], 2]);
    expect(relativeError(pageLogits, predicted2.data as Float32Array)).toBeLessThanOrEqual(1e-4);
  });

  it('prints no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
