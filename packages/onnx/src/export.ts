/**
 * ONNX export of any nextnets `ImageClassifier`: the eval-mode forward is traced twice (batch 2 and 3, different
 * random inputs), each trace becomes an ONNX graph, and the two graphs are compared. They must be identical except
 * for the batch entry of Reshape targets, which becomes -1 (a dynamic batch); anything else that differs means a
 * value escaped the trace, and the export fails instead of writing a wrong model.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getModelEntry, type ImageClassifier, type PretrainedCfg } from '@nextnets/core-layers';
import { reparameterize as foldBranches } from '@nextnets/models-rep';
import { Emitter, OPSET } from './emit.js';
import { tensorProto, type GraphBuilder, type Initializer } from './graph.js';
import { DataType, encodeModel, type ModelProto, type ValueInfoProto } from './proto.js';
import { traceForward } from './trace.js';

export interface OnnxExportOptions {
  /** Registry name (`convnext_atto`); written to the metadata, and its pretrainedCfg supplies the defaults below. */
  modelName?: string;
  /** The overrides the model was built with, written to the metadata as JSON. */
  modelArgs?: Record<string, unknown>;
  /** Preprocessing written to the metadata (default: the registry entry's). */
  pretrainedCfg?: PretrainedCfg;
  /** Input [C, H, W] of the exported graph (default: pretrainedCfg.inputSize). The batch is always dynamic. */
  inputSize?: [number, number, number];
  /**
   * Fold RepVGG/RepLKNet multi-branch blocks into their deploy form first (`reparameterize` of
   * @nextnets/models-rep). This changes the model in place, as that function does.
   */
  reparameterize?: boolean;
  /** Extra `metadata_props` entries (e.g. class names as JSON). */
  metadata?: Record<string, string>;
  /** producer_version (default: empty). */
  producerVersion?: string;
}

/** Name of the graph's input ([batch, C, H, W] float32, NCHW) and output ([batch, classes]). */
export const ONNX_INPUT_NAME = 'input';
export const ONNX_OUTPUT_NAME = 'logits';

const TRACE_BATCHES = [2, 3] as const;

function traceGraph(model: ImageClassifier, inputSize: [number, number, number], batch: number, seed: number): { g: GraphBuilder; output: string; shape: number[] } {
  const [c, h, w] = inputSize;
  const paramNames = new Map<number, string>();
  for (const [name, p] of model.namedParameters()) paramNames.set(p.variable.id, name);
  for (const [name, b] of model.namedBuffers()) paramNames.set(b.variable.id, name);
  const input = tf.randomNormal([batch, h, w, c], 0, 1, 'float32', seed);
  try {
    const trace = traceForward((x) => model.forward(x), input, paramNames);
    const emitter = new Emitter(trace, ONNX_INPUT_NAME);
    const out = emitter.run();
    emitter.g.rename(out.name, ONNX_OUTPUT_NAME);
    emitter.g.prune([ONNX_OUTPUT_NAME]);
    return { g: emitter.g, output: ONNX_OUTPUT_NAME, shape: out.shape };
  } finally {
    input.dispose();
  }
}

function sameValues(a: Initializer['data'], b: Initializer['data']): boolean {
  if (a.length !== b.length || a.constructor !== b.constructor) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Checks two traces agree and turns batch-dependent Reshape entries of `a` into -1. */
function mergeBatchDynamic(a: GraphBuilder, b: GraphBuilder): void {
  if (a.nodes.length !== b.nodes.length) throw new Error(`ONNX export: the forward runs different kernels at batch ${TRACE_BATCHES[0]} and ${TRACE_BATCHES[1]}`);
  a.nodes.forEach((node, i) => {
    const other = b.nodes[i];
    if (JSON.stringify(node) !== JSON.stringify(other)) throw new Error(`ONNX export: node ${node.name} differs between batch sizes (${node.op_type} with a batch-dependent attribute)`);
  });
  for (const [name, init] of a.initializers) {
    const other = b.initializers.get(name);
    if (!other) throw new Error(`ONNX export: initializer '${name}' exists only at batch ${TRACE_BATCHES[0]}`);
    if (JSON.stringify(init.dims) === JSON.stringify(other.dims) && sameValues(init.data, other.data)) continue;
    if (!init.reshapeTarget || init.dims.length !== 1 || init.dims[0] !== other.dims[0]) {
      throw new Error(
        `ONNX export: constant '${name}' (shape [${init.dims.join(', ')}]) depends on the input; a value escaped the trace, or an op's attribute depends on the batch size`,
      );
    }
    const differing = [...init.data.keys()].filter((i) => init.data[i] !== other.data[i]);
    if (differing.length !== 1) throw new Error(`ONNX export: Reshape target '${name}' has ${differing.length} batch-dependent entries`);
    (init.data as BigInt64Array)[differing[0]] = -1n;
  }
}

function valueInfo(name: string, dims: Array<number | string>): ValueInfoProto {
  return {
    name,
    type: { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dim_param: d } : { dim_value: d })) } } },
  };
}

/**
 * A standard ONNX model (opset 17, IR 8) of `model`'s eval-mode forward: input `input` float32 [batch, C, H, W]
 * (NCHW, as timm's exports), output `logits` [batch, classes], the batch dimension dynamic. The model name, its
 * arguments and the preprocessing (input size, mean, std, crop_pct, interpolation) go to `metadata_props`.
 * The model is switched to eval mode.
 */
export function exportOnnx(model: ImageClassifier, options: OnnxExportOptions = {}): Uint8Array {
  const cfg = options.pretrainedCfg ?? (options.modelName ? getModelEntry(options.modelName).pretrainedCfg : undefined);
  const inputSize = options.inputSize ?? cfg?.inputSize;
  if (!inputSize) throw new Error('ONNX export: give inputSize (or a registered modelName / pretrainedCfg to take it from)');
  model.eval();
  if (options.reparameterize) foldBranches(model);
  const traces = TRACE_BATCHES.map((batch, i) => traceGraph(model, inputSize, batch, 1234 + i));
  mergeBatchDynamic(traces[0].g, traces[1].g);
  const { g, shape } = traces[0];

  const metadata: Record<string, string> = {
    ...(options.modelName ? { model: options.modelName } : {}),
    model_args: JSON.stringify(options.modelArgs ?? {}),
    reparameterized: String(Boolean(options.reparameterize)),
    layout: 'NCHW',
    input_size: JSON.stringify(inputSize),
    num_classes: String(shape.length === 2 ? shape[1] : 0),
    ...(cfg
      ? {
          mean: JSON.stringify(cfg.mean),
          std: JSON.stringify(cfg.std),
          crop_pct: String(cfg.cropPct),
          interpolation: cfg.interpolation,
        }
      : {}),
    ...options.metadata,
  };
  const onnx: ModelProto = {
    ir_version: 8,
    opset_import: [{ domain: '', version: OPSET }],
    producer_name: 'nextnets',
    producer_version: options.producerVersion ?? '',
    graph: {
      name: options.modelName ?? 'nextnets',
      node: g.nodes,
      initializer: [...g.initializers.values()].map(tensorProto),
      input: [valueInfo(ONNX_INPUT_NAME, ['batch', ...inputSize])],
      output: [valueInfo(ONNX_OUTPUT_NAME, ['batch', ...shape.slice(1)])],
    },
    metadata_props: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  };
  return encodeModel(onnx);
}
