// Loops of tensor_ops.h for layers and the optimiser: max pooling, nearest-neighbour resizing
// and its gradient, one-hot targets and Adam's fused update. Static OpenMP schedules, so results
// repeat exactly.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "memory_ops.h"
#include "tensor_ops.h"
#include "threads.h"
#include "vectorised.h"

namespace loupe {

namespace {

constexpr int64_t BLOCK = 1 << 14;

inline void write(Element type, void* out, int64_t i, float value) {
  if (type == Element::I32) static_cast<int32_t*>(out)[i] = static_cast<int32_t>(value);
  else static_cast<float*>(out)[i] = value;
}

}  // namespace

namespace {

// NaN wins its window (as in PyTorch). A select of two loaded values with no short-circuit, so that
// the compiler vectorises it (`a || b ? in : out` ran as a branch per value).
inline float max_or_nan(float so_far, float value) { return ((value > so_far) | (value != value)) ? value : so_far; }

bool is_plain_2x2(const PoolShape& s) {
  return s.window_height == 2 && s.window_width == 2 && s.stride_height == 2 && s.stride_width == 2 && s.pad_top == 0 &&
         s.pad_left == 0 && s.out_height * 2 <= s.in_height && s.out_width * 2 <= s.in_width;
}

// The 2x2 window at stride 2 without padding, which every pooling layer of the small CNN and the
// U-Net uses: an output row reads two input rows once, with no window bounds to work out.
LOUPE_VECTORISED void max_pool_2x2(const float* __restrict x, float* __restrict y, const PoolShape& s) {
  const int64_t c = s.channels, in_row = s.in_width * c, rows = s.batch * s.out_height;
#pragma omp parallel for schedule(static) num_threads(threads_for(s.batch * s.in_height * in_row))
  for (int64_t r = 0; r < rows; r++) {
    const int64_t n = r / s.out_height, oh = r % s.out_height;
    const float* top = x + (n * s.in_height + oh * 2) * in_row;
    const float* bottom = top + in_row;
    float* out = y + r * s.out_width * c;
    for (int64_t ow = 0; ow < s.out_width; ow++) {
      const float* a = top + ow * 2 * c;
      const float* b = bottom + ow * 2 * c;
      float* o = out + ow * c;
      for (int64_t k = 0; k < c; k++) o[k] = max_or_nan(max_or_nan(max_or_nan(a[k], a[c + k]), b[k]), b[c + k]);
    }
  }
}

LOUPE_VECTORISED void max_pool_any(const float* x, float* y, const PoolShape& s) {
#pragma omp parallel for schedule(static) num_threads(threads_for(s.batch * s.in_height * s.in_width * s.channels))
  for (int64_t n = 0; n < s.batch; n++) {
    for (int64_t oh = 0; oh < s.out_height; oh++) {
      const auto rows = window_span(oh, s.stride_height, s.pad_top, s.window_height, s.in_height);
      for (int64_t ow = 0; ow < s.out_width; ow++) {
        const auto cols = window_span(ow, s.stride_width, s.pad_left, s.window_width, s.in_width);
        float* __restrict out = y + ((n * s.out_height + oh) * s.out_width + ow) * s.channels;
        std::fill(out, out + s.channels, -std::numeric_limits<float>::infinity());
        for (int64_t h = rows.begin; h < rows.end; h++) {
          for (int64_t w = cols.begin; w < cols.end; w++) {
            const float* __restrict in = x + ((n * s.in_height + h) * s.in_width + w) * s.channels;
            for (int64_t c = 0; c < s.channels; c++) out[c] = max_or_nan(out[c], in[c]);
          }
        }
      }
    }
  }
}

}  // namespace

void max_pool(const float* x, float* y, const PoolShape& s) {
  if (is_plain_2x2(s)) max_pool_2x2(x, y, s);
  else max_pool_any(x, y, s);
}

namespace {

// The source row (or column) a nearest resize reads for output index `i`, as tfjs's cpu backend.
int64_t nearest_source(int64_t i, int64_t in_size, int64_t out_size, bool align, bool half) {
  const double in_eff = (align && out_size > 1) ? in_size - 1 : in_size;
  const double out_eff = (align && out_size > 1) ? out_size - 1 : out_size;
  const double ratio = in_eff / out_eff;
  const double frac = half ? ratio * (i + 0.5) : ratio * i;
  int64_t src = std::min<int64_t>(in_size - 1, align ? static_cast<int64_t>(std::round(frac)) : static_cast<int64_t>(std::floor(frac)));
  if (half) src = std::max<int64_t>(0, src);
  return src;
}

}  // namespace

void resize_nearest(const float* x, float* y, const ResizeShape& s) {
  std::vector<int64_t> cols(s.out_width);
  for (int64_t c = 0; c < s.out_width; c++) cols[c] = nearest_source(c, s.in_width, s.out_width, s.align_corners, s.half_pixel_centers);
  const int64_t rows = s.batch * s.out_height;
#pragma omp parallel for schedule(static) if (rows * s.out_width * s.channels > BLOCK) num_threads(threads_for(rows * s.out_width * s.channels))
  for (int64_t row = 0; row < rows; row++) {
    const int64_t n = row / s.out_height, r = row % s.out_height;
    const int64_t src_row = nearest_source(r, s.in_height, s.out_height, s.align_corners, s.half_pixel_centers);
    for (int64_t c = 0; c < s.out_width; c++) {
      const float* in = x + ((n * s.in_height + src_row) * s.in_width + cols[c]) * s.channels;
      std::memcpy(y + (row * s.out_width + c) * s.channels, in, sizeof(float) * s.channels);
    }
  }
}

void resize_nearest_grad(const float* dy, float* dx, const ResizeShape& s) {
  std::fill(dx, dx + s.batch * s.in_height * s.in_width * s.channels, 0.f);
  std::vector<int64_t> cols(s.out_width);
  for (int64_t c = 0; c < s.out_width; c++) cols[c] = nearest_source(c, s.in_width, s.out_width, s.align_corners, s.half_pixel_centers);
  // Each image's dx belongs to one thread, so the scatter never races.
#pragma omp parallel for schedule(static) if (s.batch > 1 && s.out_height * s.out_width * s.channels > BLOCK) num_threads(threads_for(s.batch * s.out_height * s.out_width * s.channels))
  for (int64_t n = 0; n < s.batch; n++) {
    for (int64_t r = 0; r < s.out_height; r++) {
      const int64_t src_row = nearest_source(r, s.in_height, s.out_height, s.align_corners, s.half_pixel_centers);
      for (int64_t c = 0; c < s.out_width; c++) {
        float* to = dx + ((n * s.in_height + src_row) * s.in_width + cols[c]) * s.channels;
        const float* from = dy + ((n * s.out_height + r) * s.out_width + c) * s.channels;
        for (int64_t k = 0; k < s.channels; k++) to[k] += from[k];
      }
    }
  }
}

void one_hot(const int32_t* indices, Element out_type, void* out, int64_t count, int64_t depth, float on, float off) {
  for (int64_t i = 0; i < count; i++)
    for (int64_t k = 0; k < depth; k++) write(out_type, out, i * depth + k, indices[i] == k ? on : off);
}

void adam(float* p, const float* g, float* m, float* v, int64_t size, const AdamStep& s) {
  const int64_t blocks = (size + BLOCK - 1) / BLOCK;
#pragma omp parallel for schedule(static) if (blocks > 1) num_threads(threads_for(4 * size))
  for (int64_t block = 0; block < blocks; block++) {
    const int64_t end = std::min(size, (block + 1) * BLOCK);
    for (int64_t i = block * BLOCK; i < end; i++) {
      const float grad = s.l2 ? g[i] + p[i] * s.l2_decay : g[i];
      const float value = s.decoupled ? p[i] * s.decay_factor : p[i];
      const float next_m = m[i] * s.beta1 + grad * s.one_minus_beta1;
      const float next_v = v[i] * s.beta2 + (grad * grad) * s.one_minus_beta2;
      m[i] = next_m;
      v[i] = next_v;
      const float denominator = std::sqrt(next_v) / s.bias2_sqrt + s.epsilon;
      p[i] = value - (next_m / denominator) * s.step_size;
    }
  }
}

}  // namespace loupe
