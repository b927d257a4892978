// Loupe's own memory-bound training kernels (memory_ops.cc), shared by the N-API bindings.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace loupe {

// out[c] = scale · Σ_r x[r · cols + c]: bias gradients and batch-norm moments (tfjs Sum/Mean over
// every axis but the trailing ones).
void sum_rows(const float* x, float* out, int64_t rows, int64_t cols, float scale);

struct PoolShape {
  int64_t batch, in_height, in_width, channels, out_height, out_width;
  int64_t window_height, window_width, stride_height, stride_width, pad_top, pad_left;
};

// The input rows (or columns) [begin, end) that output index `at` of a pooling window reads:
// the window clipped to the input where padding puts it partly outside.
struct WindowSpan {
  int64_t begin, end;
};
inline WindowSpan window_span(int64_t at, int64_t stride, int64_t pad, int64_t window, int64_t size) {
  const int64_t first = at * stride - pad;
  return {std::max<int64_t>(0, first), std::min(size, first + window)};
}

// dx of a max pooling (NHWC): each window's dy goes to its first maximum.
void max_pool_grad(const float* x, const float* dy, float* dx, const PoolShape& shape);

// Concatenation along one axis, seen as `outer` rows made of each part's `inner` values in turn.
void concat(const std::vector<const float*>& parts, const std::vector<int64_t>& inner, float* out, int64_t outer);

// The inverse of concat: `x`'s rows cut into the parts.
void split(const float* x, const std::vector<float*>& parts, const std::vector<int64_t>& inner, int64_t outer);

}  // namespace loupe
