/** The Trainer's progress events: a CLI draws its progress bar from them, a web page its live curve. */
import type { EpochSummary, StageInfo } from './metrics.js';
import type { Evaluation } from './task.js';

export interface TrainerEvents<E extends Evaluation = Evaluation> {
  /** A note for the user (resuming, overwriting a run, a curve PNG that could not be rendered). */
  log: { message: string };
  /** Training starts or resumes at `step`. */
  start: { epoch: number; step: number; stepsPerEpoch: number; totalSteps: number; resumedFrom?: string };
  /** An epoch starts; `skip` batches of it were trained before a resume. */
  epochStart: { epoch: number; epochs: number; stepsPerEpoch: number; skip: number; stage: StageInfo };
  /** After every optimizer step; `logged` marks the ~20 steps per epoch that also go to metrics.jsonl. */
  step: { epoch: number; step: number; batchInEpoch: number; stepsPerEpoch: number; loss: number; lr: number; imgPerSec: number; logged: boolean };
  /** The epoch's training batches are done (before evaluation). */
  epochTrained: { epoch: number; trainLoss: number };
  /** An evaluation finished (`ema`: the same evaluation of the EMA weights). */
  evaluated: { epoch: number; result: E; ema?: E };
  /** The epoch is complete: its record was appended to metrics.jsonl and `last` saved. */
  epochEnd: { summary: EpochSummary };
}

export type TrainerEventName = keyof TrainerEvents;
export type TrainerListener<E extends Evaluation, K extends TrainerEventName> = (event: TrainerEvents<E>[K]) => void | Promise<void>;
