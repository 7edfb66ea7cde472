/**
 * The `tfjs` export format: `model.json` + binary shards in TensorFlow.js's *weights* format (the `weightsManifest`
 * that `tf.io.loadWeights` / `tf.io.decodeWeights` read), with the timm key names and PyTorch layouts of the
 * safetensors export, plus a `nextnets` block (model name, overrides, pretrained cfg, classes) from which
 * `createModel(...)` + `loadStateDict(...)` rebuild the model in a browser. It carries no graph: `modelTopology` is
 * null, so `tf.loadGraphModel` / `tf.loadLayersModel` cannot run it (a graph model needs the Python tfjs-converter).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@nextnets/core-layers/node';

/** tfjs-converter's default shard size. */
const SHARD_BYTES = 4 * 1024 * 1024;

export interface NextnetsModelInfo {
  model: string;
  modelArgs: Record<string, unknown>;
  reparameterized: boolean;
  layout: 'pytorch';
  pretrainedCfg?: unknown;
  classes?: string[];
}

export function writeTfjsWeights(
  dir: string,
  tensors: Map<string, { shape: number[]; data: Float32Array }>,
  info: NextnetsModelInfo,
  generatedBy: string,
): string[] {
  mkdirSync(dir, { recursive: true });
  const total = [...tensors.values()].reduce((n, t) => n + t.data.byteLength, 0);
  const all = new Uint8Array(total);
  let offset = 0;
  const weights = [...tensors.entries()].map(([name, t]) => {
    all.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), offset);
    offset += t.data.byteLength;
    return { name, shape: t.shape, dtype: 'float32' as const };
  });
  const shardCount = Math.max(1, Math.ceil(total / SHARD_BYTES));
  const paths = Array.from({ length: shardCount }, (_, i) => `group1-shard${i + 1}of${shardCount}.bin`);
  paths.forEach((path, i) => writeFileAtomic(join(dir, path), all.subarray(i * SHARD_BYTES, Math.min(total, (i + 1) * SHARD_BYTES))));
  const modelJson = {
    format: 'nextnets-weights',
    generatedBy,
    convertedBy: null,
    modelTopology: null,
    weightsManifest: [{ paths, weights }],
    nextnets: info,
  };
  writeFileAtomic(join(dir, 'model.json'), `${JSON.stringify(modelJson, null, 1)}\n`);
  return ['model.json', ...paths];
}
