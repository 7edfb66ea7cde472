/**
 * Turns a kernel trace (NHWC TensorFlow.js kernels) into ONNX nodes (opset 17). Convolutions run in ONNX's NCHW
 * layout between a pair of Transposes, as tf2onnx writes NHWC graphs; onnxruntime's transpose optimiser cancels the
 * pairs between consecutive layers. The graph input is NCHW, as in timm's ONNX exports.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { FUSED_BATCH_NORM, FUSED_GELU, FUSED_LAYER_NORM, FUSED_SILU } from '@nextnets/backend/kernel-names';
import { attr, GraphBuilder } from './graph.js';
import { DataType, type DataTypeCode } from './proto.js';
import type { Trace, TracedKernel, TracedRef } from './trace.js';

export const OPSET = 17;

interface Value {
  name: string;
  /** The tfjs shape. */
  shape: number[];
  /**
   * When set, `name` holds this shape instead: a Reshape that only regroups the leading axes (the channels-last
   * Linear's [N·H·W, C] view of [N, H, W, C]) is deferred while MatMul, last-axis norms and elementwise ops can work
   * on the original shape, so onnxruntime sees MatMul → Add → Gelu chains it can fuse.
   */
  view?: number[];
}

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];

function onnxDataType(dtype: tf.DataType): DataTypeCode {
  if (dtype === 'float32') return DataType.FLOAT;
  if (dtype === 'int32') return DataType.INT32;
  throw new Error(`ONNX export: tensors of dtype ${dtype} are not supported`);
}

type Pair = [number, number];
const pair = (v: unknown): Pair => (Array.isArray(v) ? [v[0] as number, v[1] as number] : [v as number, v as number]);

/** ONNX `pads` ([top, left, bottom, right]) for a tfjs conv padding (number, 'same', 'valid' or explicit NHWC). */
function convPads(pad: unknown, inHW: Pair, kernelHW: Pair, strides: Pair, dilations: Pair): number[] {
  if (Array.isArray(pad)) {
    const [[,], [top, bottom], [left, right]] = pad as number[][];
    return [top, left, bottom, right];
  }
  if (typeof pad === 'number') return [pad, pad, pad, pad];
  if (pad === 'valid') return [0, 0, 0, 0];
  if (pad === 'same') {
    // TensorFlow's SAME: output ceil(in / stride), the odd pixel of padding at the bottom/right.
    const before: number[] = [];
    const after: number[] = [];
    for (let i = 0; i < 2; i++) {
      const effective = (kernelHW[i] - 1) * dilations[i] + 1;
      const out = Math.ceil(inHW[i] / strides[i]);
      const total = Math.max(0, (out - 1) * strides[i] + effective - inHW[i]);
      before.push(Math.floor(total / 2));
      after.push(total - Math.floor(total / 2));
    }
    return [...before, ...after];
  }
  throw new Error(`ONNX export: unsupported conv padding ${JSON.stringify(pad)}`);
}

/** [kh, kw, in, out] (tf.conv2d filter) → [out, in, kh, kw]. */
function convFilterToOIHW(data: Float32Array, [kh, kw, cin, cout]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = data[((y * kw + x) * cin + i) * cout + o];
  return out;
}

/** [kh, kw, C, m] (tf.depthwiseConv2d filter) → [C·m, 1, kh, kw]. */
function depthwiseFilterToOIHW(data: Float32Array, [kh, kw, c, m]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let ci = 0; ci < c; ci++)
        for (let j = 0; j < m; j++) out[((ci * m + j) * kh + y) * kw + x] = data[((y * kw + x) * c + ci) * m + j];
  return out;
}

/** Swaps the last two axes of a constant. */
function transposeLast2(data: Float32Array, shape: number[]): { data: Float32Array; shape: number[] } {
  const r = shape.length;
  const rows = shape[r - 2];
  const cols = shape[r - 1];
  const out = new Float32Array(data.length);
  for (let b = 0; b < data.length / (rows * cols); b++)
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[b * rows * cols + j * rows + i] = data[b * rows * cols + i * cols + j];
  return { data: out, shape: [...shape.slice(0, r - 2), cols, rows] };
}

const UNARY: Record<string, string> = {
  Relu: 'Relu',
  Sigmoid: 'Sigmoid',
  Tanh: 'Tanh',
  Erf: 'Erf',
  Exp: 'Exp',
  Log: 'Log',
  Neg: 'Neg',
  Abs: 'Abs',
  Sqrt: 'Sqrt',
  Reciprocal: 'Reciprocal',
  Floor: 'Floor',
  Ceil: 'Ceil',
  Softplus: 'Softplus',
  Elu: 'Elu',
};

const BINARY: Record<string, string> = {
  Add: 'Add',
  Sub: 'Sub',
  Multiply: 'Mul',
  RealDiv: 'Div',
  Maximum: 'Max',
  Minimum: 'Min',
  Pow: 'Pow',
};

const REDUCE: Record<string, string> = { Mean: 'ReduceMean', Sum: 'ReduceSum', Max: 'ReduceMax', Min: 'ReduceMin', Prod: 'ReduceProd' };

/** Emits one traced forward as ONNX nodes into a fresh builder. */
export class Emitter {
  readonly g = new GraphBuilder();
  private readonly values = new Map<number, Value>();
  private readonly constNames = new Map<string, string>();
  /** NHWC value name ↔ the NCHW value it is a Transpose of, so that back-to-back transposes are never written. */
  private readonly nchwOf = new Map<string, string>();
  private readonly nhwcOf = new Map<string, string>();
  private readonly materialized = new Map<string, string>();
  /** Outputs of a kernel that its ONNX mapping does not produce (e.g. a fused LayerNorm's saved statistics). */
  private readonly unmapped = new Map<number, string>();

  constructor(
    private readonly trace: Trace,
    readonly inputName: string,
  ) {
    const [, h, w, c] = trace.input.shape;
    if (trace.input.shape.length !== 4) throw new Error('ONNX export: the traced input must be NHWC [N, H, W, C]');
    const nhwc = this.g.op('Transpose', [inputName], [attr.ints('perm', NCHW_TO_NHWC)]);
    this.link(nhwc, inputName);
    this.values.set(trace.input.id, { name: nhwc, shape: [trace.input.shape[0], h, w, c] });
  }

  /** Emits every kernel and returns the name and shape of the traced output. */
  run(): Value {
    for (const k of this.trace.kernels) this.kernel(k);
    const out = this.trace.output;
    if (out.kind !== 'value') throw new Error('ONNX export: the model output does not depend on its input');
    return this.value(out);
  }

  private link(nhwc: string, nchw: string): void {
    this.nchwOf.set(nhwc, nchw);
    this.nhwcOf.set(nchw, nhwc);
  }

  private toNCHW(nhwc: string): string {
    let nchw = this.nchwOf.get(nhwc);
    if (!nchw) {
      nchw = this.g.op('Transpose', [nhwc], [attr.ints('perm', NHWC_TO_NCHW)]);
      this.link(nhwc, nchw);
    }
    return nchw;
  }

  private toNHWC(nchw: string): string {
    let nhwc = this.nhwcOf.get(nchw);
    if (!nhwc) {
      nhwc = this.g.op('Transpose', [nchw], [attr.ints('perm', NCHW_TO_NHWC)]);
      this.link(nhwc, nchw);
    }
    return nhwc;
  }

  /** A value in its tfjs shape (a deferred Reshape is written now). */
  private value(ref: TracedRef): Value {
    const v = this.raw(ref);
    if (!v.view) return v;
    const key = `${v.name}:${v.shape.join('x')}`;
    let name = this.materialized.get(key);
    if (!name) {
      name = this.g.op('Reshape', [v.name, this.g.int64Const('shape', v.shape, true)]);
      this.materialized.set(key, name);
    }
    return { name, shape: v.shape };
  }

  /** A value as stored, possibly a deferred-Reshape view. */
  private raw(ref: TracedRef): Value {
    if (ref.kind === 'const') return { name: this.constant(ref), shape: ref.shape };
    const v = this.values.get(ref.id);
    if (!v) throw new Error(this.unmapped.get(ref.id) ?? `ONNX export: tensor ${ref.id} was used before it was produced`);
    return v;
  }

  /** The view an elementwise op of these operands keeps (undefined: run it on the tfjs shapes). */
  private elementwiseView(operands: TracedRef[]): number[] | undefined {
    const values = operands.filter((r) => r.kind === 'value').map((r) => this.raw(r));
    const view = values[0]?.view;
    if (!view) return undefined;
    const sameView = values.every((v) => v.view && v.view.join() === view.join() && v.shape.join() === values[0].shape.join());
    const lastAxisConsts = operands.every((r) => r.kind === 'value' || r.shape.length === 0 || (r.shape.length === 1 && r.shape[0] === view[view.length - 1]));
    return sameView && lastAxisConsts ? view : undefined;
  }

  /** Emits `build(names)` on the view of the operands when they share one, else on their tfjs shapes. */
  private elementwise(k: TracedKernel, operands: TracedRef[], build: (names: string[]) => string): void {
    const view = this.elementwiseView(operands);
    const names = operands.map((r) => (view ? this.raw(r).name : this.value(r).name));
    this.set(k, [build(names)], view);
  }

  /** An initializer for a traced constant (one per tensor and layout). */
  private constant(ref: Extract<TracedRef, { kind: 'const' }>, layout = 'as-is', convert?: () => { data: Float32Array; shape: number[] }): string {
    const key = `${ref.id}:${layout}`;
    let name = this.constNames.get(key);
    if (!name) {
      const hint = ref.param ?? 'const';
      if (convert) {
        const { data, shape } = convert();
        name = this.g.initializer(hint, shape, DataType.FLOAT, data);
      } else if (ref.dtype === 'float32') {
        name = this.g.initializer(hint, ref.shape, DataType.FLOAT, ref.data as Float32Array);
      } else if (ref.dtype === 'int32') {
        name = this.g.initializer(hint, ref.shape, DataType.INT32, Int32Array.from(ref.data));
      } else {
        throw new Error(`ONNX export: constant '${hint}' of dtype ${ref.dtype} is not supported`);
      }
      this.constNames.set(key, name);
    }
    return name;
  }

  private input(k: TracedKernel, key: string): TracedRef {
    const entry = k.inputs.find(([name]) => name === key);
    if (!entry || !entry[1]) throw new Error(`ONNX export: kernel ${k.kernel} has no input '${key}'`);
    return entry[1];
  }

  private optionalInput(k: TracedKernel, key: string): TracedRef | null {
    return k.inputs.find(([name]) => name === key)?.[1] ?? null;
  }

  private positionalInputs(k: TracedKernel): TracedRef[] {
    return k.inputs.filter(([, r]) => r != null).map(([, r]) => r!);
  }

  private set(k: TracedKernel, names: string[], view?: number[]): void {
    k.outputs.slice(names.length).forEach((o, i) => {
      this.unmapped.set(o.id, `ONNX export: output ${names.length + i} of kernel ${k.kernel} is used, and has no ONNX mapping`);
    });
    names.forEach((name, i) => this.values.set(k.outputs[i].id, { name, shape: k.outputs[i].shape, view }));
  }

  /** tfjs fused-kernel activation applied to `x`. */
  private activation(x: string, k: TracedKernel, nchw: boolean): string {
    const act = (k.attrs.activation as string | undefined) ?? 'linear';
    switch (act) {
      case 'linear':
        return x;
      case 'relu':
        return this.g.op('Relu', [x]);
      case 'relu6':
        return this.g.op('Clip', [x, this.g.scalar('zero', 0), this.g.scalar('six', 6)]);
      case 'elu':
        return this.g.op('Elu', [x]);
      case 'sigmoid':
        return this.g.op('Sigmoid', [x]);
      case 'leakyrelu':
        return this.g.op('LeakyRelu', [x], [attr.float('alpha', (k.attrs.leakyreluAlpha as number | undefined) ?? 0.2)]);
      case 'prelu': {
        const alpha = this.input(k, 'preluActivationWeights');
        if (alpha.kind !== 'const') throw new Error('ONNX export: PReLU weights must be constant');
        // Per-channel alpha [C] broadcasts over NHWC's last axis; in NCHW it needs shape [C, 1, 1].
        const name = nchw && alpha.shape.length === 1
          ? this.constant(alpha, 'c11', () => ({ data: alpha.data as Float32Array, shape: [alpha.shape[0], 1, 1] }))
          : this.constant(alpha);
        return this.g.op('PRelu', [x, name]);
      }
      default:
        throw new Error(`ONNX export: unsupported fused activation '${act}' in ${k.kernel}`);
    }
  }

  private conv(k: TracedKernel, depthwise: boolean, fused: boolean): void {
    const x = this.value(this.input(k, 'x'));
    const filter = this.input(k, 'filter');
    if (filter.kind !== 'const') throw new Error(`ONNX export: ${k.kernel} with an input-dependent filter is not supported`);
    if (k.attrs.dataFormat !== undefined && k.attrs.dataFormat !== 'NHWC') throw new Error(`ONNX export: ${k.kernel} in ${String(k.attrs.dataFormat)} is not supported`);
    const [kh, kw, cin, cm] = filter.shape;
    const strides = pair(k.attrs.strides);
    const dilations = pair(k.attrs.dilations ?? 1);
    const pads = convPads(k.attrs.pad, [x.shape[1], x.shape[2]], [kh, kw], strides, dilations);
    const weight = depthwise
      ? this.constant(filter, 'oihw', () => ({ data: depthwiseFilterToOIHW(filter.data as Float32Array, filter.shape), shape: [cin * cm, 1, kh, kw] }))
      : this.constant(filter, 'oihw', () => ({ data: convFilterToOIHW(filter.data as Float32Array, filter.shape), shape: [cm, cin, kh, kw] }));
    const inputs = [this.toNCHW(x.name), weight];
    const bias = fused ? this.optionalInput(k, 'bias') : null;
    if (bias) {
      if (bias.kind !== 'const' || bias.shape.length !== 1) throw new Error(`ONNX export: ${k.kernel} bias must be a constant vector`);
      inputs.push(this.constant(bias));
    }
    const attributes = [
      attr.ints('kernel_shape', [kh, kw]),
      attr.ints('strides', strides),
      attr.ints('dilations', dilations),
      attr.ints('pads', pads),
      attr.int('group', depthwise ? cin : 1),
    ];
    const y = this.activation(this.g.op('Conv', inputs, attributes), k, true);
    this.set(k, [this.toNHWC(y)]);
  }

  private matMul(k: TracedKernel, fused: boolean): void {
    const operand = (key: string, transpose: boolean): string => {
      const ref = this.input(k, key);
      if (!transpose) return this.value(ref).name;
      if (ref.kind === 'const') return this.constant(ref, 'T', () => transposeLast2(ref.data as Float32Array, ref.shape));
      const perm = ref.shape.map((_, i) => i);
      perm.splice(-2, 2, perm.length - 1, perm.length - 2);
      return this.g.op('Transpose', [this.value(ref).name], [attr.ints('perm', perm)]);
    };
    const aRef = this.input(k, 'a');
    const bRef = this.input(k, 'b');
    const aRaw = this.raw(aRef);
    // [M, K] that is a view of [..., K] times a constant [K, N]: multiply the original N-D tensor (ONNX MatMul
    // broadcasts), and keep the [M, N] result as a view of [..., N].
    // (tf.matMul runs 2-D products as [1, M, K] × [1, K, N]: leading axes of size 1 change no element's position.)
    const leadingOnes = (shape: number[]) => shape.slice(0, -2).every((d) => d === 1);
    const bias = fused ? this.optionalInput(k, 'bias') : null;
    const vectorBias = !bias || (bias.kind === 'const' && bias.shape.length <= 1);
    const nd = Boolean(aRaw.view) && !k.attrs.transposeA && leadingOnes(aRaw.shape) && bRef.kind === 'const' && bRef.shape.length >= 2 && leadingOnes(bRef.shape) && vectorBias;
    const a = nd ? aRaw.name : operand('a', Boolean(k.attrs.transposeA));
    const b =
      nd && bRef.kind === 'const'
        ? this.constant(bRef, k.attrs.transposeB ? 'T2d' : '2d', () => {
            const t = k.attrs.transposeB ? transposeLast2(bRef.data as Float32Array, bRef.shape) : { data: bRef.data as Float32Array, shape: bRef.shape };
            return { data: t.data, shape: t.shape.slice(-2) };
          })
        : operand('b', Boolean(k.attrs.transposeB));
    let y = this.g.op('MatMul', [a, b]);
    if (bias) y = this.g.op('Add', [y, this.value(bias).name]);
    const n = k.outputs[0].shape[k.outputs[0].shape.length - 1];
    this.set(k, [this.activation(y, k, false)], nd ? [...aRaw.view!.slice(0, -1), n] : undefined);
  }

  private kernel(k: TracedKernel): void {
    const one = (key = 'x') => this.value(this.input(k, key)).name;
    const name = k.kernel;
    if (name in UNARY) return this.elementwise(k, [this.input(k, 'x')], ([x]) => this.g.op(UNARY[name], [x]));
    if (name in BINARY) return this.elementwise(k, [this.input(k, 'a'), this.input(k, 'b')], (ab) => this.g.op(BINARY[name], ab));
    if (name in REDUCE) return this.reduce(k, REDUCE[name]);
    switch (name) {
      case 'Identity': {
        const x = this.raw(this.input(k, 'x'));
        return this.set(k, [x.name], x.view);
      }
      case 'Cast': {
        const to = k.attrs.dtype as tf.DataType;
        const x = this.input(k, 'x');
        return this.set(k, [x.dtype === to ? one() : this.g.op('Cast', [one()], [attr.int('to', onnxDataType(to))])]);
      }
      case 'Reshape': {
        const x = this.raw(this.input(k, 'x'));
        const stored = x.view ?? x.shape;
        const target = k.outputs[0].shape;
        if (stored.join() === target.join()) return this.set(k, [x.name]);
        if (stored.length >= 2 && target.length >= 1 && stored[stored.length - 1] === target[target.length - 1]) {
          return this.set(k, [x.name], stored);
        }
        return this.set(k, [this.g.op('Reshape', [x.name, this.g.int64Const('shape', target, true)])]);
      }
      case 'Transpose':
        return this.set(k, [this.g.op('Transpose', [one()], [attr.ints('perm', k.attrs.perm as number[])])]);
      case 'Square': {
        const x = one();
        return this.set(k, [this.g.op('Mul', [x, x])]);
      }
      case 'SquaredDifference': {
        const d = this.g.op('Sub', [one('a'), one('b')]);
        return this.set(k, [this.g.op('Mul', [d, d])]);
      }
      case 'Rsqrt':
        return this.set(k, [this.g.op('Reciprocal', [this.g.op('Sqrt', [one()])])]);
      case 'Relu6':
        return this.elementwise(k, [this.input(k, 'x')], ([x]) => this.g.op('Clip', [x, this.g.scalar('zero', 0), this.g.scalar('six', 6)]));
      case 'ClipByValue':
        return this.set(k, [
          this.g.op('Clip', [one(), this.g.scalar('clip_min', k.attrs.clipValueMin as number), this.g.scalar('clip_max', k.attrs.clipValueMax as number)]),
        ]);
      case 'LeakyRelu':
        return this.set(k, [this.g.op('LeakyRelu', [one()], [attr.float('alpha', k.attrs.alpha as number)])]);
      case 'Prelu':
        return this.set(k, [this.g.op('PRelu', [one(), one('alpha')])]);
      case 'Softmax':
        return this.set(k, [this.g.op('Softmax', [one('logits')], [attr.int('axis', -1)])]);
      case 'AddN':
        return this.set(k, [this.g.op('Sum', this.positionalInputs(k).map((r) => this.value(r).name))]);
      case 'Concat': {
        const refs = this.positionalInputs(k);
        const rank = k.outputs[0].shape.length;
        const axis = ((k.attrs.axis as number) + rank) % rank;
        const names = refs.map((r) => this.value(r).name);
        // Channel concat of NHWC maps whose convolutions ran NCHW (InceptionNeXt): concatenate the NCHW twins.
        if (rank === 4 && axis === 3 && names.some((n) => this.nchwOf.has(n))) {
          return this.set(k, [this.toNHWC(this.g.op('Concat', names.map((n) => this.toNCHW(n)), [attr.int('axis', 1)]))]);
        }
        return this.set(k, [this.g.op('Concat', names, [attr.int('axis', axis)])]);
      }
      case 'SplitV': {
        const x = this.input(k, 'x');
        const axis = ((k.attrs.axis as number) + x.shape.length) % x.shape.length;
        const sizes = k.outputs.map((o) => o.shape[axis]);
        const split = this.g.int64Const('split', sizes);
        const name = one();
        const twin = this.nchwOf.get(name);
        if (x.shape.length === 4 && axis === 3 && twin) {
          // Split the NCHW twin along its channels; each NHWC part is a Transpose, pruned when unused.
          const parts = this.g.node('Split', [twin, split], [attr.int('axis', 1)], sizes.length);
          return this.set(k, parts.map((p) => this.toNHWC(p)));
        }
        return this.set(k, this.g.node('Split', [name, split], [attr.int('axis', axis)], sizes.length));
      }
      case 'Slice': {
        const begin = k.attrs.begin as number[];
        const size = k.outputs[0].shape;
        const full = this.input(k, 'x').shape;
        const starts = this.g.int64Const('starts', begin);
        // An axis taken to its end (the batch, typically) slices to "the end", so the graph keeps a dynamic batch.
        const ends = this.g.int64Const('ends', begin.map((b, i) => (b + size[i] === full[i] ? Number.MAX_SAFE_INTEGER : b + size[i])));
        return this.set(k, [this.g.op('Slice', [one(), starts, ends])]);
      }
      case 'PadV2': {
        const paddings = k.attrs.paddings as number[][];
        const pads = this.g.int64Const('pads', [...paddings.map((p) => p[0]), ...paddings.map((p) => p[1])]);
        const value = this.g.scalar('pad_value', (k.attrs.constantValue as number | undefined) ?? 0);
        return this.set(k, [this.g.op('Pad', [one(), pads, value])]);
      }
      case 'Conv2D':
        return this.conv(k, false, false);
      case 'FusedConv2D':
        return this.conv(k, false, true);
      case 'DepthwiseConv2dNative':
        return this.conv(k, true, false);
      case 'FusedDepthwiseConv2D':
        return this.conv(k, true, true);
      case 'BatchMatMul':
        return this.matMul(k, false);
      case '_FusedMatMul':
        return this.matMul(k, true);
      case FUSED_GELU:
        return this.elementwise(k, [this.input(k, 'x')], ([x]) => this.gelu(x));
      case FUSED_SILU:
        // x·σ(x) as Sigmoid and Mul, the composite op's nodes
        return this.elementwise(k, [this.input(k, 'x')], ([x]) => this.g.op('Mul', [x, this.g.op('Sigmoid', [x])]));
      case FUSED_LAYER_NORM: {
        const attributes = [attr.int('axis', -1), attr.float('epsilon', k.attrs.eps as number)];
        // Normalises the last axis, which a deferred-Reshape view keeps.
        const x = this.raw(this.input(k, 'x'));
        return this.set(k, [this.g.op('LayerNormalization', [x.name, one('weight'), one('bias')], attributes)], x.view);
      }
      case FUSED_BATCH_NORM:
        throw new Error('ONNX export: the model is in training mode (batch-statistics BatchNorm); call model.eval() first');
      default:
        throw new Error(`ONNX export: TensorFlow.js kernel '${name}' has no ONNX mapping yet`);
    }
  }

  private reduce(k: TracedKernel, op: string): void {
    const x = this.input(k, 'x');
    const rank = x.shape.length;
    const raw = k.attrs.axis ?? k.attrs.reductionIndices;
    const axes = (Array.isArray(raw) ? raw : raw === undefined || raw === null ? x.shape.map((_, i) => i) : [raw]).map(
      (a: number) => (a + rank) % rank,
    );
    const keepdims = attr.int('keepdims', k.attrs.keepDims ? 1 : 0);
    // Opset 13-17: ReduceSum takes its axes as an input, the other reductions as an attribute.
    const y =
      op === 'ReduceSum'
        ? this.g.op(op, [this.value(x).name, this.g.int64Const('axes', axes)], [keepdims])
        : this.g.op(op, [this.value(x).name], [attr.ints('axes', axes), keepdims]);
    this.set(k, [y]);
  }

  /** Exact GELU, 0.5·x·(1 + erf(x/√2)), in the node pattern onnxruntime fuses into its Gelu kernel. */
  private gelu(x: string): string {
    const erf = this.g.op('Erf', [this.g.op('Div', [x, this.g.scalar('sqrt2', Math.SQRT2)])]);
    const y = this.g.op('Mul', [x, this.g.op('Add', [erf, this.g.scalar('one', 1)])]);
    return this.g.op('Mul', [y, this.g.scalar('half', 0.5)]);
  }
}
