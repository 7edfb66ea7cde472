/** `--replicas N`: data-parallel worker replicas of the run's model (@nextnets/parallel). */
import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { DataParallel } from '@nextnets/parallel';
import type { Module } from '@nextnets/core-layers';
import { CliError } from '../cli/errors.js';
import { enableNativeGemm } from '../cli/native.js';
import { replicaFactoryUrl, replicaLoss, type ReplicaArgs } from '../replica.js';
import type { FcmaeReplicaArgs } from './pretrain.js';

/** Starts `replicas − 1` workers holding copies of `model` (built from `factoryArgs`); undefined for 1 replica. */
export async function startReplicas(model: Module, replicas: number, factoryArgs: ReplicaArgs | FcmaeReplicaArgs): Promise<DataParallel | undefined> {
  if (replicas <= 1) return undefined;
  if (replicas > cpus().length) process.stderr.write(`note: --replicas ${replicas} exceeds the ${cpus().length} CPUs; replicas will share cores\n`);
  // the replicas' OpenBLAS calls share the cores: one thread each (the workers set the same in prepareBackend)
  enableNativeGemm(tf.getBackend(), replicas);
  try {
    return await DataParallel.create(model, { replicas, factoryUrl: replicaFactoryUrl(), factoryArgs, loss: replicaLoss });
  } catch (error) {
    throw new CliError(`cannot start ${replicas} replicas: ${(error as Error).message.split('\n')[0]}`);
  }
}
