/** The loss of one shard of a batch, run by the main thread and by every replica on its rows. */
import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@nextnets/core-layers';
import { classificationShardLoss } from '@nextnets/train';

/** Mean loss of `tensors` (one shard, every tensor split along its first axis) under `options`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each task's loss types its own model and options
export type ShardLoss = (model: any, tensors: Record<string, tf.Tensor>, options: any) => tf.Scalar;

/** The default: @nextnets/train's classification loss (`images`, `labels`, optional soft `targets`; `{ smoothing }`). */
export const defaultShardLoss: ShardLoss = (model: Module & { forward(x: tf.Tensor): tf.Tensor }, tensors, options: { smoothing?: number } | undefined) =>
  classificationShardLoss(model, tensors, { smoothing: options?.smoothing ?? 0 });
