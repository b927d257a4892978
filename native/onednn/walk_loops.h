// What the element-wise loops of tensor_ops.cc and zip_ops.cc share: the block size their
// threads split work by, reading and writing any element type as float, and walking a Walk row by
// row (axes merged first where every input is contiguous). Internal to the addon.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>

#include "tensor_ops.h"
#include "threads.h"

namespace loupe {

constexpr int64_t BLOCK = 1 << 14;

inline int64_t blocks_of(int64_t size) { return (size + BLOCK - 1) / BLOCK; }

template <typename T>
inline float read(const void* p, int64_t i) {
  return static_cast<float>(static_cast<const T*>(p)[i]);
}

inline float read_any(Element type, const void* p, int64_t i) {
  switch (type) {
    case Element::U8: return read<uint8_t>(p, i);
    case Element::I32: return read<int32_t>(p, i);
    default: return read<float>(p, i);
  }
}

inline void write(Element type, void* out, int64_t i, float value) {
  if (type == Element::U8) static_cast<uint8_t*>(out)[i] = value != 0.f ? 1 : 0;
  else if (type == Element::I32) static_cast<int32_t*>(out)[i] = static_cast<int32_t>(value);
  else static_cast<float*>(out)[i] = value;
}

// Runs body(row, offsets) for every row of `walk` (all axes but the last), offsets per input.
template <typename Body>
void for_rows(const Walk& w, int inputs, Body body) {
  const int64_t inner = w.rank ? w.shape[w.rank - 1] : 1;
  const int64_t rows = inner ? w.size() / inner : 0;
  const bool parallel = w.size() > BLOCK;
#pragma omp parallel for schedule(static) if (parallel) num_threads(threads_for(w.size()))
  for (int64_t row = 0; row < rows; row++) {
    int64_t offsets[3] = {0, 0, 0};
    int64_t rest = row;
    for (int d = w.rank - 2; d >= 0; d--) {
      const int64_t at = rest % w.shape[d];
      rest /= w.shape[d];
      for (int k = 0; k < inputs; k++) offsets[k] += at * w.strides[k][d];
    }
    body(row * inner, inner, offsets);
  }
}

inline int64_t sa_of(const Walk& w) { return w.strides[0][0]; }
inline int64_t sb_of(const Walk& w) { return w.strides[1][0]; }

// Merges axes that every input walks contiguously (and drops axes of size 1), so that same-shape
// and bias-like operands become one long row instead of many short ones. The output is dense, so
// only the inputs' strides decide.
inline Walk collapsed(const Walk& w, int inputs) {
  for (int d = 0; d < w.rank; d++)
    if (w.shape[d] == 0) return w;
  Walk c{};
  c.rank = 0;
  for (int d = w.rank - 1; d >= 0; d--) {
    if (w.shape[d] == 1) continue;
    bool merge = c.rank > 0;
    for (int k = 0; k < inputs && merge; k++)
      merge = w.strides[k][d] == c.strides[k][0] * c.shape[0];
    if (merge) {
      c.shape[0] *= w.shape[d];
      continue;
    }
    // Prepend axis d.
    for (int e = c.rank; e > 0; e--) {
      c.shape[e] = c.shape[e - 1];
      for (int k = 0; k < inputs; k++) c.strides[k][e] = c.strides[k][e - 1];
    }
    c.shape[0] = w.shape[d];
    for (int k = 0; k < inputs; k++) c.strides[k][0] = w.strides[k][d];
    c.rank++;
  }
  if (c.rank == 0) {
    c.rank = 1;
    c.shape[0] = 1;
    for (int k = 0; k < inputs; k++) c.strides[k][0] = 0;
  }
  return c;
}

}  // namespace loupe
