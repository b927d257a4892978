// Batch normalisation in training mode, forward and backward, over data whose channels are the
// last axis (NHWC seen as rows × channels), for ml/models/batch-norm.ts.
//
// Why: tfjs-layers trains batch norm as tf.moments (two means, a difference, a square) and a
// FusedBatchNorm, and differentiates each of them: about seven full-size passes forward and a
// dozen backward, half of a training step of Loupe's small CNN. Here the forward pass reads x
// twice (the per-channel sums, then y) and the backward pass reads dy and x twice (two sums, then
// dx), as PyTorch's CPU kernel does.
//
// With a ReLU after it (a batch norm whose only reader is a ReLU, in training), the forward pass
// writes max(y, 0) and the backward pass reads dy only where that output is positive, as the
// ReLU's own kernels would: one full-size pass less each way, and no pre-ReLU copy kept.
//
// Sums accumulate in double over fixed blocks of rows, added in block order, so results repeat
// exactly whatever the thread count. The variance is the biased one (divided by the row count),
// as tf.moments and PyTorch's batch statistics compute it.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "executor.h"
#include "napi_args.h"
#include "threads.h"
#include "vectorised.h"

namespace loupe {

namespace {

// Blocks of rows per pass, whatever the thread count (so the order of the sums never changes).
constexpr int64_t BLOCKS = 64;
// Channels a block accumulates side by side.
constexpr int64_t LANES = 128;

struct NormShape {
  int64_t rows, channels;
  int64_t block_rows() const { return (rows + BLOCKS - 1) / BLOCKS; }
  int64_t blocks() const { return (rows + block_rows() - 1) / block_rows(); }
};

// a[r][j] where mask[r][j] > 0, else 0 (no mask: a[r][j]). The ReLU's gradient, read from its output.
// dy where the ReLU's output y is positive, else 0: the ReLU's gradient, read from its output.
// Done on the values' bits (y > 0 is y's bits > 0 as an integer, for an output that is never below
// −0), so that it compiles to a compare and an and: written as a choice or as dy · (y > 0), GCC
// left control flow in the loop, which then did not vectorise (14 ms, then 2.4, where the plain
// pass took 1.1; 0.8 now in a stand-alone probe whose plain pass took 0.5).
template <bool Masked>
inline float masked(const float* __restrict a, const float* __restrict mask, int64_t i) {
  if constexpr (Masked) {
    int32_t value, keep;
    std::memcpy(&value, a + i, sizeof value);
    std::memcpy(&keep, mask + i, sizeof keep);
    const int32_t bits = value & -static_cast<int32_t>(keep > 0);
    float out;
    std::memcpy(&out, &bits, sizeof out);
    return out;
  }
  return a[i];
}

// Per block, per channel: sums[b][c] = Σ a and sums2[b][c] = Σ a·b' over the block's rows, where
// (first pass) a = x, b' = x, and (backward) a = dy (masked by the ReLU's output), b' = x − mean.
template <bool Masked>
LOUPE_VECTORISED void block_sums(const float* a, const float* mask, const float* b, const float* shift,
                                 const NormShape& s, std::vector<double>* sums, std::vector<double>* products) {
  const int64_t c = s.channels, per = s.block_rows(), blocks = s.blocks();
  sums->assign(blocks * c, 0.0);
  products->assign(blocks * c, 0.0);
#pragma omp parallel for schedule(static) num_threads(threads_for(s.rows * c))
  for (int64_t k = 0; k < blocks; k++) {
    const int64_t end = std::min(s.rows, (k + 1) * per);
    // Accumulators on this thread's stack, LANES channels at a time: blocks' sums side by side
    // in one array shared cache lines between threads (memory_ops.cc's sum_rows says what that cost).
    for (int64_t first = 0; first < c; first += LANES) {
      const int64_t n = std::min(LANES, c - first);
      double sum[LANES] = {}, product[LANES] = {};
      for (int64_t r = k * per; r < end; r++) {
        const float* __restrict ar = a + r * c + first;
        const float* __restrict mr = Masked ? mask + r * c + first : nullptr;
        const float* __restrict br = b + r * c + first;
        const float* __restrict sh = shift + first;
        for (int64_t j = 0; j < n; j++) {
          const float value = masked<Masked>(ar, mr, j);
          sum[j] += value;
          product[j] += static_cast<double>(value) * (br[j] - sh[j]);
        }
      }
      std::copy(sum, sum + n, sums->data() + k * c + first);
      std::copy(product, product + n, products->data() + k * c + first);
    }
  }
}

// Adds the blocks' sums in block order into one value per channel.
std::vector<double> total(const std::vector<double>& blocks, int64_t channels) {
  std::vector<double> out(channels, 0.0);
  for (size_t k = 0; k < blocks.size(); k += channels)
    for (int64_t j = 0; j < channels; j++) out[j] += blocks[k + j];
  return out;
}

// out[r][j] = a[r][j] · f[j] − (b[r][j] − shift[j]) · g[j] + h[j] over every row (a masked as above).
template <bool Masked>
LOUPE_VECTORISED void affine_rows(const float* a, const float* mask, const float* b, const float* shift, const float* f,
                                  const float* g, const float* h, float* out, const NormShape& s) {
  const int64_t c = s.channels;
#pragma omp parallel for schedule(static) num_threads(threads_for(s.rows * c))
  for (int64_t r = 0; r < s.rows; r++) {
    const float* __restrict ar = a + r * c;
    const float* __restrict mr = Masked ? mask + r * c : nullptr;
    const float* __restrict br = b + r * c;
    const float *__restrict fr = f, *__restrict gr = g, *__restrict hr = h, *__restrict sh = shift;
    float* __restrict o = out + r * c;
    for (int64_t j = 0; j < c; j++) o[j] = masked<Masked>(ar, mr, j) * fr[j] - (br[j] - sh[j]) * gr[j] + hr[j];
  }
}

// y[r][j] = (x[r][j] − shift[j]) · factor[j] + offset[j] over every row; with Relu, 0 where that is
// below 0 (NaN and −0 stay, as tfjs's ReLU leaves them).
template <bool Relu>
LOUPE_VECTORISED void normalise_rows(const float* x, const float* shift, const float* factor, const float* offset,
                                     float* y, const NormShape& s) {
  const int64_t c = s.channels;
#pragma omp parallel for schedule(static) num_threads(threads_for(s.rows * c))
  for (int64_t r = 0; r < s.rows; r++) {
    const float* __restrict xr = x + r * c;
    float* __restrict o = y + r * c;
    for (int64_t j = 0; j < c; j++) {
      const float value = (xr[j] - shift[j]) * factor[j] + offset[j];
      o[j] = Relu && value < 0.f ? 0.f : value;
    }
  }
}

// y = (x − mean) · scale / √(variance + ε) + offset (then the ReLU); stats = mean then variance.
void batch_norm_train(const float* x, const float* scale, const float* offset, float epsilon, bool relu, float* y,
                      float* stats, const NormShape& s) {
  const int64_t c = s.channels;
  const std::vector<float> zero(c, 0.f);
  std::vector<double> sums, squares;
  // Σx and Σx² in double: E[x²] − mean² loses nothing a float32 variance would keep.
  block_sums<false>(x, nullptr, x, zero.data(), s, &sums, &squares);
  const std::vector<double> sum = total(sums, c), square = total(squares, c);
  std::vector<float> factor(c), shift(c);
  for (int64_t j = 0; j < c; j++) {
    const double mean = sum[j] / s.rows;
    const double variance = std::max(0.0, square[j] / s.rows - mean * mean);
    stats[j] = static_cast<float>(mean);
    stats[c + j] = static_cast<float>(variance);
    shift[j] = stats[j];
    factor[j] = scale[j] / std::sqrt(stats[c + j] + epsilon);
  }
  if (relu)
    normalise_rows<true>(x, shift.data(), factor.data(), offset, y, s);
  else
    normalise_rows<false>(x, shift.data(), factor.data(), offset, y, s);
}

// dx = r·scale · (dy − Σdy/n − (x − mean) · r² · Σdy(x − mean)/n), r = 1/√(variance + ε);
// grads = dscale (r · Σdy(x − mean)) then doffset (Σdy). With the ReLU's output `relu_y` (else
// null), dy counts only where that output is positive.
void batch_norm_train_grad(const float* dy, const float* relu_y, const float* x, const float* stats, const float* scale,
                           float epsilon, float* dx, float* grads, const NormShape& s) {
  const int64_t c = s.channels;
  const float* mean = stats;
  std::vector<double> sums, products;
  if (relu_y)
    block_sums<true>(dy, relu_y, x, mean, s, &sums, &products);
  else
    block_sums<false>(dy, nullptr, x, mean, s, &sums, &products);
  const std::vector<double> sum_dy = total(sums, c), sum_dy_centred = total(products, c);
  std::vector<float> f(c), g(c), h(c);
  for (int64_t j = 0; j < c; j++) {
    const double r = 1.0 / std::sqrt(static_cast<double>(stats[c + j]) + epsilon);
    const double a = r * scale[j];
    f[j] = static_cast<float>(a);
    g[j] = static_cast<float>(a * r * r * sum_dy_centred[j] / s.rows);
    h[j] = static_cast<float>(-a * sum_dy[j] / s.rows);
    grads[j] = static_cast<float>(r * sum_dy_centred[j]);
    grads[c + j] = static_cast<float>(sum_dy[j]);
  }
  if (relu_y)
    affine_rows<true>(dy, relu_y, x, mean, f.data(), g.data(), h.data(), dx, s);
  else
    affine_rows<false>(dy, nullptr, x, mean, f.data(), g.data(), h.data(), dx, s);
}

bool shape_of(napi_env env, napi_value params, NormShape* s) {
  std::vector<int64_t> p;
  if (!int_params(env, params, &p, 2)) return false;
  if (p[0] < 1 || p[1] < 1) return throw_error(env, "batch norm needs at least one row and one channel");
  *s = NormShape{p[0], p[1]};
  return true;
}

float epsilon_of(napi_env env, napi_value value) {
  double result = 0;
  napi_get_value_double(env, value, &result);
  return static_cast<float>(result);
}

}  // namespace

// batchNormTrain(x, scale, offset, y, stats, params = [rows, channels], epsilon, relu = false)
napi_value BatchNormTrain(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  Buffer x, scale, offset, y, stats;
  NormShape s{};
  if (!args_at_least(env, info, argv, 7) || !float_array(env, argv[0], &x, "x") ||
      !float_array(env, argv[1], &scale, "scale") ||
      !float_array(env, argv[2], &offset, "offset") || !float_array(env, argv[3], &y, "y") ||
      !float_array(env, argv[4], &stats, "stats") || !shape_of(env, argv[5], &s))
    return nullptr;
  const int64_t size = s.rows * s.channels;
  if (!fits(env, x, size, "x") || !fits(env, y, size, "y") || !fits(env, scale, s.channels, "scale") ||
      !fits(env, offset, s.channels, "offset") || !fits(env, stats, 2 * s.channels, "stats"))
    return nullptr;
  const float epsilon = epsilon_of(env, argv[6]);
  bool relu = false;
  napi_get_value_bool(env, argv[7], &relu);
  run_native([&] { batch_norm_train(x.data, scale.data, offset.data, epsilon, relu, y.data, stats.data, s); });
  return nullptr;
}

// batchNormTrainGrad(dy, x, stats, scale, dx, grads, params = [rows, channels], epsilon, reluY = null)
// where reluY is the forward's output when it applied the ReLU, else null.
napi_value BatchNormTrainGrad(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  Buffer dy, x, stats, scale, dx, grads, relu_y{nullptr, 0};
  NormShape s{};
  if (!args_at_least(env, info, argv, 8) || !float_array(env, argv[0], &dy, "dy") ||
      !float_array(env, argv[1], &x, "x") ||
      !float_array(env, argv[2], &stats, "stats") || !float_array(env, argv[3], &scale, "scale") ||
      !float_array(env, argv[4], &dx, "dx") || !float_array(env, argv[5], &grads, "grads") || !shape_of(env, argv[6], &s))
    return nullptr;
  const int64_t size = s.rows * s.channels;
  if (!fits(env, dy, size, "dy") || !fits(env, x, size, "x") || !fits(env, dx, size, "dx") ||
      !fits(env, stats, 2 * s.channels, "stats") || !fits(env, scale, s.channels, "scale") ||
      !fits(env, grads, 2 * s.channels, "grads"))
    return nullptr;
  napi_valuetype relu_type = napi_null;
  napi_typeof(env, argv[8], &relu_type);
  if (relu_type != napi_null && relu_type != napi_undefined &&
      (!float_array(env, argv[8], &relu_y, "reluY") || !fits(env, relu_y, size, "reluY")))
    return nullptr;
  const float epsilon = epsilon_of(env, argv[7]);
  run_native([&] {
    batch_norm_train_grad(dy.data, relu_y.data, x.data, stats.data, scale.data, epsilon, dx.data, grads.data, s);
  });
  return nullptr;
}

}  // namespace loupe
