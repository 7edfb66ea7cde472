import type { SavedState, Stateful } from '../types';
import type { LrSchedule } from './warmup';

/** Keeps the position (completed optimizer steps) in a schedule so it can be saved and resumed. */
export class LrScheduler implements Stateful {
  private current: number;

  constructor(
    readonly schedule: LrSchedule,
    startStep = 0,
  ) {
    if (!Number.isInteger(startStep) || startStep < 0) {
      throw new Error(`LrScheduler: startStep must be an integer >= 0, got ${startStep}`);
    }
    this.current = startStep;
  }

  /** 0-based index of the next optimizer step. */
  get position(): number {
    return this.current;
  }

  /** lr for the next optimizer step. */
  get lr(): number {
    return this.schedule(this.current);
  }

  /** Call once after each optimizer step. */
  advance(): void {
    this.current += 1;
  }

  state(): SavedState {
    return { json: { kind: 'LrScheduler', position: this.current }, tensors: new Map() };
  }

  loadState(saved: SavedState): void {
    const position = saved.json.position;
    if (saved.json.kind !== 'LrScheduler' || typeof position !== 'number' || !Number.isInteger(position) || position < 0) {
      throw new Error('LrScheduler.loadState: expected json {kind: "LrScheduler", position: integer >= 0}');
    }
    this.current = position;
  }
}
