// The memory-bound kernels of a training step that oneDNN has no primitive for in tfjs's terms
// (or none that fits without extra passes): bias gradients (a sum over every axis but the last),
// max-pooling gradients without a forward workspace, and concatenation / splitting along an
// axis (every U-Net skip connection). On wasm they are single-threaded JavaScript or generic
// loops; here they are tight loops over the same wasm-heap bytes, split across OpenMP threads.
// Each thread's share is fixed by the thread count (static schedules), so results repeat exactly.
#include "memory_ops.h"
#include "threads.h"
#include "vectorised.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

namespace loupe {

// Columns a thread sums side by side in accumulators of its own stack: the sums of all threads
// once lay side by side in one array, so that for a bias gradient of 16 channels every add wrote
// a cache line that the next thread's adds wrote too (on 16 threads the sum of a U-Net's
// 8x128x128x16 gradient took 0.8 ms, as long as on two).
constexpr int64_t SUM_LANES = 256;

LOUPE_VECTORISED void sum_rows(const float* x, float* out, int64_t rows, int64_t cols, float scale) {
  const int threads = std::max(1, std::min<int>(omp_get_max_threads(), static_cast<int>(rows / 1024) + 1));
  // Double accumulators, like the cpu backend's JavaScript-number sums; one set per thread.
  std::vector<double> partial(static_cast<size_t>(threads) * cols, 0.0);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    const int64_t begin = rows * t / threads, end = rows * (t + 1) / threads;
    for (int64_t first = 0; first < cols; first += SUM_LANES) {
      const int64_t n = std::min(SUM_LANES, cols - first);
      double acc[SUM_LANES] = {};
      for (int64_t r = begin; r < end; r++) {
        const float* row = x + r * cols + first;
        for (int64_t c = 0; c < n; c++) acc[c] += row[c];
      }
      std::copy(acc, acc + n, partial.data() + static_cast<size_t>(t) * cols + first);
    }
  }
  for (int64_t c = 0; c < cols; c++) {
    double total = 0;
    for (int t = 0; t < threads; t++) total += partial[static_cast<size_t>(t) * cols + c];
    out[c] = static_cast<float>(total * scale);
  }
}

namespace {

// The 2x2 window at stride 2 that tiles the input exactly (every pooling layer of Loupe's small
// CNN and U-Net on even sizes): each input value belongs to one window, so dx is written once,
// value by value (dy where the value is its window's first maximum, else 0), with no zeroing
// pass and no scatter. Ties and NaN as in the loop below: strict >, from −∞, row-major order.
LOUPE_VECTORISED void max_pool_grad_2x2(const float* x, const float* dy, float* dx, const PoolShape& s) {
  const int64_t c = s.channels, in_row = s.in_width * c, out_row = s.out_width * c, rows = s.batch * s.out_height;
  constexpr float lowest = -std::numeric_limits<float>::infinity();
#pragma omp parallel num_threads(threads_for(s.batch * s.in_height * in_row))
  {
    // Per output row, which of its window's four values each output came from (−1: none). Found
    // first, then each of the two input rows written in one stream: loads and stores in one loop
    // 4 KiB apart (a 64-wide row of 16 channels) stalled on the CPU's store forwarding.
    std::vector<int32_t> which(out_row);
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; r++) {
      const int64_t n = r / s.out_height, oh = r % s.out_height;
      const float* __restrict top = x + (n * s.in_height + oh * 2) * in_row;
      const float* __restrict bottom = top + in_row;
      int32_t* __restrict w = which.data();
      for (int64_t ow = 0; ow < s.out_width; ow++) {
        const float* a = top + ow * 2 * c;
        const float* d = bottom + ow * 2 * c;
        for (int64_t k = 0; k < c; k++) {
          const float va = a[k], vb = a[c + k], vd = d[k], ve = d[c + k];
          // Masks and std::max, as below, so that the compiler vectorises it (selects ran as branches).
          float m = lowest;
          int32_t at = -1, above;
          above = -static_cast<int32_t>(va > m);
          m = std::max(m, va);
          at = (0 & above) | (at & ~above);
          above = -static_cast<int32_t>(vb > m);
          m = std::max(m, vb);
          at = (1 & above) | (at & ~above);
          above = -static_cast<int32_t>(vd > m);
          m = std::max(m, vd);
          at = (2 & above) | (at & ~above);
          above = -static_cast<int32_t>(ve > m);
          at = (3 & above) | (at & ~above);
          w[ow * c + k] = at;
        }
      }
      const float* __restrict g = dy + r * out_row;
      for (int32_t half = 0; half < 2; half++) {
        float* __restrict out = dx + (n * s.in_height + oh * 2 + half) * in_row;
        for (int64_t ow = 0; ow < s.out_width; ow++) {
          for (int64_t k = 0; k < c; k++) {
            const int32_t at = w[ow * c + k];
            const float grad = g[ow * c + k];
            out[ow * 2 * c + k] = at == half * 2 ? grad : 0.f;
            out[ow * 2 * c + c + k] = at == half * 2 + 1 ? grad : 0.f;
          }
        }
      }
    }
  }
}

}  // namespace

void max_pool_grad(const float* x, const float* dy, float* dx, const PoolShape& s) {
  if (s.window_height == 2 && s.window_width == 2 && s.stride_height == 2 && s.stride_width == 2 && s.pad_top == 0 &&
      s.pad_left == 0 && s.in_height == s.out_height * 2 && s.in_width == s.out_width * 2)
    return max_pool_grad_2x2(x, dy, dx, s);
  const int64_t image = s.in_height * s.in_width * s.channels;
  // Images are independent: each thread owns whole images of dx (zeroing them too), so the
  // scatter never races.
#pragma omp parallel num_threads(threads_for(s.batch * image))
  {
    // The running maximum and its window position per channel, kept apart from the scatter so
    // that the search is a branch-free loop the compiler vectorises (a branch on each value ran
    // 10x slower than the forward pooling).
    std::vector<float> best(s.channels);
    std::vector<int32_t> best_at(s.channels);
    std::vector<int64_t> window_base(s.window_height * s.window_width);
#pragma omp for schedule(static)
    for (int64_t n = 0; n < s.batch; n++) {
      std::fill(dx + n * image, dx + (n + 1) * image, 0.f);
      for (int64_t oh = 0; oh < s.out_height; oh++) {
        const auto rows = window_span(oh, s.stride_height, s.pad_top, s.window_height, s.in_height);
        for (int64_t ow = 0; ow < s.out_width; ow++) {
          const auto cols = window_span(ow, s.stride_width, s.pad_left, s.window_width, s.in_width);
          float* __restrict top_value = best.data();
          int32_t* __restrict top_at = best_at.data();
          std::fill(top_value, top_value + s.channels, -std::numeric_limits<float>::infinity());
          std::fill(top_at, top_at + s.channels, -1);
          // Ties go to the first maximum in row-major window order, as in tfjs's cpu backend.
          int32_t k = 0;
          for (int64_t h = rows.begin; h < rows.end; h++) {
            for (int64_t w = cols.begin; w < cols.end; w++, k++) {
              const int64_t base = ((n * s.in_height + h) * s.in_width + w) * s.channels;
              window_base[k] = base;
              const float* __restrict in = x + base;
#pragma omp simd
              for (int64_t c = 0; c < s.channels; c++) {
                // Written as a max and a mask so that plain SSE2 vectorises it too (a select
                // becomes a masked store, which needs AVX).
                const float value = in[c], so_far = top_value[c];
                const int32_t above = -static_cast<int32_t>(value > so_far);
                top_value[c] = std::max(so_far, value);
                top_at[c] = (k & above) | (top_at[c] & ~above);
              }
            }
          }
          const float* grad = dy + ((n * s.out_height + oh) * s.out_width + ow) * s.channels;
          for (int64_t c = 0; c < s.channels; c++) {
            if (top_at[c] >= 0) dx[window_base[top_at[c]] + c] += grad[c];
          }
        }
      }
    }
  }
}

void concat(const std::vector<const float*>& parts, const std::vector<int64_t>& inner, float* out, int64_t outer) {
  int64_t row = 0;
  for (int64_t size : inner) row += size;
#pragma omp parallel for schedule(static) num_threads(threads_for(outer * row))
  for (int64_t o = 0; o < outer; o++) {
    float* dst = out + o * row;
    for (size_t i = 0; i < parts.size(); i++) {
      std::memcpy(dst, parts[i] + o * inner[i], static_cast<size_t>(inner[i]) * sizeof(float));
      dst += inner[i];
    }
  }
}

void split(const float* x, const std::vector<float*>& parts, const std::vector<int64_t>& inner, int64_t outer) {
  int64_t row = 0;
  for (int64_t size : inner) row += size;
#pragma omp parallel for schedule(static) num_threads(threads_for(outer * row))
  for (int64_t o = 0; o < outer; o++) {
    const float* src = x + o * row;
    for (size_t i = 0; i < parts.size(); i++) {
      std::memcpy(parts[i] + o * inner[i], src, static_cast<size_t>(inner[i]) * sizeof(float));
      src += inner[i];
    }
  }
}

}  // namespace loupe
