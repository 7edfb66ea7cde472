/**
 * @nextnets/onnx/node: writing ONNX files and running them with onnxruntime-node (an optional dependency: its npm
 * package ships the CPU binaries, so no download or build step is needed).
 */
import { readFileSync } from 'node:fs';
import { type ImageClassifier } from '@nextnets/core-layers';
import { writeFileAtomic } from '@nextnets/core-layers/node';
import { exportOnnx, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME, type OnnxExportOptions } from './export.js';
import { onnxSummary, type OnnxSummary } from './inspect.js';

export * from './index.js';

/** Exports `model` (see `exportOnnx`) and writes the file atomically; returns its size in bytes. */
export function writeOnnx(model: ImageClassifier, path: string, options: OnnxExportOptions = {}): number {
  const bytes = exportOnnx(model, options);
  writeFileAtomic(path, bytes);
  return bytes.byteLength;
}

type Ort = typeof import('onnxruntime-node');
type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

let ortModule: Promise<Ort | null> | undefined;

function loadOrt(): Promise<Ort | null> {
  ortModule ??= import('onnxruntime-node').then(
    (m) => ((m as { default?: Ort }).default ?? m) as Ort,
    () => null,
  );
  return ortModule;
}

/** Whether onnxruntime-node is installed and its binary loads on this platform. */
export async function onnxRuntimeAvailable(): Promise<boolean> {
  return (await loadOrt()) !== null;
}

export interface OnnxSessionOptions {
  /** Threads of one operator (default: onnxruntime's choice, the physical cores). */
  threads?: number;
  /** Graph optimisation level (default 'all'). */
  graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
}

export interface OnnxLogits {
  /** Row-major [batch, classes]. */
  data: Float32Array;
  shape: [number, number];
}

/** NHWC → NCHW copy of a float batch. */
function nhwcToNchw(data: Float32Array, [n, h, w, c]: readonly number[]): Float32Array {
  const out = new Float32Array(data.length);
  const plane = h * w;
  for (let b = 0; b < n; b++) {
    const src = b * plane * c;
    for (let p = 0; p < plane; p++) for (let ch = 0; ch < c; ch++) out[src + ch * plane + p] = data[src + p * c + ch];
  }
  return out;
}

/**
 * An image classifier in an ONNX file, run by onnxruntime-node. Batches go in as float32 NCHW or NHWC (already
 * resized and normalised, see `metadata.mean/std`); logits come out.
 */
export class OnnxClassifier {
  private constructor(
    private readonly ort: Ort,
    private readonly session: Session,
    /** What the file declares: input/output dims, opset, metadata (model, preprocessing). */
    readonly summary: OnnxSummary,
  ) {}

  /** Loads an ONNX file (path or bytes). Fails with one line if onnxruntime-node is missing or rejects the file. */
  static async load(source: string | Uint8Array, options: OnnxSessionOptions = {}): Promise<OnnxClassifier> {
    const ort = await loadOrt();
    if (!ort) throw new Error('onnxruntime-node is not installed (or its binary does not load here): install it, or use the wasm engine');
    const label = typeof source === 'string' ? source : 'ONNX model';
    let bytes: Uint8Array;
    try {
      bytes = typeof source === 'string' ? new Uint8Array(readFileSync(source)) : source;
    } catch (err) {
      throw new Error(`${label}: cannot read file (${(err as Error).message})`);
    }
    let summary: OnnxSummary;
    try {
      summary = onnxSummary(bytes);
    } catch (err) {
      throw new Error(`${label}: ${(err as Error).message}`);
    }
    const sessionOptions = {
      graphOptimizationLevel: options.graphOptimization ?? 'all',
      ...(options.threads ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {}),
    } as const;
    let session: Session;
    try {
      session = await ort.InferenceSession.create(bytes, sessionOptions);
    } catch (err) {
      throw new Error(`${label}: onnxruntime cannot load it (${(err as Error).message.split('\n')[0]})`);
    }
    return new OnnxClassifier(ort, session, summary);
  }

  get metadata(): Record<string, string> {
    return this.summary.metadata;
  }

  /** Expected [C, H, W] of one image. */
  get inputSize(): [number, number, number] {
    const [, c, h, w] = this.summary.input.dims;
    return [Number(c), Number(h), Number(w)];
  }

  /** Runs a batch: `data` float32 of `shape` ([N, C, H, W] for 'NCHW', [N, H, W, C] for 'NHWC'). */
  async run(data: Float32Array, shape: readonly number[], layout: 'NCHW' | 'NHWC' = 'NCHW'): Promise<OnnxLogits> {
    if (shape.length !== 4) throw new Error(`OnnxClassifier: expected a 4-D ${layout} batch, got shape [${shape.join(', ')}]`);
    const nchwShape = layout === 'NCHW' ? [...shape] : [shape[0], shape[3], shape[1], shape[2]];
    const [c, h, w] = this.inputSize;
    if (nchwShape[1] !== c || nchwShape[2] !== h || nchwShape[3] !== w) {
      throw new Error(`OnnxClassifier: batch is ${layout} [${shape.join(', ')}] but the model takes [N, ${c}, ${h}, ${w}] (NCHW)`);
    }
    if (data.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`OnnxClassifier: ${data.length} values do not fill shape [${shape.join(', ')}]`);
    const nchw = layout === 'NCHW' ? data : nhwcToNchw(data, shape);
    const input = new this.ort.Tensor('float32', nchw, nchwShape);
    const results = await this.session.run({ [ONNX_INPUT_NAME]: input });
    const out = results[ONNX_OUTPUT_NAME];
    try {
      const [n, k] = out.dims as number[];
      return { data: new Float32Array(out.data as Float32Array), shape: [n, k ?? 1] };
    } finally {
      input.dispose();
      for (const t of Object.values(results)) t.dispose();
    }
  }

  /** Frees the onnxruntime session. */
  async dispose(): Promise<void> {
    await this.session.release();
  }
}
