/**
 * In-browser throughput of a model on each backend in headless Debian Chromium (WebGL/WebGPU through SwiftShader, a
 * software rasteriser, unless the machine has a GPU Chromium can use): inference img/s (the page's own readout,
 * batch 4) and training img/s (whole-model AdamW steps, batch 8) on random-init weights.
 *
 *   pnpm --filter @nextnets/web build && pnpm --filter @nextnets/web bench [model] [size] [steps] [backends]
 *
 * steps 0 skips training; backends is a comma-separated subset of wasm,webgl,webgpu.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '@tensorflow/tfjs-backend-cpu';
import { createModel, manualSeed } from '@nextnets/core-layers';
import { saveSafetensors } from '@nextnets/core-layers/node';
import '@nextnets/models-convnext';
import '@nextnets/models-efficient';
import '@nextnets/models-rep';
import puppeteer from 'puppeteer-core';
import { preview } from 'vite';
import { bmp } from '../test/bmp';

const [modelName = 'convnext_atto', sizeArg = '224', stepsArg = '3', backendsArg = 'wasm,webgl,webgpu'] = process.argv.slice(2);
const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'nextnets-web-bench-'));
manualSeed(0);
const weights = join(work, `${modelName}.safetensors`);
saveSafetensors(createModel(modelName), weights);
const images = [0, 1].flatMap((cls) =>
  [0, 1, 2, 3].map((i) => {
    const path = join(work, `c${cls}-${i}.bmp`);
    writeFileSync(path, bmp(64, 64, (x, y) => (cls === 0 ? [200, (x * 4) % 256, 40] : [40, (y * 4) % 256, 200])));
    return path;
  }),
);

const server = await preview({ root: appDir, logLevel: 'warn', preview: { host: '127.0.0.1', port: 0 } });
const args = ['--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-angle=swiftshader', `--user-data-dir=${join(work, 'profile')}`];
if (process.getuid?.() === 0) args.push('--no-sandbox');
const browser = await puppeteer.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args, protocolTimeout: 600_000 });
type NextnetsWindow = { nextnets: { state: { busy: boolean; tasksDone: number; backend: string; inferenceImagesPerSecond: Map<string, number>; trainImagesPerSecond: Map<string, number> } } };
try {
  const page = await browser.newPage();
  await page.goto(`${server.resolvedUrls!.local[0]}?backend=wasm`);
  const waitTask = async (before: number) =>
    page.waitForFunction((n) => (window as unknown as NextnetsWindow).nextnets.state.tasksDone > n, { timeout: 600_000, polling: 100 }, before);
  const tasks = () => page.evaluate(() => (window as unknown as NextnetsWindow).nextnets.state.tasksDone);
  await page.waitForFunction(() => (window as unknown as NextnetsWindow).nextnets?.state.backend === 'wasm', { timeout: 60_000 });
  const rows: string[] = [];
  for (const backend of backendsArg.split(',')) {
    let before = await tasks();
    await page.select('#backend', backend);
    if (backend !== (await page.evaluate(() => (window as unknown as NextnetsWindow).nextnets.state.backend))) await waitTask(before);
    await page.$eval('#model-name', (el, v) => ((el as HTMLInputElement).value = v), modelName);
    await page.$eval('#model-args', (el) => ((el as HTMLInputElement).value = '{}'));
    await page.$eval('#input-size', (el, v) => ((el as HTMLInputElement).value = v), sizeArg);
    before = await tasks();
    await (await page.$('input#weights-file'))!.uploadFile(weights);
    await waitTask(before);
    const inputs = await page.$$('input.class-files');
    await inputs[0].uploadFile(...images.slice(0, 4));
    await inputs[1].uploadFile(...images.slice(4));
    await page.$eval('#steps', (el, v) => ((el as HTMLInputElement).value = v), stepsArg);
    await page.$eval('#batch', (el) => ((el as HTMLInputElement).value = '8'));
    if (stepsArg !== '0') {
      before = await tasks();
      await page.click('#train');
      await waitTask(before);
    }
    const result = await page.evaluate((b) => {
      const s = (window as unknown as NextnetsWindow).nextnets.state;
      return { backend: s.backend, inference: s.inferenceImagesPerSecond.get(b), training: s.trainImagesPerSecond.get(b), message: document.getElementById('message')!.textContent };
    }, backend);
    rows.push(`| ${result.backend} | ${result.inference?.toFixed(1) ?? '–'} | ${result.training?.toFixed(1) ?? '–'} |`);
    console.error(`${backend}: ${JSON.stringify(result)}`);
  }
  console.log(`${modelName} at ${sizeArg}x${sizeArg}, headless Chromium ${(await browser.version()).split('/')[1]}\n\n| backend | inference img/s (batch 4) | training img/s (batch 8) |\n|---|---|---|\n${rows.join('\n')}`);
} finally {
  await browser.close();
  await server.close();
  rmSync(work, { recursive: true, force: true });
}
