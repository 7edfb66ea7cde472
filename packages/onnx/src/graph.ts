/** A small builder for an ONNX graph: nodes with generated value names, initializers, and attribute helpers. */
import { AttributeType, DataType, type AttributeProto, type DataTypeCode, type NodeProto, type TensorProto } from './proto.js';

export type InitializerData = Float32Array | Int32Array | BigInt64Array;

export interface Initializer {
  name: string;
  dims: number[];
  dataType: DataTypeCode;
  data: InitializerData;
  /** A Reshape target shape: the export may turn its batch entry into -1. */
  reshapeTarget?: boolean;
}

export const attr = {
  int: (name: string, i: number): AttributeProto => ({ name, type: AttributeType.INT, i }),
  ints: (name: string, ints: readonly number[]): AttributeProto => ({ name, type: AttributeType.INTS, ints: [...ints] }),
  float: (name: string, f: number): AttributeProto => ({ name, type: AttributeType.FLOAT, f }),
};

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers = new Map<string, Initializer>();
  private counter = 0;
  private readonly scalars = new Map<string, string>();

  /** Adds a node and returns the names of its `numOutputs` fresh outputs. */
  node(opType: string, inputs: string[], attributes: AttributeProto[] = [], numOutputs = 1): string[] {
    const id = this.counter++;
    const outputs = Array.from({ length: numOutputs }, (_, i) => (numOutputs === 1 ? `v${id}` : `v${id}_${i}`));
    this.nodes.push({ name: `${opType}_${id}`, op_type: opType, input: inputs, output: outputs, attribute: attributes });
    return outputs;
  }

  /** Single-output `node`. */
  op(opType: string, inputs: string[], attributes: AttributeProto[] = []): string {
    return this.node(opType, inputs, attributes)[0];
  }

  /** Adds an initializer named `hint` (made unique) and returns its name. */
  initializer(hint: string, dims: readonly number[], dataType: DataTypeCode, data: InitializerData, reshapeTarget = false): string {
    let name = hint;
    for (let i = 1; this.initializers.has(name); i++) name = `${hint}_${i}`;
    this.initializers.set(name, { name, dims: [...dims], dataType, data, reshapeTarget });
    return name;
  }

  floatConst(hint: string, values: readonly number[] | Float32Array, dims: readonly number[] = [values.length]): string {
    return this.initializer(hint, dims, DataType.FLOAT, Float32Array.from(values));
  }

  int64Const(hint: string, values: readonly number[], reshapeTarget = false): string {
    return this.initializer(hint, [values.length], DataType.INT64, BigInt64Array.from(values.map(BigInt)), reshapeTarget);
  }

  /** A scalar float constant (shape []), shared by every use of the same value. */
  scalar(hint: string, value: number): string {
    const key = `${hint}:${value}`;
    let name = this.scalars.get(key);
    if (!name) {
      name = this.initializer(hint, [], DataType.FLOAT, Float32Array.of(value));
      this.scalars.set(key, name);
    }
    return name;
  }

  /** Removes nodes (and initializers) that no graph output depends on. */
  prune(outputs: readonly string[]): void {
    const needed = new Set(outputs);
    const kept: NodeProto[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i];
      if (!node.output.some((o) => needed.has(o))) continue;
      kept.push(node);
      for (const input of node.input) if (input !== '') needed.add(input);
    }
    this.nodes.splice(0, this.nodes.length, ...kept.reverse());
    for (const name of [...this.initializers.keys()]) if (!needed.has(name)) this.initializers.delete(name);
  }

  /** Renames a value everywhere (node outputs and inputs). */
  rename(from: string, to: string): void {
    for (const node of this.nodes) {
      node.input = node.input.map((n) => (n === from ? to : n));
      node.output = node.output.map((n) => (n === from ? to : n));
    }
  }
}

/** An initializer as an ONNX TensorProto (little-endian raw data). */
export function tensorProto(init: Initializer): TensorProto {
  const { data } = init;
  const raw = new Uint8Array(data.byteLength);
  raw.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return { name: init.name, dims: init.dims, data_type: init.dataType, raw_data: raw };
}
