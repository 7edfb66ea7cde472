export {
  DataParallel,
  type ClassificationBatch,
  type ClassificationLossOptions,
  type DataParallelOptions,
  type ShardableTensors,
  type ValueAndGradsOptions,
  type ForwardModule,
} from './data-parallel';
export type { ReplicaFactory } from './protocol';
export { shardRanges, weightedShardRanges } from './shards';
export { defaultShardLoss, type ShardLoss } from './shard-loss';
