/**
 * Frees each layer's activations and incoming gradient as soon as the backward pass is past it,
 * as PyTorch's autograd does. tfjs-core's `gradients` (tape.ts, `backpropagateGradients`) keeps
 * every tensor a kernel saved for its gradient and the gradient of every intermediate tensor until
 * the whole backward pass ends, so a training step's peak holds all activations and all their
 * gradients at once: about three times PyTorch's memory for the U-Net at batch 160.
 *
 * Call `releaseDuringBackward()` at the end of the function given to `tf.variableGrads`, while the
 * tape is still recording: it wraps the gradient function of every node on the tape. tfjs walks
 * the tape backwards one node at a time and calls all of a node's input-gradient functions before
 * the next node's; so when node k-1's gradient is asked for, node k is done, and its saved tensors
 * (clones made for it alone, `Engine.saveTensorsForBackwardMode`) and the gradients of its outputs
 * (each output is made by this node only, so its gradient is read by this node only) are freed.
 *
 * A gradient function may also make a tensor that all of its input-gradient functions read (the
 * gradient through a fused activation, say): it hands it to `releaseWithNode`, and the tensor is
 * freed with the node's saved tensors; outside this pass it lives until the backward pass ends.
 *
 * A gradient object that could be read again is never freed: one an input-gradient function
 * returned that was made before that function was called (`dy` itself, or one object handed to
 * two inputs), since tfjs stores that same object as the gradient of another tensor. The values are
 * those of `tf.variableGrads` exactly (release-during-backward.test.ts); only the
 * tensors' lifetimes change. A gradient of a gradient is left as tfjs makes it.
 */
import * as tf from '@tensorflow/tfjs';

type GradientThunks = Record<string, () => tf.Tensor>;

interface TapeNode {
  saved?: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => GradientThunks;
}

interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  constructor: { nextTensorId: number };
}

/** Per tape node as the backward pass reaches it: the live tensor bytes at that moment (for tests). */
export type BackwardObserver = (liveBytes: number) => void;

/** The tensors handed to `releaseWithNode` by the gradient function now running, while this pass wraps it. */
let madeForNode: tf.Tensor[] | null = null;

/** Frees `t` when the backward pass is past the node whose gradient function made it (else with the pass). */
export function releaseWithNode(t: tf.Tensor): void {
  madeForNode?.push(t);
}

export function releaseDuringBackward(observe?: BackwardObserver): void {
  const engine = tf.engine() as unknown as EngineInternals;
  // Only the first-order pass a training step takes, which is what the tests check; and without
  // tfjs's tensor counter a returned tensor's age cannot be told (another tfjs version).
  if (engine.state.gradientDepth !== 1 || !engine.state.activeTape) return;
  if (typeof engine.constructor.nextTensorId !== 'number') return;
  const nextTensorId = (): number => engine.constructor.nextTensorId;
  const shared = new WeakSet<tf.Tensor>();
  let done: { dys: (tf.Tensor | null)[]; saved: tf.Tensor[]; made: tf.Tensor[] } | null = null;
  const free = (tensors: readonly (tf.Tensor | null)[]): void => {
    for (const t of tensors) if (t && !shared.has(t)) t.dispose();
  };
  for (const node of engine.state.activeTape) {
    const gradient = node.gradient;
    if (!gradient) continue;
    const saved = node.saved ?? [];
    node.gradient = (dys) => {
      if (done) free([...done.dys, ...done.saved, ...done.made]);
      const made: tf.Tensor[] = [];
      done = { dys, saved, made };
      observe?.(tf.memory().numBytes);
      madeForNode = made;
      let thunks: GradientThunks;
      try {
        thunks = gradient(dys);
      } finally {
        madeForNode = null;
      }
      const wrapped: GradientThunks = {};
      for (const [input, thunk] of Object.entries(thunks)) {
        wrapped[input] = () => {
          const madeFrom = nextTensorId();
          const dx = thunk();
          if (dx.id < madeFrom) shared.add(dx);
          return dx;
        };
      }
      return wrapped;
    };
  }
}
