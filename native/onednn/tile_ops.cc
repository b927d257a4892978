// Tile: the output's rows are copies of input rows, so each row is found once and filled with
// memcpy, instead of locating every element through every axis (two divisions an axis an element).
// The eight tiles of a small CNN's training step (64² grey, batch 32: batch norms' mean gradients)
// took 71 ms; now 3 (the means' gradient of ml/backends/lean-gradients.ts broadcasts with a tile).
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "tensor_ops.h"
#include "threads.h"

namespace loupe {

namespace {

// Below this many values a tile runs on the calling thread alone.
constexpr int64_t PARALLEL_FROM = 1 << 14;

// Tile's axes with neighbours merged where the pair reads like one axis: both repeated whole from
// one input element (modulus 1), or both copied straight (modulus = shape, contiguous input).
// A batch-norm gradient's [1, 1, 1, C] → [N, H, W, C] becomes [N·H·W, C]: one row per pixel.
struct TileAxes {
  int rank = 0;
  int64_t shape[MAX_RANK], modulus[MAX_RANK], stride[MAX_RANK];
};

TileAxes merged_axes(const Walk& w, const int64_t* modulus) {
  TileAxes t;
  for (int d = 0; d < w.rank; d++) {
    const int64_t n = w.shape[d], m = modulus[d], s = w.strides[0][d];
    if (t.rank > 0) {
      const int p = t.rank - 1;
      const bool repeated = t.modulus[p] == 1 && m == 1;
      const bool copied = t.modulus[p] == t.shape[p] && m == n && t.stride[p] == s * n;
      if (repeated || copied) {
        t.shape[p] *= n;
        t.modulus[p] = repeated ? 1 : t.shape[p];
        t.stride[p] = s;
        continue;
      }
    }
    t.shape[t.rank] = n;
    t.modulus[t.rank] = m;
    t.stride[t.rank] = s;
    t.rank++;
  }
  return t;
}

template <typename T>
void tile_rows(const T* x, T* out, const TileAxes& t) {
  const int last = t.rank - 1;
  const int64_t inner = t.shape[last], period = t.modulus[last];
  int64_t count = 1;
  for (int d = 0; d < last; d++) count *= t.shape[d];
  if (inner == 0) return;
#pragma omp parallel for schedule(static) if (count * inner > PARALLEL_FROM) num_threads(threads_for(count * inner))
  for (int64_t row = 0; row < count; row++) {
    int64_t offset = 0, rest = row;
    for (int d = last - 1; d >= 0; d--) {
      offset += ((rest % t.shape[d]) % t.modulus[d]) * t.stride[d];
      rest /= t.shape[d];
    }
    // The input row's `period` values (its last axis is contiguous: Tile checks the stride), then
    // that span doubled until the row is full.
    T* o = out + row * inner;
    const int64_t first = std::min(period, inner);
    std::memcpy(o, x + offset, first * sizeof(T));
    for (int64_t done = first; done < inner;) {
      const int64_t n = std::min(done, inner - done);
      std::memcpy(o + done, o, n * sizeof(T));
      done += n;
    }
  }
}

}  // namespace

void tile(const void* x, void* out, int element_size, const Walk& w, const int64_t* modulus) {
  if (w.rank == 0) {
    std::memcpy(out, x, element_size);
    return;
  }
  const TileAxes t = merged_axes(w, modulus);
  if (element_size == 4) tile_rows(static_cast<const float*>(x), static_cast<float*>(out), t);
  else tile_rows(static_cast<const uint8_t*>(x), static_cast<uint8_t*>(out), t);
}

}  // namespace loupe
