/** `metrics.jsonl`: one JSON object per line (train log points and per-epoch summaries), kept in a `TrainStorage`. */
import { readText, type TrainStorage } from './storage.js';

export interface TrainPoint {
  type: 'train';
  epoch: number;
  step: number;
  loss: number;
  lr: number;
  imgPerSec: number;
}

/** The progressive-learning stage an epoch trained with (EfficientNetV2 §4): what changes between stages. */
export interface StageInfo {
  imageSize?: number;
  randAugmentMagnitude?: number;
  mixupAlpha?: number;
  cutmixAlpha?: number;
  dropout?: number;
}

export interface EpochSummary extends StageInfo {
  type: 'epoch';
  epoch: number;
  step: number;
  trainLoss: number;
  lr: number;
  seconds: number;
  evalLoss?: number;
  /** Task metrics of the evaluation (classification: top1, top5) and of the EMA weights (emaTop1, emaTop5). */
  top1?: number;
  top5?: number;
  emaTop1?: number;
  emaTop5?: number;
  [metric: string]: number | string | undefined;
}

export type MetricsRecord = TrainPoint | EpochSummary;

export class MetricsLog {
  constructor(
    readonly storage: TrainStorage,
    readonly path = 'metrics.jsonl',
  ) {}

  async append(record: MetricsRecord): Promise<void> {
    await this.storage.append(this.path, `${JSON.stringify(record)}\n`);
  }

  async read(): Promise<MetricsRecord[]> {
    const text = await readText(this.storage, this.path);
    if (text === undefined) return [];
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as MetricsRecord];
        } catch {
          return []; // a line cut short by a kill
        }
      });
  }

  /** Drops records written after `step` (work that a resume will redo); -1 empties the log. */
  async truncateAfter(step: number): Promise<void> {
    const kept = (await this.read()).filter((r) => r.step <= step);
    await this.storage.write(this.path, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
}
