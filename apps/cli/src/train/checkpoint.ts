/**
 * Training checkpoints. A checkpoint is a folder (`<out>/last`, `<out>/best`) with
 *   model.safetensors  — model weights, timm keys in PyTorch layouts (loadable by timm and by `nextnets eval/predict`)
 *   ema.safetensors    — EMA weights in the same form (when EMA is on)
 *   state.safetensors  — optimizer slots (`optimizer/<param>:<slot>`) and EMA shadows (`ema/<name>`), internal layouts
 *   state.json         — epoch, step, batch within the epoch, optimizer/scheduler/EMA JSON state, best metric, seed
 * Each file is written atomically into a fresh temporary folder, which then replaces the old one by renames: after a
 * crash (even `kill -9`) either the old or the new checkpoint is complete, and `readCheckpointState` finds it.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadStateDict, stateDict, type ImageClassifier, type Module, type TensorData } from '@nextnets/core-layers';
import { readSafetensors, writeFileAtomic, writeSafetensorsAtomic } from '@nextnets/core-layers/node';
import type { LrScheduler, ModelEma, Optimizer, SavedState } from '@nextnets/optim';
import { CliError } from '../cli/errors.js';

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
  bestTop1: number | null;
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

function tensorEntries(prefix: string, tensors: Map<string, tf.Tensor>): Array<[string, { shape: number[]; data: Float32Array }]> {
  const out: Array<[string, { shape: number[]; data: Float32Array }]> = [];
  for (const [name, t] of tensors) {
    const data = t.dataSync();
    out.push([`${prefix}/${name}`, { shape: [...t.shape], data: data instanceof Float32Array ? data : Float32Array.from(data) }]);
    t.dispose();
  }
  return out;
}

/** Model weights (or, with `ema`, the EMA weights) as a timm-key state dict. */
function weightsOf(model: Module, ema: ModelEma | undefined): ReturnType<typeof stateDict> {
  if (!ema) return stateDict(model);
  ema.swap();
  try {
    return stateDict(model);
  } finally {
    ema.swap();
  }
}

/** Replaces folder `dir` by a freshly written one: write into `dir.tmp`, move old aside, move new in, delete old. */
function replaceFolder(dir: string, write: (tmp: string) => void): void {
  const tmp = `${dir}.tmp`;
  const old = `${dir}.old`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  write(tmp);
  rmSync(old, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

/** Writes a full resumable checkpoint folder (plus `extraFiles`, e.g. the FCMAE encoder in timm keys). */
export function saveCheckpoint(
  dir: string,
  objects: TrainingObjects,
  position: TrainingPosition,
  extra: { seed: number; bestTop1: number | null },
  extraFiles: Record<string, Map<string, TensorData>> = {},
): void {
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
  replaceFolder(dir, (tmp) => {
    writeSafetensorsAtomic(join(tmp, 'model.safetensors'), stateDict(model), meta);
    if (ema) writeSafetensorsAtomic(join(tmp, 'ema.safetensors'), weightsOf(model, ema), meta);
    const stateTensors = [...tensorEntries('optimizer', optimizerState.tensors), ...tensorEntries('ema', emaState?.tensors ?? new Map())];
    writeSafetensorsAtomic(join(tmp, 'state.safetensors'), stateTensors, meta);
    for (const [name, tensors] of Object.entries(extraFiles)) writeSafetensorsAtomic(join(tmp, name), tensors, meta);
    writeFileAtomic(join(tmp, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
  });
}

/** Writes weights only (model and EMA) plus a small JSON, for `best`. */
export function saveWeightsCheckpoint(dir: string, model: ImageClassifier, ema: ModelEma | undefined, info: Record<string, unknown>): void {
  replaceFolder(dir, (tmp) => {
    writeSafetensorsAtomic(join(tmp, 'model.safetensors'), stateDict(model));
    if (ema) writeSafetensorsAtomic(join(tmp, 'ema.safetensors'), weightsOf(model, ema));
    writeFileAtomic(join(tmp, 'info.json'), `${JSON.stringify(info, null, 2)}\n`);
  });
}

/** The checkpoint folder to resume from: `last`, or `last.old` when a crash interrupted the final renames. */
export function findResumableCheckpoint(runDir: string): string | undefined {
  for (const name of ['last', 'last.old']) {
    const dir = join(runDir, name);
    if (existsSync(join(dir, 'state.json')) && existsSync(join(dir, 'state.safetensors'))) return dir;
  }
  return undefined;
}

export function readCheckpointState(dir: string): CheckpointState {
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as CheckpointState;
  if (state.version !== 1) throw new CliError(`${dir}/state.json: unsupported checkpoint version ${String(state.version)}`);
  return state;
}

/** Restores model, optimizer, scheduler and EMA from a checkpoint folder written by `saveCheckpoint`. */
export function restoreCheckpoint(dir: string, objects: TrainingObjects, state: CheckpointState): void {
  const { model, optimizer, scheduler, ema } = objects;
  const weights = readSafetensors(join(dir, 'model.safetensors')).tensors;
  loadStateDict(model, weights, { strict: true, source: join(dir, 'model.safetensors') });
  const stored = readSafetensors(join(dir, 'state.safetensors')).tensors;
  const dtypes = new Map<string, tf.DataType>();
  for (const [name, p] of model.namedParameters()) dtypes.set(name, p.variable.dtype);
  for (const [name, b] of model.namedBuffers()) dtypes.set(name, b.variable.dtype);
  const group = (prefix: string, dtypeOf: (name: string) => tf.DataType) => {
    const map = new Map<string, tf.Tensor>();
    for (const [key, t] of stored) {
      if (!key.startsWith(`${prefix}/`)) continue;
      const name = key.slice(prefix.length + 1);
      map.set(name, tf.tensor(t.data, t.shape, dtypeOf(name)));
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
    if (!state.ema) throw new CliError(`${dir}: checkpoint has no EMA state but the recipe enables EMA`);
    const emaTensors = group('ema', (name) => dtypes.get(name) ?? 'float32');
    try {
      ema.loadState({ json: state.ema, tensors: emaTensors });
    } finally {
      tf.dispose([...emaTensors.values()]);
    }
  }
}
