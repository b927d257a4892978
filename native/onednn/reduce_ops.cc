// Reductions (sum, mean, max, min, product over any axes) for tfjs's Sum, Mean, Max, Min, Prod
// and the softmax and loss reductions of a training step. Sums accumulate in double, like the cpu
// backend's JavaScript numbers; each output is accumulated in input order by one thread (or, for
// a long sum into few outputs, by parts of a fixed number of rows, added in order), so results
// repeat exactly, whatever the thread count.
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "tensor_ops.h"
#include "threads.h"
#include "vectorised.h"

namespace loupe {

namespace {

constexpr int64_t BLOCK = 1 << 14;
// Outputs one task of a contiguous reduction accumulates side by side (its accumulators stay in L1).
constexpr int64_t LANES = 256;

// Any set of axes: each output walks its inputs through div/mod index arithmetic.
void reduce_any(ReduceOp op, const float* x, float* out, int rank, const int64_t* shape, const bool* reduced) {
  int64_t strides[MAX_RANK];
  int64_t stride = 1;
  for (int d = rank - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= shape[d];
  }
  std::vector<int> kept_axes, reduced_axes;
  int64_t kept = 1, count = 1;
  for (int d = 0; d < rank; d++) {
    if (reduced[d]) {
      reduced_axes.push_back(d);
      count *= shape[d];
    } else {
      kept_axes.push_back(d);
      kept *= shape[d];
    }
  }
  const bool parallel = kept * count > BLOCK && kept > 1;
#pragma omp parallel for schedule(static) if (parallel) num_threads(threads_for(kept * count))
  for (int64_t o = 0; o < kept; o++) {
    int64_t base = 0, rest = o;
    for (int k = static_cast<int>(kept_axes.size()) - 1; k >= 0; k--) {
      const int d = kept_axes[k];
      base += (rest % shape[d]) * strides[d];
      rest /= shape[d];
    }
    // Double accumulators for sums, like the cpu backend's JavaScript numbers.
    double acc = op == ReduceOp::Prod ? 1.0 : 0.0;
    float extreme = op == ReduceOp::Max ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
    bool nan = false;
    for (int64_t r = 0; r < count; r++) {
      int64_t offset = base, left = r;
      for (int k = static_cast<int>(reduced_axes.size()) - 1; k >= 0; k--) {
        const int d = reduced_axes[k];
        offset += (left % shape[d]) * strides[d];
        left /= shape[d];
      }
      const float v = x[offset];
      switch (op) {
        case ReduceOp::Sum:
        case ReduceOp::Mean: acc += v; break;
        case ReduceOp::Prod: acc *= v; break;
        case ReduceOp::Max: nan |= v != v; extreme = std::max(extreme, v); break;
        case ReduceOp::Min: nan |= v != v; extreme = std::min(extreme, v); break;
      }
    }
    if (op == ReduceOp::Max || op == ReduceOp::Min) out[o] = nan ? std::numeric_limits<float>::quiet_NaN() : extreme;
    else out[o] = static_cast<float>(op == ReduceOp::Mean ? acc / static_cast<double>(count) : acc);
  }
}


// Reduction over the last axes (x is [outer, count]): one output a row, no lanes to keep.
LOUPE_VECTORISED void reduce_rows(ReduceOp op, const float* x, float* out, int64_t outer, int64_t count) {
#pragma omp parallel for schedule(static) if (outer * count > BLOCK && outer > 1) num_threads(threads_for(outer * count))
  for (int64_t o = 0; o < outer; o++) {
    const float* row = x + o * count;
    if (op == ReduceOp::Max || op == ReduceOp::Min) {
      float extreme = op == ReduceOp::Max ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
      bool nan = false;
      for (int64_t r = 0; r < count; r++) {
        nan |= row[r] != row[r];
        extreme = op == ReduceOp::Max ? std::max(extreme, row[r]) : std::min(extreme, row[r]);
      }
      out[o] = nan ? std::numeric_limits<float>::quiet_NaN() : extreme;
    } else {
      double acc = op == ReduceOp::Prod ? 1.0 : 0.0;
      if (op == ReduceOp::Prod) {
        for (int64_t r = 0; r < count; r++) acc *= row[r];
      } else {
        for (int64_t r = 0; r < count; r++) acc += row[r];
      }
      out[o] = static_cast<float>(op == ReduceOp::Mean ? acc / static_cast<double>(count) : acc);
    }
  }
}

// A sum over many rows into few outputs (a loss's mean over a whole batch: one output, where
// reduce_contiguous below has one task, so one thread read it all while the others slept; bias
// and batch-norm gradients take memory_ops.cc's sum_rows): the rows are cut into parts of
// ROWS_PER_PART, each part summed by one thread, and each output adds its parts' sums in part
// order. The parts do not depend on the thread count, so results still repeat exactly.
constexpr int64_t ROWS_PER_PART = 1024;

LOUPE_VECTORISED void sum_in_parts(ReduceOp op, const float* x, float* out, int64_t outer, int64_t count, int64_t inner) {
  const int64_t parts = (count + ROWS_PER_PART - 1) / ROWS_PER_PART;
  std::vector<double> partial(static_cast<size_t>(outer * parts * inner));
#pragma omp parallel for schedule(static) num_threads(threads_for(outer * count * inner))
  for (int64_t t = 0; t < outer * parts; t++) {
    const int64_t o = t / parts, first = (t % parts) * ROWS_PER_PART, rows = std::min(ROWS_PER_PART, count - first);
    const float* base = x + (o * count + first) * inner;
    // Accumulators on this thread's stack (memory_ops.cc's sum_rows says why), LANES at a time.
    for (int64_t lane = 0; lane < inner; lane += LANES) {
      const int64_t n = std::min(LANES, inner - lane);
      double acc[LANES] = {};
      for (int64_t r = 0; r < rows; r++) {
        const float* row = base + r * inner + lane;
        for (int64_t i = 0; i < n; i++) acc[i] += row[i];
      }
      std::copy(acc, acc + n, partial.data() + t * inner + lane);
    }
  }
  for (int64_t o = 0; o < outer; o++) {
    for (int64_t i = 0; i < inner; i++) {
      double sum = 0;
      for (int64_t part = 0; part < parts; part++) sum += partial[(o * parts + part) * inner + i];
      out[o * inner + i] = static_cast<float>(op == ReduceOp::Mean ? sum / static_cast<double>(count) : sum);
    }
  }
}

// Contiguous reduced axes (a global pooling over H and W, a bias gradient over the rows, a
// softmax over the last axis): x is [outer, count, inner] and each task accumulates up to LANES
// neighbouring outputs row by row, a loop the compiler vectorises (the index arithmetic of
// reduce_any cost several divisions per value).
LOUPE_VECTORISED void reduce_contiguous(ReduceOp op, const float* x, float* out, int64_t outer, int64_t count, int64_t inner) {
  const int64_t chunks = (inner + LANES - 1) / LANES;
  const int64_t tasks = outer * chunks;
  // Fewer tasks than threads to run them: cut the rows instead.
  if ((op == ReduceOp::Sum || op == ReduceOp::Mean) && count >= 2 * ROWS_PER_PART && tasks < threads_for(outer * count * inner))
    return sum_in_parts(op, x, out, outer, count, inner);
  if (inner == 1) return reduce_rows(op, x, out, outer, count);
#pragma omp parallel for schedule(static) if (outer * count * inner > BLOCK && tasks > 1) num_threads(threads_for(outer * count * inner))
  for (int64_t t = 0; t < tasks; t++) {
    const int64_t o = t / chunks, first = (t % chunks) * LANES, n = std::min(LANES, inner - first);
    const float* base = x + o * count * inner + first;
    float* dst = out + o * inner + first;
    if (op == ReduceOp::Max || op == ReduceOp::Min) {
      float extreme[LANES];
      int32_t nan[LANES];
      std::fill(extreme, extreme + n, op == ReduceOp::Max ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity());
      std::fill(nan, nan + n, 0);
      for (int64_t r = 0; r < count; r++) {
        const float* row = base + r * inner;
        if (op == ReduceOp::Max) {
          for (int64_t i = 0; i < n; i++) extreme[i] = std::max(extreme[i], row[i]);
        } else {
          for (int64_t i = 0; i < n; i++) extreme[i] = std::min(extreme[i], row[i]);
        }
        for (int64_t i = 0; i < n; i++) nan[i] |= row[i] != row[i];
      }
      for (int64_t i = 0; i < n; i++) dst[i] = nan[i] ? std::numeric_limits<float>::quiet_NaN() : extreme[i];
    } else {
      double acc[LANES];
      std::fill(acc, acc + n, op == ReduceOp::Prod ? 1.0 : 0.0);
      for (int64_t r = 0; r < count; r++) {
        const float* row = base + r * inner;
        if (op == ReduceOp::Prod) {
          for (int64_t i = 0; i < n; i++) acc[i] *= row[i];
        } else {
          for (int64_t i = 0; i < n; i++) acc[i] += row[i];
        }
      }
      for (int64_t i = 0; i < n; i++) dst[i] = static_cast<float>(op == ReduceOp::Mean ? acc[i] / static_cast<double>(count) : acc[i]);
    }
  }
}

}  // namespace

void reduce(ReduceOp op, const float* x, float* out, int rank, const int64_t* shape, const bool* reduced) {
  int first = -1, last = -1;
  bool contiguous = true;
  for (int d = 0; d < rank; d++) {
    if (!reduced[d]) continue;
    if (first < 0) first = d;
    else if (last != d - 1) contiguous = false;
    last = d;
  }
  if (first < 0 || !contiguous) return reduce_any(op, x, out, rank, shape, reduced);
  int64_t outer = 1, count = 1, inner = 1;
  for (int d = 0; d < first; d++) outer *= shape[d];
  for (int d = first; d <= last; d++) count *= shape[d];
  for (int d = last + 1; d < rank; d++) inner *= shape[d];
  reduce_contiguous(op, x, out, outer, count, inner);
}

}  // namespace loupe
