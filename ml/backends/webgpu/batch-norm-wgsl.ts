/**
 * The WGSL programs of batch normalisation in training mode on WebGPU (batch-norm.ts runs them).
 *
 * x is rows × channels (channels last). The statistics are taken in chunks of rows: each thread
 * sums one chunk of one channel (neighbouring threads, neighbouring channels), then a workgroup
 * per channel joins the chunks (its lanes in turn, then a tree over the lanes: a single thread's
 * loop over thousands of chunks would leave a GPU waiting on one memory read after another).
 * WGSL has no double, so the variance is not E[x²] − mean² (which loses a float32 variance's
 * digits when the mean is large) but two passes over shifted values, in each chunk and again in
 * the join; the variance is the biased one, as tfjs's moments and the oneDNN kernels
 * (native/onednn/norm_ops.cc) take it.
 *
 * With a ReLU after the batch norm (batch-norm-relu.ts), the full-size forward pass writes
 * max(y, 0), and the backward passes read dy only where that output (reluY) is positive.
 */
import { bindingsWgsl, MAIN_PREAMBLE, WORKGROUP } from './multi-output';

/**
 * Most chunks per channel, and the fewest rows in a chunk. A chunk's rows are one thread's loop,
 * the chunks of a channel are one workgroup's (WORKGROUP lanes, then a tree): a U-Net's 8 × 128²
 * rows make 4,096 chunks of 32 rows, 64 per lane.
 */
export const MAX_CHUNKS = 4096;
export const MIN_ROWS = 8;
export const SHAPE_UNIFORMS = 'rows : i32, channels : i32, chunk : i32, chunks : i32, epsilon : f32';
/** SHAPE_UNIFORMS and the moving averages' decay (1 − momentum). */
const MOVING_UNIFORMS = `${SHAPE_UNIFORMS}, decay : f32`;

/** A join's start: one workgroup per channel `c`, its lanes taking the chunks in turn (see workgroupSum). */
export const JOIN_PREAMBLE = `var<workgroup> lanes : array<vec2<f32>, ${WORKGROUP}>;
var<workgroup> lanes2 : array<vec2<f32>, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) group : vec3<u32>, @builtin(local_invocation_id) local : vec3<u32>,
        @builtin(num_workgroups) groups : vec3<u32>) {
  let c = i32(group.x + group.y * groups.x);
  let lane = local.x;
  let C = uniforms.channels;`;

/**
 * WGSL that sets `name` to the workgroup's sum of the vec2 `value` over the lanes, in the same
 * order in every run (a tree); every lane runs it alike (it holds barriers). Each sum in a program
 * takes its own array: on Mesa (Dawn's OpenGL ES backend) a second sum on the same array, behind a
 * barrier, overwrote the first before every lane had read it.
 */
export function workgroupSum(name: string, value: string, lanes = 'lanes'): string {
  return `
  ${lanes}[lane] = ${value};
  workgroupBarrier();
  for (var stride = ${WORKGROUP / 2}u; stride > 0u; stride = stride / 2u) {
    if (lane < stride) { ${lanes}[lane] = ${lanes}[lane] + ${lanes}[lane + stride]; }
    workgroupBarrier();
  }
  let ${name} = ${lanes}[0];`;
}

/** The rows of chunk `s` of channel `c`, for a thread whose index is s · channels + c. */
const CHUNK_ROWS = `
  let c = index % uniforms.channels;
  let s = index / uniforms.channels;
  let first = s * uniforms.chunk;
  let last = min(first + uniforms.chunk, uniforms.rows);
  let n = f32(last - first);`;

/**
 * Forward, 1: per chunk and channel, two passes over the chunk: the mean of x − K and the sum of
 * squared deviations from it, K being the channel's first value (a shift that keeps the sums small
 * when the data sit far from zero: summing values near 1,000 in float32 loses the digits a spread
 * of a few units needs).
 */
export const CHUNK_MOMENTS = `${bindingsWgsl(['chunkStats'], ['x'], SHAPE_UNIFORMS)}
${MAIN_PREAMBLE}${CHUNK_ROWS}
  let k = x[c];
  var sum = 0.0;
  for (var r = first; r < last; r++) { sum += x[r * uniforms.channels + c] - k; }
  let mean = sum / n;
  var squares = 0.0;
  for (var r = first; r < last; r++) {
    let d = x[r * uniforms.channels + c] - k - mean;
    squares += d * d;
  }
  chunkStats[index] = mean;
  chunkStats[uniforms.chunks * uniforms.channels + index] = squares;
}`;

/**
 * Forward, 2: per channel, the chunks joined, again in two passes: the mean of x − K as the
 * chunks' means weighted by their rows, then the squared deviations as each chunk's own plus its
 * rows times its mean's squared distance from that mean. Outputs the batch's mean and biased
 * variance; with `moving`, also the moving averages' next values (MOVING_AVERAGES's arithmetic).
 * The chunks' means and squares share one buffer (means first): with the moving averages the
 * program binds eight storage buffers, WebGPU's guaranteed most.
 */
export function joinMoments(moving: boolean): string {
  const outputs = ['mean', 'variance', ...(moving ? ['nextMean', 'nextVariance'] : [])];
  const inputs = ['chunkStats', 'x', ...(moving ? ['movingMean', 'movingVariance'] : [])];
  return `${bindingsWgsl(outputs, inputs, moving ? MOVING_UNIFORMS : SHAPE_UNIFORMS)}
${JOIN_PREAMBLE}
  let squaresAt = uniforms.chunks * C;
  var sum = 0.0;
  for (var s = i32(lane); s < uniforms.chunks; s += ${WORKGROUP}) {
    sum += f32(min(uniforms.chunk, uniforms.rows - s * uniforms.chunk)) * chunkStats[s * C + c];
  }
  ${workgroupSum('sumShifted', 'vec2<f32>(sum, 0.0)')}
  let shifted = sumShifted.x / f32(uniforms.rows);
  var squares = 0.0;
  for (var s = i32(lane); s < uniforms.chunks; s += ${WORKGROUP}) {
    let d = chunkStats[s * C + c] - shifted;
    squares += chunkStats[squaresAt + s * C + c] + f32(min(uniforms.chunk, uniforms.rows - s * uniforms.chunk)) * d * d;
  }
  ${workgroupSum('sumSquares', 'vec2<f32>(squares, 0.0)', 'lanes2')}
  let total = sumSquares.x;
  if (lane == 0u) {
    let m = x[c] + shifted;
    let v = total / f32(uniforms.rows);
    mean[c] = m;
    variance[c] = v;${
      moving
        ? `
    nextMean[c] = movingMean[c] - (movingMean[c] - m) * uniforms.decay;
    nextVariance[c] = movingVariance[c] - (movingVariance[c] - v) * uniforms.decay;`
        : ''
    }
  }
}`;
}

/** Forward, 3: y = (x − mean) · scale / √(variance + ε) + offset, then max(y, 0) with `relu` (NaN stays). */
export function normalise(relu: boolean): string {
  return `${bindingsWgsl(['y'], ['x', 'mean', 'variance', 'scale', 'offset'], SHAPE_UNIFORMS)}
${MAIN_PREAMBLE}
  let c = index % uniforms.channels;
  let value = (x[index] - mean[c]) * (scale[c] / sqrt(variance[c] + uniforms.epsilon)) + offset[c];
  y[index] = ${relu ? 'select(value, 0.0, value < 0.0)' : 'value'};
}`;
}

/** dy at `at`, or 0 where the ReLU's output is not positive (with `relu`). */
function gradientAt(at: string, relu: boolean): string {
  return relu ? `select(0.0, dy[${at}], reluY[${at}] > 0.0)` : `dy[${at}]`;
}

/** Backward, 1: per chunk and channel, Σdy and Σdy · (x − mean) (dy masked by the ReLU with `relu`). */
export function chunkSums(relu: boolean): string {
  const inputs = ['dy', 'x', 'mean', ...(relu ? ['reluY'] : [])];
  return `${bindingsWgsl(['chunkDy', 'chunkDyCentred'], inputs, SHAPE_UNIFORMS)}
${MAIN_PREAMBLE}${CHUNK_ROWS}
  var sumDy = 0.0;
  var sumDyCentred = 0.0;
  let m = mean[c];
  for (var r = first; r < last; r++) {
    let at = r * uniforms.channels + c;
    let g = ${gradientAt('at', relu)};
    sumDy += g;
    sumDyCentred += g * (x[at] - m);
  }
  chunkDy[index] = sumDy;
  chunkDyCentred[index] = sumDyCentred;
}`;
}

/**
 * Backward, 2: per channel, dscale = r · Σdy(x − mean) and doffset = Σdy with r = 1/√(variance + ε),
 * and dx's coefficients: dx = a · dy + b · (x − mean) + k, a = r · scale, b = −a · r · dscale / n,
 * k = −a · doffset / n (coefficients holds a, b, k for each channel).
 */
export const JOIN_SUMS = `${bindingsWgsl(['dscale', 'doffset', 'coefficients'], ['chunkDy', 'chunkDyCentred', 'variance', 'scale'], SHAPE_UNIFORMS)}
${JOIN_PREAMBLE}
  var sums = vec2<f32>(0.0, 0.0);
  for (var s = i32(lane); s < uniforms.chunks; s += ${WORKGROUP}) {
    sums += vec2<f32>(chunkDy[s * C + c], chunkDyCentred[s * C + c]);
  }
  ${workgroupSum('total', 'sums')}
  if (lane != 0u) { return; }
  let sumDy = total.x;
  let sumDyCentred = total.y;
  let index = c;
  let r = 1.0 / sqrt(variance[index] + uniforms.epsilon);
  let n = f32(uniforms.rows);
  let a = r * scale[index];
  dscale[index] = r * sumDyCentred;
  doffset[index] = sumDy;
  coefficients[3 * index] = a;
  coefficients[3 * index + 1] = -a * r * (r * sumDyCentred) / n;
  coefficients[3 * index + 2] = -a * sumDy / n;
}`;

/** Backward, 3: dx (dy masked by the ReLU with `relu`). */
export function inputGradient(relu: boolean): string {
  const inputs = ['dy', 'x', 'mean', 'coefficients', ...(relu ? ['reluY'] : [])];
  return `${bindingsWgsl(['dx'], inputs, SHAPE_UNIFORMS)}
${MAIN_PREAMBLE}
  let c = index % uniforms.channels;
  dx[index] = coefficients[3 * c] * ${gradientAt('index', relu)} + coefficients[3 * c + 1] * (x[index] - mean[c]) + coefficients[3 * c + 2];
}`;
}

/** The moving averages, each value − (value − batch statistic) · decay, in tfjs's order of operations. */
export const MOVING_AVERAGES = `${bindingsWgsl(['nextMean', 'nextVariance'], ['movingMean', 'movingVariance', 'mean', 'variance'], 'decay : f32')}
${MAIN_PREAMBLE}
  nextMean[index] = movingMean[index] - (movingMean[index] - mean[index]) * uniforms.decay;
  nextVariance[index] = movingVariance[index] - (movingVariance[index] - variance[index]) * uniforms.decay;
}`;
