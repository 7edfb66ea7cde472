/**
 * Training checkpoints in a `TrainStorage`. A checkpoint is a folder (`last`, `best`) with
 *   model.safetensors  — model weights, timm keys in PyTorch layouts (loadable by timm and by `nextnets eval/predict`)
 *   ema.safetensors    — EMA weights in the same form (when EMA is on)
 *   state.safetensors  — optimizer slots (`optimizer/<param>:<slot>`) and EMA shadows (`ema/<name>`), internal layouts
 *   state.json         — epoch, step, batch within the epoch, optimizer/scheduler/EMA JSON state, best metric, seed
 * plus any files the task adds (FCMAE: `encoder.safetensors`). The folder is written whole into `<dir>.tmp` and then
 * swapped in by renames (see `replaceFolder`): after a crash, even `kill -9`, either `<dir>` or `<dir>.old` is
 * complete, and `findResumableCheckpoint` finds it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadStateDict, parseSafetensors, serializeSafetensors, stateDict, type Module, type TensorData } from '@nextnets/core-layers';
import type { LrScheduler, ModelEma, Optimizer, SavedState } from '@nextnets/optim';
import { joinPath, readText, replaceFolder, type TrainStorage } from './storage.js';

export interface TrainingPosition {
  /** 0-based epoch in progress. */
  epoch: number;
  /** Batches of `epoch` already trained. */
  batchInEpoch: number;
  /** Optimizer steps taken in total. */
  step: number;
}

export interface CheckpointState extends TrainingPosition {
  version: 1;
  seed: number;
  /** Best value of the task's selection metric so far (classification: top-1), null before any evaluation. */
  best: number | null;
  optimizer: Record<string, unknown>;
  scheduler: Record<string, unknown>;
  ema: Record<string, unknown> | null;
}

export interface TrainingObjects {
  model: Module;
  optimizer: Optimizer;
  scheduler: LrScheduler;
  ema?: ModelEma;
}

type Entries = Iterable<readonly [string, TensorData]>;

function tensorEntries(prefix: string, tensors: Map<string, tf.Tensor>): Array<[string, TensorData]> {
  const out: Array<[string, TensorData]> = [];
  for (const [name, t] of tensors) {
    const data = t.dataSync();
    out.push([`${prefix}/${name}`, { shape: [...t.shape], data: data instanceof Float32Array ? data : Float32Array.from(data) }]);
    t.dispose();
  }
  return out;
}

/** Model weights (or, with `ema`, the EMA weights) as a timm-key state dict. */
function weightsOf(model: Module, ema: ModelEma | undefined): Map<string, TensorData> {
  if (!ema) return stateDict(model);
  ema.swap();
  try {
    return stateDict(model);
  } finally {
    ema.swap();
  }
}

async function writeSafetensors(storage: TrainStorage, path: string, tensors: Entries, meta?: Record<string, string>): Promise<void> {
  await storage.write(path, serializeSafetensors(tensors, meta, path));
}

async function readSafetensorsFrom(storage: TrainStorage, path: string): Promise<Map<string, TensorData>> {
  const bytes = await storage.read(path);
  if (!bytes) throw new Error(`${joinPath(storage.location, path)}: not found`);
  return parseSafetensors(bytes, joinPath(storage.location, path)).tensors;
}

/** Writes a full resumable checkpoint folder (plus `extraFiles`, e.g. the FCMAE encoder in timm keys). */
export async function saveCheckpoint(
  storage: TrainStorage,
  dir: string,
  objects: TrainingObjects,
  position: TrainingPosition,
  extra: { seed: number; best: number | null },
  extraFiles: Record<string, Map<string, TensorData>> = {},
): Promise<void> {
  const { model, optimizer, scheduler, ema } = objects;
  const optimizerState = optimizer.state();
  const emaState: SavedState | undefined = ema?.state();
  const state: CheckpointState = {
    version: 1,
    ...position,
    ...extra,
    optimizer: optimizerState.json,
    scheduler: scheduler.state().json,
    ema: emaState?.json ?? null,
  };
  const meta = { step: String(position.step) };
  const stateTensors = [...tensorEntries('optimizer', optimizerState.tensors), ...tensorEntries('ema', emaState?.tensors ?? new Map())];
  await replaceFolder(storage, dir, async (tmp) => {
    await writeSafetensors(storage, joinPath(tmp, 'model.safetensors'), stateDict(model), meta);
    if (ema) await writeSafetensors(storage, joinPath(tmp, 'ema.safetensors'), weightsOf(model, ema), meta);
    await writeSafetensors(storage, joinPath(tmp, 'state.safetensors'), stateTensors, meta);
    for (const [name, tensors] of Object.entries(extraFiles)) await writeSafetensors(storage, joinPath(tmp, name), tensors, meta);
    await storage.write(joinPath(tmp, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
  });
}

/** Writes weights only (model and EMA) plus `info.json`, for `best`. */
export async function saveWeightsCheckpoint(
  storage: TrainStorage,
  dir: string,
  model: Module,
  ema: ModelEma | undefined,
  info: Record<string, unknown>,
  extraFiles: Record<string, Map<string, TensorData>> = {},
): Promise<void> {
  await replaceFolder(storage, dir, async (tmp) => {
    await writeSafetensors(storage, joinPath(tmp, 'model.safetensors'), stateDict(model));
    if (ema) await writeSafetensors(storage, joinPath(tmp, 'ema.safetensors'), weightsOf(model, ema));
    for (const [name, tensors] of Object.entries(extraFiles)) await writeSafetensors(storage, joinPath(tmp, name), tensors);
    await storage.write(joinPath(tmp, 'info.json'), `${JSON.stringify(info, null, 2)}\n`);
  });
}

/** The checkpoint folder to resume from: `last`, or `last.old` when a crash interrupted the final renames. */
export async function findResumableCheckpoint(storage: TrainStorage): Promise<string | undefined> {
  for (const dir of ['last', 'last.old']) {
    if ((await storage.exists(joinPath(dir, 'state.json'))) && (await storage.exists(joinPath(dir, 'state.safetensors')))) return dir;
  }
  return undefined;
}

export async function readCheckpointState(storage: TrainStorage, dir: string): Promise<CheckpointState> {
  const where = joinPath(storage.location, dir, 'state.json');
  const text = await readText(storage, joinPath(dir, 'state.json'));
  if (text === undefined) throw new Error(`${where}: not found`);
  let state: CheckpointState & { bestTop1?: number | null };
  try {
    state = JSON.parse(text) as CheckpointState & { bestTop1?: number | null };
  } catch (error) {
    throw new Error(`${where}: not valid JSON (${(error as Error).message})`);
  }
  if (state.version !== 1) throw new Error(`${where}: unsupported checkpoint version ${String(state.version)}`);
  // checkpoints written before the engine moved out of the CLI named the best metric `bestTop1`
  if (state.best === undefined) state.best = state.bestTop1 ?? null;
  return state;
}

/** Restores model, optimizer, scheduler and EMA from a checkpoint folder written by `saveCheckpoint`. */
export async function restoreCheckpoint(storage: TrainStorage, dir: string, objects: TrainingObjects, state: CheckpointState): Promise<void> {
  const { model, optimizer, scheduler, ema } = objects;
  const weightsPath = joinPath(dir, 'model.safetensors');
  loadStateDict(model, await readSafetensorsFrom(storage, weightsPath), { strict: true, source: joinPath(storage.location, weightsPath) });
  const stored = await readSafetensorsFrom(storage, joinPath(dir, 'state.safetensors'));
  const dtypes = new Map<string, tf.DataType>();
  for (const [name, p] of model.namedParameters()) dtypes.set(name, p.variable.dtype);
  for (const [name, b] of model.namedBuffers()) dtypes.set(name, b.variable.dtype);
  const group = (prefix: string, dtypeOf: (name: string) => tf.DataType) => {
    const map = new Map<string, tf.Tensor>();
    for (const [key, t] of stored) {
      if (!key.startsWith(`${prefix}/`)) continue;
      const name = key.slice(prefix.length + 1);
      map.set(name, tf.tensor(t.data, [...t.shape], dtypeOf(name)));
    }
    return map;
  };
  const optimizerTensors = group('optimizer', () => 'float32');
  try {
    optimizer.loadState({ json: state.optimizer, tensors: optimizerTensors });
  } finally {
    tf.dispose([...optimizerTensors.values()]);
  }
  scheduler.loadState({ json: state.scheduler, tensors: new Map() });
  if (ema) {
    if (!state.ema) throw new Error(`${joinPath(storage.location, dir)}: checkpoint has no EMA state but EMA is enabled`);
    const emaTensors = group('ema', (name) => dtypes.get(name) ?? 'float32');
    try {
      ema.loadState({ json: state.ema, tensors: emaTensors });
    } finally {
      tf.dispose([...emaTensors.values()]);
    }
  }
}
