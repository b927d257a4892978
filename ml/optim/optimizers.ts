/**
 * SGD with momentum, Adam and AdamW, written out rather than taken from tfjs: tfjs has no
 * decoupled weight decay, no per-parameter learning-rate factors (a slower backbone when
 * fine-tuning), and no way to save and restore optimiser state by parameter name for resumable
 * checkpoints. The update rules are torch.optim's, term for term.
 */
import * as tf from '@tensorflow/tfjs';
import { LoupeError, type OptimizerConfig } from '../../contract/index';
import { fusedAdamPairUpdate, fusedAdamUpdate, pairsAdamUpdates, type AdamUpdate } from './fused-adam';

/** A trainable weight under a name that is the same in every process (the layer's weight name). */
export interface Parameter {
  name: string;
  variable: tf.Variable;
  /** Multiplies the learning rate for this parameter (1 = full rate). */
  learningRateFactor: number;
}

/** Optimiser state as plain data, for checkpoints. */
export interface OptimizerSnapshot {
  name: OptimizerConfig['name'];
  /** Per parameter: updates taken (Adam's bias correction needs it). */
  steps: Record<string, number>;
  slots: { parameter: string; slot: string; shape: number[]; values: Float32Array }[];
}

export abstract class Optimizer {
  protected readonly steps = new Map<string, number>();
  private readonly slots = new Map<string, Map<string, tf.Variable>>();

  constructor(readonly name: OptimizerConfig['name']) {}

  /** Applies one update; `gradients` by parameter name. Parameters without a gradient are left alone. */
  apply(parameters: readonly Parameter[], gradients: ReadonlyMap<string, tf.Tensor>, learningRate: number): void {
    tf.tidy(() => {
      try {
        for (const parameter of parameters) {
          const gradient = gradients.get(parameter.name);
          if (!gradient) continue;
          const step = (this.steps.get(parameter.name) ?? 0) + 1;
          this.steps.set(parameter.name, step);
          this.update(parameter, gradient, learningRate * parameter.learningRateFactor, step);
        }
      } finally {
        this.finishUpdates();
      }
    });
  }

  protected abstract update(parameter: Parameter, gradient: tf.Tensor, learningRate: number, step: number): void;

  /** Runs any update `update` held back (to run two in one kernel); called at the end of every apply. */
  protected finishUpdates(): void {}

  /** The named state variable of a parameter, created as zeros on first use (as torch does lazily). */
  protected slot(parameter: Parameter, slot: string): tf.Variable {
    let byName = this.slots.get(parameter.name);
    if (!byName) this.slots.set(parameter.name, (byName = new Map()));
    let variable = byName.get(slot);
    if (!variable) {
      variable = tf.variable(tf.zerosLike(parameter.variable), false);
      byName.set(slot, variable);
    }
    return variable;
  }

  /** State tensors held (for leak checks). */
  slotCount(): number {
    let count = 0;
    for (const byName of this.slots.values()) count += byName.size;
    return count;
  }

  async snapshot(): Promise<OptimizerSnapshot> {
    const slots: OptimizerSnapshot['slots'] = [];
    for (const [parameter, byName] of this.slots) {
      for (const [slot, variable] of byName)
        slots.push({ parameter, slot, shape: variable.shape, values: (await variable.data()) as Float32Array });
    }
    return { name: this.name, steps: Object.fromEntries(this.steps), slots };
  }

  restore(snapshot: OptimizerSnapshot): void {
    if (snapshot.name !== this.name)
      throw new LoupeError(
        'INVALID_REQUEST',
        `The checkpoint was made with ${snapshot.name}, but the run now uses ${this.name}.`,
      );
    this.dispose();
    for (const [parameter, step] of Object.entries(snapshot.steps)) this.steps.set(parameter, step);
    for (const { parameter, slot, shape, values } of snapshot.slots) {
      let byName = this.slots.get(parameter);
      if (!byName) this.slots.set(parameter, (byName = new Map()));
      const initial = tf.tensor(values, shape);
      byName.set(slot, tf.variable(initial, false));
      initial.dispose();
    }
  }

  dispose(): void {
    for (const byName of this.slots.values()) for (const variable of byName.values()) variable.dispose();
    this.slots.clear();
    this.steps.clear();
  }
}

/** torch.optim.SGD (dampening 0): L2 decay into the gradient, momentum buffer seeded with the first gradient. */
export class Sgd extends Optimizer {
  constructor(private readonly config: Extract<OptimizerConfig, { name: 'sgd' }>) {
    super('sgd');
  }

  protected update(parameter: Parameter, gradient: tf.Tensor, learningRate: number, step: number): void {
    const { momentum, nesterov, weightDecay } = this.config;
    const p = parameter.variable;
    let g = weightDecay ? gradient.add(p.mul(weightDecay)) : gradient;
    if (momentum) {
      const buffer = this.slot(parameter, 'momentum');
      const next = step === 1 ? g : buffer.mul(momentum).add(g);
      buffer.assign(next);
      g = nesterov ? g.add(next.mul(momentum)) : next;
    }
    p.assign(p.sub(g.mul(learningRate)));
  }
}

/** torch.optim.Adam (L2 decay into the gradient) and torch.optim.AdamW (decoupled decay). */
export class Adam extends Optimizer {
  /** An update held back to run with the next in one kernel (fusedAdamPairUpdate), where the backend pairs them. */
  private held: AdamUpdate | null = null;

  constructor(private readonly config: Extract<OptimizerConfig, { name: 'adam' | 'adamw' }>) {
    super(config.name);
  }

  protected update(parameter: Parameter, gradient: tf.Tensor, learningRate: number, step: number): void {
    const { beta1, beta2, epsilon, weightDecay } = this.config;
    const p = parameter.variable;
    const decoupled = weightDecay !== 0 && this.config.name === 'adamw';
    const terms = {
      beta1,
      beta2,
      epsilon,
      stepSize: learningRate / (1 - beta1 ** step),
      bias2Sqrt: Math.sqrt(1 - beta2 ** step),
      l2Decay: weightDecay && !decoupled ? weightDecay : 0,
      decayFactor: decoupled ? 1 - learningRate * weightDecay : 1,
    };
    const update: AdamUpdate = { p, g: gradient, m: this.slot(parameter, 'm'), v: this.slot(parameter, 'v'), terms };
    if (pairsAdamUpdates(update)) {
      if (!this.held) {
        this.held = update;
        return;
      }
      const first = this.held;
      this.held = null;
      return fusedAdamPairUpdate(first, update);
    }
    if (fusedAdamUpdate(p, gradient, update.m, update.v, terms)) return;
    let value: tf.Tensor = p;
    let g = gradient;
    if (weightDecay && this.config.name === 'adamw') value = p.mul(1 - learningRate * weightDecay);
    else if (weightDecay) g = g.add(p.mul(weightDecay));
    const { m, v } = update;
    const nextM = m.mul(beta1).add(g.mul(1 - beta1));
    const nextV = v.mul(beta2).add(g.square().mul(1 - beta2));
    m.assign(nextM);
    v.assign(nextV);
    const stepSize = learningRate / (1 - beta1 ** step);
    const denominator = nextV
      .sqrt()
      .div(Math.sqrt(1 - beta2 ** step))
      .add(epsilon);
    p.assign(value.sub(nextM.div(denominator).mul(stepSize)));
  }

  protected override finishUpdates(): void {
    const last = this.held;
    this.held = null;
    if (last) fusedAdamUpdate(last.p, last.g, last.m, last.v, last.terms);
  }
}

export function createOptimizer(config: OptimizerConfig): Optimizer {
  switch (config.name) {
    case 'sgd':
      return new Sgd(config);
    case 'adam':
    case 'adamw':
      return new Adam(config);
  }
}
