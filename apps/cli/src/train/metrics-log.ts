/** `metrics.jsonl`: one JSON object per line (train log points and per-epoch summaries). */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '@nextnets/core-layers/node';

export interface TrainPoint {
  type: 'train';
  epoch: number;
  step: number;
  loss: number;
  lr: number;
  imgPerSec: number;
}

export interface EpochSummary {
  type: 'epoch';
  epoch: number;
  step: number;
  trainLoss: number;
  lr: number;
  seconds: number;
  evalLoss?: number;
  top1?: number;
  top5?: number;
  emaTop1?: number;
  emaTop5?: number;
}

export type MetricsRecord = TrainPoint | EpochSummary;

export class MetricsLog {
  constructor(readonly path: string) {}

  append(record: MetricsRecord): void {
    appendFileSync(this.path, `${JSON.stringify(record)}\n`);
  }

  read(): MetricsRecord[] {
    if (!existsSync(this.path)) return [];
    return readFileSync(this.path, 'utf8')
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

  /** Drops records written after `step` (work that a resume will redo). */
  truncateAfter(step: number): void {
    const kept = this.read().filter((r) => r.step <= step);
    writeFileAtomic(this.path, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
}
