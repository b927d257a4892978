// The memory-bound kernels of a training step that oneDNN has no primitive for in tfjs's terms
// (or none that fits without extra passes): bias gradients (a sum over every axis but the last),
// max-pooling gradients without a forward workspace, and concatenation / splitting along an
// axis (every U-Net skip connection). On wasm they are single-threaded JavaScript or generic
// loops; here they are tight loops over the same wasm-heap bytes, split across OpenMP threads.
// Each thread's share is fixed by the thread count (static schedules), so results repeat exactly.
#include "memory_ops.h"
#include "threads.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

namespace loupe {

void sum_rows(const float* x, float* out, int64_t rows, int64_t cols, float scale) {
  const int threads = std::max(1, std::min<int>(omp_get_max_threads(), static_cast<int>(rows / 1024) + 1));
  // Double accumulators, like the cpu backend's JavaScript-number sums; one set per thread.
  std::vector<double> partial(static_cast<size_t>(threads) * cols, 0.0);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    const int64_t begin = rows * t / threads, end = rows * (t + 1) / threads;
    double* acc = partial.data() + static_cast<size_t>(t) * cols;
    for (int64_t r = begin; r < end; r++) {
      const float* row = x + r * cols;
      for (int64_t c = 0; c < cols; c++) acc[c] += row[c];
    }
  }
  for (int64_t c = 0; c < cols; c++) {
    double total = 0;
    for (int t = 0; t < threads; t++) total += partial[static_cast<size_t>(t) * cols + c];
    out[c] = static_cast<float>(total * scale);
  }
}

void max_pool_grad(const float* x, const float* dy, float* dx, const PoolShape& s) {
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
