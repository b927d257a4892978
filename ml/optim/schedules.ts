/**
 * Learning-rate schedules with torch.optim.lr_scheduler's definitions. Positions are (epoch,
 * batch); per-epoch schedules ignore the batch, SGDR and one-cycle move every batch. Only
 * reduce-on-plateau has state, and it is saved in checkpoints.
 */
import type { MonitorSpec, ScheduleConfig } from '../../contract/index';

export interface ScheduleSnapshot {
  /** Reduce-on-plateau: current rate, best monitored value, epochs without improvement, cooldown left. */
  plateau?: { learningRate: number; best: number | null; badEpochs: number; cooldownLeft: number };
}

export interface ScheduleContext {
  baseLearningRate: number;
  epochs: number;
  batchesPerEpoch: number;
  monitorMode: MonitorSpec['mode'];
}

/** Cosine interpolation from `start` (fraction 0) to `end` (fraction 1). */
function cosineBetween(start: number, end: number, fraction: number): number {
  return end + ((start - end) * (1 + Math.cos(Math.PI * fraction))) / 2;
}

/** Minimum change in rate torch applies (ReduceLROnPlateau eps). */
const PLATEAU_EPS = 1e-8;

export class LearningRateSchedule {
  private plateau: Required<ScheduleSnapshot>['plateau'];

  constructor(
    readonly config: ScheduleConfig,
    private readonly context: ScheduleContext,
  ) {
    this.plateau = { learningRate: context.baseLearningRate, best: null, badEpochs: 0, cooldownLeft: 0 };
  }

  /** The rate for the batch at (epoch, batch), both 0-based. */
  at(epoch: number, batch: number): number {
    const base = this.context.baseLearningRate;
    const config = this.config;
    switch (config.name) {
      case 'constant':
        return base;
      case 'step':
        return base * config.gamma ** Math.floor(epoch / config.stepEpochs);
      case 'cosine':
        return cosineBetween(base, config.minLearningRate, epoch / this.context.epochs);
      case 'warm-restarts': {
        const t = epoch + batch / this.context.batchesPerEpoch;
        const first = config.firstPeriodEpochs;
        const mult = config.periodMultiplier;
        let current: number;
        let period: number;
        if (mult === 1) {
          current = t % first;
          period = first;
        } else {
          const n = Math.floor(Math.log((t / first) * (mult - 1) + 1) / Math.log(mult));
          current = t - (first * (mult ** n - 1)) / (mult - 1);
          period = first * mult ** n;
        }
        return cosineBetween(base, config.minLearningRate, current / period);
      }
      case 'one-cycle': {
        const total = this.context.epochs * this.context.batchesPerEpoch;
        const step = epoch * this.context.batchesPerEpoch + batch;
        const initial = base / config.divFactor;
        const final = initial / config.finalDivFactor;
        const warmupEnd = config.warmupFraction * total - 1;
        if (step <= warmupEnd) return cosineBetween(initial, base, step / warmupEnd);
        return cosineBetween(base, final, (step - warmupEnd) / (total - 1 - warmupEnd));
      }
      case 'reduce-on-plateau':
        return this.plateau.learningRate;
    }
  }

  /** Call once per epoch with the monitored value (reduce-on-plateau acts on it). */
  endEpoch(monitored: number | undefined): void {
    const config = this.config;
    if (config.name !== 'reduce-on-plateau' || monitored === undefined) return;
    const state = this.plateau;
    const better =
      state.best === null ||
      (this.context.monitorMode === 'min'
        ? monitored < state.best * (1 - config.threshold)
        : monitored > state.best * (1 + config.threshold));
    if (better) {
      state.best = monitored;
      state.badEpochs = 0;
    } else {
      state.badEpochs += 1;
    }
    if (state.cooldownLeft > 0) {
      state.cooldownLeft -= 1;
      state.badEpochs = 0;
    }
    if (state.badEpochs > config.patience) {
      const reduced = Math.max(state.learningRate * config.factor, config.minLearningRate);
      if (state.learningRate - reduced > PLATEAU_EPS) state.learningRate = reduced;
      state.cooldownLeft = config.cooldown;
      state.badEpochs = 0;
    }
  }

  snapshot(): ScheduleSnapshot {
    return this.config.name === 'reduce-on-plateau' ? { plateau: { ...this.plateau } } : {};
  }

  restore(snapshot: ScheduleSnapshot): void {
    if (snapshot.plateau) this.plateau = { ...snapshot.plateau };
  }
}
