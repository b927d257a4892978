// The memory-bound kernels of a training step that oneDNN has no primitive for in tfjs's terms
// (or none that fits without extra passes): bias gradients (a sum over every axis but the last),
// max-pooling gradients without a forward workspace, and concatenation / splitting along an
// axis (every U-Net skip connection). On wasm they are single-threaded JavaScript or generic
// loops; here they are tight loops over the same wasm-heap bytes, split across OpenMP threads.
// Each thread's share is fixed by the thread count (static schedules), so results repeat exactly.
#include "memory_ops.h"

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
  std::fill(dx, dx + s.batch * s.in_height * s.in_width * s.channels, 0.f);
  // Images are independent: each thread owns whole images of dx, so the scatter never races.
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < s.batch; n++) {
    std::vector<float> best(s.channels);
    std::vector<int64_t> best_at(s.channels);
    for (int64_t oh = 0; oh < s.out_height; oh++) {
      const int64_t top = oh * s.stride_height - s.pad_top;
      const int64_t row_begin = std::max<int64_t>(0, top), row_end = std::min(s.in_height, top + s.window_height);
      for (int64_t ow = 0; ow < s.out_width; ow++) {
        const int64_t left = ow * s.stride_width - s.pad_left;
        const int64_t col_begin = std::max<int64_t>(0, left), col_end = std::min(s.in_width, left + s.window_width);
        std::fill(best.begin(), best.end(), -std::numeric_limits<float>::infinity());
        std::fill(best_at.begin(), best_at.end(), -1);
        // Ties go to the first maximum in row-major window order, as in tfjs's cpu backend.
        for (int64_t h = row_begin; h < row_end; h++) {
          for (int64_t w = col_begin; w < col_end; w++) {
            const int64_t base = ((n * s.in_height + h) * s.in_width + w) * s.channels;
            for (int64_t c = 0; c < s.channels; c++) {
              if (x[base + c] > best[c]) {
                best[c] = x[base + c];
                best_at[c] = base + c;
              }
            }
          }
        }
        const int64_t g = ((n * s.out_height + oh) * s.out_width + ow) * s.channels;
        for (int64_t c = 0; c < s.channels; c++) {
          if (best_at[c] >= 0) dx[best_at[c]] += dy[g + c];
        }
      }
    }
  }
}

void concat(const std::vector<const float*>& parts, const std::vector<int64_t>& inner, float* out, int64_t outer) {
  int64_t row = 0;
  for (int64_t size : inner) row += size;
#pragma omp parallel for schedule(static)
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
#pragma omp parallel for schedule(static)
  for (int64_t o = 0; o < outer; o++) {
    const float* src = x + o * row;
    for (size_t i = 0; i < parts.size(); i++) {
      std::memcpy(parts[i] + o * inner[i], src, static_cast<size_t>(inner[i]) * sizeof(float));
      src += inner[i];
    }
  }
}

}  // namespace loupe
