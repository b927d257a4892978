/**
 * Early stopping (Keras's EarlyStopping): stop once the monitored value has not improved by more
 * than `minDelta` for `patience` epochs. Also the judge of "best epoch" for checkpoints.
 */
import type { MonitorSpec } from '../../contract/index';

export interface MonitorSnapshot {
  best: number | null;
  bestEpoch: number | null;
  waited: number;
}

export class MonitoredValue {
  private state: MonitorSnapshot = { best: null, bestEpoch: null, waited: 0 };

  constructor(
    readonly spec: MonitorSpec,
    private readonly minDelta = 0,
  ) {}

  /** Records an epoch's value; true when it is the best so far. */
  update(epoch: number, value: number): boolean {
    const { best } = this.state;
    const improved =
      best === null || (this.spec.mode === 'min' ? value < best - this.minDelta : value > best + this.minDelta);
    if (improved) this.state = { best: value, bestEpoch: epoch, waited: 0 };
    else this.state.waited += 1;
    return improved;
  }

  /** Epochs since the last improvement. */
  get waited(): number {
    return this.state.waited;
  }

  get best(): { epoch: number; value: number } | null {
    return this.state.best === null || this.state.bestEpoch === null
      ? null
      : { epoch: this.state.bestEpoch, value: this.state.best };
  }

  snapshot(): MonitorSnapshot {
    return { ...this.state };
  }

  restore(snapshot: MonitorSnapshot): void {
    this.state = { ...snapshot };
  }
}
