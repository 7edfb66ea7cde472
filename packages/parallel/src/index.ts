export {
  DataParallel,
  type ClassificationBatch,
  type ClassificationLossOptions,
  type DataParallelOptions,
  type ForwardModule,
} from './data-parallel';
export type { ReplicaFactory } from './protocol';
export { shardRanges, weightedShardRanges } from './shards';
