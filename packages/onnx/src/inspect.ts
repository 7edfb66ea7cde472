/** Reading back what an ONNX file declares: metadata, opset, input/output shapes, operator counts. */
import { decodeModel } from './proto.js';

export interface OnnxSummary {
  irVersion: number;
  opset: number;
  producer: string;
  /** Dimensions of the first input and output; a string is a symbolic (dynamic) dimension. */
  input: { name: string; dims: Array<number | string> };
  output: { name: string; dims: Array<number | string> };
  /** Node count per op_type. */
  ops: Record<string, number>;
  metadata: Record<string, string>;
}

function dims(info: { type: { tensor_type: { shape: { dim: Array<{ dim_value?: number; dim_param?: string }> } } } }): Array<number | string> {
  return info.type.tensor_type.shape.dim.map((d) => d.dim_param ?? Number(d.dim_value));
}

/** Parses an ONNX model's header facts (the weights are decoded too, but not returned). */
export function onnxSummary(bytes: Uint8Array): OnnxSummary {
  const model = decodeModel(bytes);
  const graph = model.graph;
  if (!graph || !graph.input?.length || !graph.output?.length) throw new Error('not an ONNX model: no graph with an input and an output');
  const ops: Record<string, number> = {};
  for (const node of graph.node ?? []) ops[node.op_type] = (ops[node.op_type] ?? 0) + 1;
  return {
    irVersion: Number(model.ir_version),
    opset: Number(model.opset_import?.find((o) => !o.domain)?.version ?? 0),
    producer: model.producer_name ?? '',
    input: { name: graph.input[0].name, dims: dims(graph.input[0]) },
    output: { name: graph.output[0].name, dims: dims(graph.output[0]) },
    ops,
    metadata: Object.fromEntries((model.metadata_props ?? []).map((p) => [p.key, p.value])),
  };
}

/** The `metadata_props` of an ONNX model as an object. */
export function onnxMetadata(bytes: Uint8Array): Record<string, string> {
  return onnxSummary(bytes).metadata;
}
