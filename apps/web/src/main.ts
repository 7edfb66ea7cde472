import * as tf from '@tensorflow/tfjs-core';
import { listModels, parseNpy, safetensorsBytes, type ModelOverrides } from '@nextnets/core-layers';
import { useBackend, WEB_BACKENDS, type WebBackend } from './backends';
import { drawLossCurve } from './chart';
import { measureThroughput, predict, type Prediction } from './classify';
import { finetune } from './finetune';
import { modelFromSafetensors, modelFromTfjs, tfjsShardPaths, type LoadedModel } from './model';
import { decodeImage, imagesToTensor } from './preprocess';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** What the page holds; also exposed as `window.nextnets` for scripting and the browser test. */
const state = {
  loaded: null as LoadedModel | null,
  backend: '',
  busy: false,
  /** Tasks (loads, classifications, training runs, backend switches) finished so far, failed ones included. */
  tasksDone: 0,
  inferenceImagesPerSecond: new Map<string, number>(),
  trainImagesPerSecond: new Map<string, number>(),
  lastPrediction: null as Prediction | null,
  losses: [] as number[],
  /** tf.memory().numTensors after each training step. */
  stepTensors: [] as number[],
  lastDownload: null as { name: string; bytes: Uint8Array } | null,
  messages: [] as string[],
};
(window as unknown as { nextnets: unknown }).nextnets = { state, tf, switchBackend, loadWeightsFiles, classifyFiles, train, setClassFiles, download };

function message(text: string, kind: 'ok' | 'error' | '' = ''): void {
  const el = $('message');
  el.textContent = text;
  el.className = kind;
  state.messages.push(`${kind}: ${text}`);
}

/** One line for the user: our errors are already one line; tfjs/browser ones are cut to their first line. */
function errorText(err: unknown): string {
  const text = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  if (state.backend === 'webgl' && /shader/i.test(text)) {
    // seen on SwiftShader (software WebGL/WebGPU) once WebGPU has run in the same page
    return `${text} WebGL cannot build its shaders any more in this page; reload it (or pick another backend)`;
  }
  return text;
}

async function guarded(what: string, fn: () => Promise<void>): Promise<void> {
  if (state.busy) {
    message(`busy: wait for the current ${what === 'train' ? 'step' : 'task'} to finish`, 'error');
    return;
  }
  state.busy = true;
  try {
    await fn();
  } catch (err) {
    message(errorText(err), 'error');
  } finally {
    state.busy = false;
    state.tasksDone++;
  }
}

function inputSize(): number {
  const v = Number(($('input-size') as HTMLInputElement).value);
  if (v > 0) return Math.round(v);
  return state.loaded ? state.loaded.cfg.inputSize[1] : 224;
}

function renderBackendStatus(): void {
  const name = state.backend;
  const inf = state.inferenceImagesPerSecond.get(name);
  const trn = state.trainImagesPerSecond.get(name);
  const parts = [`running on ${name}`];
  if (inf !== undefined) parts.push(`${inf.toFixed(1)} img/s inference`);
  if (trn !== undefined) parts.push(`${trn.toFixed(1)} img/s training`);
  $('backend-status').textContent = parts.join(' · ');
}

async function measure(): Promise<void> {
  if (!state.loaded) return;
  const size = inputSize();
  const x = tf.randomNormal([4, size, size, 3]) as tf.Tensor4D;
  try {
    state.inferenceImagesPerSecond.set(state.backend, await measureThroughput(state.loaded.model, x, 800));
  } finally {
    x.dispose();
  }
  renderBackendStatus();
}

async function switchBackend(name: WebBackend): Promise<string> {
  $('backend-status').textContent = `starting ${name}…`;
  try {
    state.backend = await useBackend(name);
  } catch (err) {
    state.backend = tf.getBackend() ?? '';
    renderBackendStatus();
    throw err;
  }
  ($('backend') as HTMLSelectElement).value = state.backend;
  renderBackendStatus();
  await measure();
  return state.backend;
}

function modelArgs(): ModelOverrides {
  const text = ($('model-args') as HTMLInputElement).value.trim() || '{}';
  try {
    const args = JSON.parse(text) as unknown;
    if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new Error('not an object');
    return args as ModelOverrides;
  } catch (err) {
    throw new Error(`model args: expected a JSON object such as {"numClasses": 10} (${errorText(err)})`);
  }
}

function setModel(loaded: LoadedModel): void {
  state.loaded?.model.dispose();
  state.loaded = loaded;
  ($('model-name') as HTMLInputElement).value = loaded.name;
  const params = loaded.model.namedParameters().reduce((n, [, p]) => n + p.variable.size, 0);
  $('model-status').textContent = `${loaded.name}: ${params.toLocaleString('en-US')} parameters, ${loaded.model.numClasses} classes, input ${inputSize()}px — from ${loaded.source}`;
  message(`loaded ${loaded.name} from ${loaded.source}`, 'ok');
  ($('download') as HTMLButtonElement).disabled = false;
}

async function bytesOf(file: Blob): Promise<Uint8Array> {
  return new Uint8Array(await file.arrayBuffer());
}

async function loadWeightsFiles(files: File[]): Promise<void> {
  const json = files.find((f) => f.name.endsWith('.json'));
  if (json) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await json.text());
    } catch {
      throw new Error(`${json.name}: not JSON (expected the model.json of nextnets export --format tfjs)`);
    }
    const shards = new Map<string, Uint8Array>();
    for (const f of files) if (f !== json) shards.set(f.name, await bytesOf(f));
    setModel(modelFromTfjs(parsed, shards, json.name));
  } else {
    const file = files[0];
    if (!file) return;
    const name = ($('model-name') as HTMLInputElement).value.trim();
    setModel(modelFromSafetensors(await bytesOf(file), file.name, name, modelArgs()));
  }
  await measure();
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new Error(`${url}: download failed (${errorText(err)}; the server must allow CORS)`);
  }
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function loadWeightsUrl(url: string): Promise<void> {
  if (!url) throw new Error('enter the URL of a .safetensors file or a model.json');
  const bytes = await fetchBytes(url);
  if (new URL(url, location.href).pathname.endsWith('.json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new Error(`${url}: not JSON (expected the model.json of nextnets export --format tfjs)`);
    }
    const shards = new Map<string, Uint8Array>();
    for (const p of tfjsShardPaths(parsed)) shards.set(p, await fetchBytes(new URL(p, new URL(url, location.href)).href));
    setModel(modelFromTfjs(parsed, shards, url));
  } else {
    const name = ($('model-name') as HTMLInputElement).value.trim();
    setModel(modelFromSafetensors(bytes, url, name, modelArgs()));
  }
  await measure();
}

function requireModel(): LoadedModel {
  if (!state.loaded) throw new Error('load a model first (step 1)');
  return state.loaded;
}

function renderPrediction(pred: Prediction, previews: (HTMLElement | null)[], labels: string[]): void {
  const classes = requireModel().classes;
  const out = $('predictions');
  out.replaceChildren();
  pred.top.forEach((top, i) => {
    const card = document.createElement('div');
    card.className = 'prediction';
    const preview = previews[i];
    if (preview) card.append(preview);
    const bars = document.createElement('div');
    bars.className = 'bars';
    const title = document.createElement('div');
    title.textContent = labels[i];
    bars.append(title);
    for (const { index, prob } of top) {
      const bar = document.createElement('div');
      bar.className = 'bar';
      const fill = document.createElement('span');
      fill.style.width = `${(prob * 100).toFixed(1)}%`;
      const text = document.createElement('em');
      text.textContent = `${classes[index] ?? `class ${index}`} ${(prob * 100).toFixed(1)}%`;
      bar.append(fill, text);
      bars.append(bar);
    }
    card.append(bars);
    out.append(card);
  });
  $('classify-status').textContent = `${pred.top.length} input(s) on ${state.backend}: ${pred.msPerImage.toFixed(1)} ms/image`;
}

async function classifyFiles(files: File[]): Promise<void> {
  const { model, cfg } = requireModel();
  const npy = files.find((f) => f.name.endsWith('.npy'));
  if (npy) {
    const array = parseNpy(await bytesOf(npy), npy.name);
    if (array.shape.length !== 4 || array.shape[1] !== 3 || !(array.data instanceof Float32Array)) {
      throw new Error(`${npy.name}: expected a float32 NCHW batch [N, 3, H, W], got shape [${array.shape.join(',')}] ${array.dtype}`);
    }
    const x = tf.tidy(() => tf.transpose(tf.tensor4d(array.data as Float32Array, array.shape as [number, number, number, number]), [0, 2, 3, 1])) as tf.Tensor4D;
    try {
      state.lastPrediction = await predict(model, x);
    } finally {
      x.dispose();
    }
    renderPrediction(state.lastPrediction, state.lastPrediction.top.map(() => null), state.lastPrediction.top.map((_, i) => `${npy.name} [${i}]`));
    return;
  }
  const bitmaps = [];
  for (const f of files) bitmaps.push(await decodeImage(f, f.name));
  if (bitmaps.length === 0) return;
  const x = imagesToTensor(bitmaps, inputSize(), cfg);
  try {
    state.lastPrediction = await predict(model, x);
  } finally {
    x.dispose();
  }
  const previews = files.map((f) => {
    const img = document.createElement('img');
    img.src = URL.createObjectURL(f);
    img.alt = f.name;
    return img;
  });
  renderPrediction(state.lastPrediction, previews, files.map((f) => f.name));
  bitmaps.forEach((b) => b.close());
}

async function webcamFrame(): Promise<void> {
  const { model, cfg } = requireModel();
  const stream = await navigator.mediaDevices.getUserMedia({ video: true }).catch((err: unknown) => {
    throw new Error(`webcam: ${errorText(err)}`);
  });
  try {
    const video = document.createElement('video');
    video.srcObject = stream;
    video.muted = true;
    await video.play();
    const frame = await createImageBitmap(video);
    const canvas = document.createElement('canvas');
    canvas.width = frame.width;
    canvas.height = frame.height;
    canvas.getContext('2d')!.drawImage(frame, 0, 0);
    const x = imagesToTensor([frame], inputSize(), cfg);
    try {
      state.lastPrediction = await predict(model, x);
    } finally {
      x.dispose();
      frame.close();
    }
    renderPrediction(state.lastPrediction, [canvas], ['webcam frame']);
  } finally {
    stream.getTracks().forEach((t) => t.stop());
  }
}

// ---- fine-tuning -------------------------------------------------------------------------------------------------

interface ClassRow {
  name: HTMLInputElement;
  files: File[];
  count: HTMLElement;
}
const classRows: ClassRow[] = [];

function addClass(): ClassRow {
  const row = document.createElement('div');
  row.className = 'class-row';
  const name = document.createElement('input');
  name.value = `class ${classRows.length + 1}`;
  name.className = 'class-name';
  const input = document.createElement('input');
  input.type = 'file';
  input.multiple = true;
  input.accept = 'image/*';
  input.className = 'class-files';
  const count = document.createElement('span');
  count.textContent = '0 images';
  const entry: ClassRow = { name, files: [], count };
  input.addEventListener('change', () => setClassFiles(classRows.indexOf(entry), [...(input.files ?? [])]));
  row.append(name, input, count);
  $('classes').append(row);
  classRows.push(entry);
  return entry;
}

function setClassFiles(index: number, files: File[]): void {
  const row = classRows[index];
  row.files = files;
  row.count.textContent = `${files.length} image${files.length === 1 ? '' : 's'}`;
}

async function train(): Promise<number[]> {
  const loaded = requireModel();
  const used = classRows.filter((r) => r.files.length > 0);
  if (used.length < 2) throw new Error('fine-tune: give at least 2 classes at least one image each');
  const bitmaps: ImageBitmap[] = [];
  const labels: number[] = [];
  for (const [label, row] of used.entries()) {
    for (const f of row.files) {
      bitmaps.push(await decodeImage(f, f.name));
      labels.push(label);
    }
  }
  const steps = Math.max(1, Math.round(Number(($('steps') as HTMLInputElement).value) || 1));
  const lr = Number(($('lr') as HTMLInputElement).value);
  if (!(lr > 0)) throw new Error('fine-tune: lr must be a positive number');
  const batchSize = Math.max(1, Math.round(Number(($('batch') as HTMLInputElement).value) || 1));
  const images = imagesToTensor(bitmaps, inputSize(), loaded.cfg);
  bitmaps.forEach((b) => b.close());
  state.losses = [];
  state.stepTensors = [];
  const progress = $('progress') as HTMLProgressElement;
  progress.max = steps;
  const speeds: number[] = [];
  try {
    await finetune({
      model: loaded.model,
      images,
      labels,
      numClasses: used.length,
      steps,
      lr,
      batchSize,
      headOnly: ($('head-only') as HTMLInputElement).checked,
      onStep: async ({ step, loss, imagesPerSecond, numTensors }) => {
        state.losses.push(loss);
        state.stepTensors.push(numTensors);
        if (step > 1) speeds.push(imagesPerSecond);
        progress.value = step;
        $('train-status').textContent = `step ${step}/${steps} · loss ${loss.toFixed(4)} · ${imagesPerSecond.toFixed(1)} img/s`;
        drawLossCurve($('loss-chart') as HTMLCanvasElement, state.losses, steps);
        await new Promise((resolve) => requestAnimationFrame(() => resolve(undefined)));
      },
    });
  } finally {
    images.dispose();
  }
  loaded.classes = used.map((r) => r.name.value.trim() || `class ${classRows.indexOf(r)}`);
  loaded.overrides = { ...loaded.overrides, numClasses: used.length };
  if (speeds.length > 0) state.trainImagesPerSecond.set(state.backend, speeds.reduce((a, b) => a + b, 0) / speeds.length);
  renderBackendStatus();
  $('model-status').textContent = `${loaded.name} fine-tuned on ${labels.length} images of ${used.length} classes (${loaded.classes.join(', ')})`;
  message(`fine-tuned: loss ${state.losses[0].toFixed(4)} → ${state.losses[state.losses.length - 1].toFixed(4)} in ${steps} steps`, 'ok');
  return state.losses;
}

/** Saves the current weights as a timm-compatible .safetensors (model name, args and classes in its metadata). */
function download(): { name: string; bytes: Uint8Array } {
  const loaded = requireModel();
  const bytes = safetensorsBytes(loaded.model, {
    model: loaded.name,
    model_args: JSON.stringify(loaded.overrides),
    classes: JSON.stringify(loaded.classes),
  });
  const name = `${loaded.name}-finetuned.safetensors`;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  state.lastDownload = { name, bytes };
  message(`saved ${name} (${(bytes.length / 1024).toFixed(1)} KiB): load it with nextnets predict --model ${loaded.name} --model-args '${JSON.stringify(loaded.overrides)}' --checkpoint ${name}`, 'ok');
  return state.lastDownload;
}

// ---- wiring ------------------------------------------------------------------------------------------------------

function dropZone(zone: HTMLElement, onFiles: (files: File[]) => void): void {
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    onFiles([...(e.dataTransfer?.files ?? [])]);
  });
  const input = zone.querySelector('input[type=file]') as HTMLInputElement;
  input.addEventListener('change', () => {
    onFiles([...(input.files ?? [])]);
    input.value = '';
  });
}

function init(): void {
  const names = $('model-names');
  for (const name of listModels()) {
    const option = document.createElement('option');
    option.value = name;
    names.append(option);
  }
  dropZone($('weights-drop'), (files) => void guarded('load', () => loadWeightsFiles(files)));
  dropZone($('images-drop'), (files) => void guarded('classify', () => classifyFiles(files)));
  $('weights-url-load').addEventListener('click', () => void guarded('load', () => loadWeightsUrl(($('weights-url') as HTMLInputElement).value.trim())));
  $('webcam').addEventListener('click', () => void guarded('classify', webcamFrame));
  $('add-class').addEventListener('click', () => addClass());
  $('train').addEventListener('click', () => void guarded('train', async () => void (await train())));
  $('download').addEventListener('click', () => void guarded('download', async () => void download()));
  $('backend').addEventListener('change', () => {
    const name = ($('backend') as HTMLSelectElement).value as WebBackend;
    void guarded('backend', async () => {
      await switchBackend(name);
      message(`switched to ${state.backend}`, 'ok');
    });
  });
  addClass();
  addClass();
  const requested = new URLSearchParams(location.search).get('backend') as WebBackend | null;
  const initial = requested && WEB_BACKENDS.includes(requested) ? requested : 'wasm';
  void guarded('backend', async () => void (await switchBackend(initial)));
}

init();
