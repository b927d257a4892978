// Loops of tensor_ops.h. Work splits across OpenMP threads by fixed blocks (static schedules),
// so results repeat exactly; a tensor of one block runs on one thread.
#include "tensor_ops.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "memory_ops.h"
#include "threads.h"

namespace loupe {

namespace {

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

// tfjs's softplus (cpu and wasm): exp(x) far below zero, x far above, else log(1 + exp(x)).
inline float softplus(float x) {
  const float threshold = std::log(1.1920928955078125e-7f) + 2.0f;
  if (x > -threshold) return x;
  const float e = std::exp(x);
  if (x < threshold) return e;
  return std::log(1.f + e);
}

inline float apply(MapOp op, float x, float alpha, float beta) {
  switch (op) {
    case MapOp::Neg: return -x;
    case MapOp::Square: return x * x;
    case MapOp::Sqrt: return std::sqrt(x);
    case MapOp::Rsqrt: return 1.f / std::sqrt(x);
    case MapOp::Exp: return std::exp(x);
    case MapOp::Log: return std::log(x);
    case MapOp::Sigmoid: return 1.f / (1.f + std::exp(-x));
    case MapOp::Softplus: return softplus(x);
    case MapOp::Abs: return std::fabs(x);
    case MapOp::Clip: return x != x ? x : std::min(std::max(x, alpha), beta);
    case MapOp::Fill: return alpha;
    case MapOp::Relu: return x > 0.f ? x : (x != x ? x : 0.f);
    case MapOp::Step: return x > 0.f ? 1.f : (x != x ? x : alpha);
    case MapOp::Relu6: return x != x ? x : std::min(std::max(x, 0.f), 6.f);
    case MapOp::Reciprocal: return 1.f / x;
    case MapOp::Copy: return x;
  }
  return x;
}

inline float combine(ZipOp op, float a, float b) {
  switch (op) {
    case ZipOp::Add: return a + b;
    case ZipOp::Sub: return a - b;
    case ZipOp::Mul: return a * b;
    case ZipOp::Div: return a / b;
    // NaN wins, as in tfjs's Maximum and Minimum.
    case ZipOp::Max: return (a != a || b != b) ? std::numeric_limits<float>::quiet_NaN() : std::max(a, b);
    case ZipOp::Min: return (a != a || b != b) ? std::numeric_limits<float>::quiet_NaN() : std::min(a, b);
    case ZipOp::Pow: return std::pow(a, b);
    case ZipOp::SquaredDifference: return (a - b) * (a - b);
    case ZipOp::Less: return a < b;
    case ZipOp::LessEqual: return a <= b;
    case ZipOp::Greater: return a > b;
    case ZipOp::GreaterEqual: return a >= b;
    case ZipOp::Equal: return a == b;
    case ZipOp::NotEqual: return a != b;
    case ZipOp::LogicalAnd: return (a != 0.f) && (b != 0.f);
    case ZipOp::LogicalOr: return (a != 0.f) || (b != 0.f);
    case ZipOp::ReluGrad: {
      // Two plain selects, which vectorise (the nested one ran as a branch per value).
      const float step = b > 0.f ? 1.f : 0.f;
      return a * (b != b ? b : step);
    }
    case ZipOp::Relu6Grad: {
      // tfjs's mask, (x ≤ 6) · step(x), term for term: NaN stays NaN.
      const float step = b > 0.f ? 1.f : 0.f;
      return a * ((b <= 6.f ? 1.f : 0.f) * (b != b ? b : step));
    }
  }
  return 0.f;
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

// The float loops below are instantiated per op, so that the op's switch folds away and the
// compiler vectorises the loop (a switch inside the loop ran element-wise ops 5-15x slower than
// the wasm backend's SIMD kernels).
template <MapOp OP>
void map_floats(const float* x, float* out, int64_t begin, int64_t end, float alpha, float beta) {
  for (int64_t i = begin; i < end; i++) out[i] = apply(OP, x[i], alpha, beta);
}

using MapFloats = void (*)(const float*, float*, int64_t, int64_t, float, float);

MapFloats map_floats_for(MapOp op) {
  switch (op) {
#define LOUPE_MAP(name) \
  case MapOp::name: return map_floats<MapOp::name>;
    LOUPE_MAP(Neg) LOUPE_MAP(Square) LOUPE_MAP(Sqrt) LOUPE_MAP(Rsqrt) LOUPE_MAP(Exp) LOUPE_MAP(Log)
    LOUPE_MAP(Sigmoid) LOUPE_MAP(Softplus) LOUPE_MAP(Abs) LOUPE_MAP(Clip) LOUPE_MAP(Fill) LOUPE_MAP(Relu)
    LOUPE_MAP(Step) LOUPE_MAP(Relu6) LOUPE_MAP(Reciprocal) LOUPE_MAP(Copy)
#undef LOUPE_MAP
  }
  return map_floats<MapOp::Copy>;
}

// One row of a float zip: the same-stride cases (both contiguous, one broadcast) as plain loops.
template <ZipOp OP>
void zip_floats(const float* a, const float* b, float* out, int64_t n, int64_t sa, int64_t sb) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; i++) out[i] = combine(OP, a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const float bv = b[0];
    for (int64_t i = 0; i < n; i++) out[i] = combine(OP, a[i], bv);
  } else if (sa == 0 && sb == 1) {
    const float av = a[0];
    for (int64_t i = 0; i < n; i++) out[i] = combine(OP, av, b[i]);
  } else {
    for (int64_t i = 0; i < n; i++) out[i] = combine(OP, a[i * sa], b[i * sb]);
  }
}

using ZipFloats = void (*)(const float*, const float*, float*, int64_t, int64_t, int64_t);

ZipFloats zip_floats_for(ZipOp op) {
  switch (op) {
#define LOUPE_ZIP(name) \
  case ZipOp::name: return zip_floats<ZipOp::name>;
    LOUPE_ZIP(Add) LOUPE_ZIP(Sub) LOUPE_ZIP(Mul) LOUPE_ZIP(Div) LOUPE_ZIP(Max) LOUPE_ZIP(Min) LOUPE_ZIP(Pow)
    LOUPE_ZIP(SquaredDifference) LOUPE_ZIP(Less) LOUPE_ZIP(LessEqual) LOUPE_ZIP(Greater) LOUPE_ZIP(GreaterEqual)
    LOUPE_ZIP(Equal) LOUPE_ZIP(NotEqual) LOUPE_ZIP(LogicalAnd) LOUPE_ZIP(LogicalOr) LOUPE_ZIP(ReluGrad)
    LOUPE_ZIP(Relu6Grad)
#undef LOUPE_ZIP
  }
  return zip_floats<ZipOp::Add>;
}

inline int64_t sa_of(const Walk& w) { return w.strides[0][0]; }
inline int64_t sb_of(const Walk& w) { return w.strides[1][0]; }

// Merges axes that every input walks contiguously (and drops axes of size 1), so that same-shape
// and bias-like operands become one long row instead of many short ones. The output is dense, so
// only the inputs' strides decide.
Walk collapsed(const Walk& w, int inputs) {
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

}  // namespace

void map(MapOp op, Element x_type, const void* x, Element out_type, void* out, int64_t size, float alpha, float beta) {
  const int64_t blocks = blocks_of(size);
  const MapFloats floats = map_floats_for(op);
#pragma omp parallel for schedule(static) if (blocks > 1) num_threads(threads_for(size))
  for (int64_t block = 0; block < blocks; block++) {
    const int64_t begin = block * BLOCK, end = std::min(size, begin + BLOCK);
    if (x_type == Element::F32 && out_type == Element::F32) {
      floats(static_cast<const float*>(x), static_cast<float*>(out), begin, end, alpha, beta);
    } else {
      for (int64_t i = begin; i < end; i++) write(out_type, out, i, apply(op, read_any(x_type, x, i), alpha, beta));
    }
  }
}

void zip(ZipOp op, Element in_type, const void* a, const void* b, Element out_type, void* out, const Walk& walk) {
  const Walk w = collapsed(walk, 2);
  const int last = w.rank - 1;
  const bool floats = in_type == Element::F32 && out_type == Element::F32;
  const ZipFloats row = zip_floats_for(op);
  if (floats && w.rank == 1) {
    // One long row: cut it into blocks so that every thread takes a share.
    const int64_t size = w.shape[0], blocks = blocks_of(size);
    const float* af = static_cast<const float*>(a);
    const float* bf = static_cast<const float*>(b);
    float* of = static_cast<float*>(out);
#pragma omp parallel for schedule(static) if (blocks > 1) num_threads(threads_for(size))
    for (int64_t block = 0; block < blocks; block++) {
      const int64_t begin = block * BLOCK, n = std::min(size, begin + BLOCK) - begin;
      row(af + begin * sa_of(w), bf + begin * sb_of(w), of + begin, n, sa_of(w), sb_of(w));
    }
    return;
  }
  const int64_t sa = w.rank ? w.strides[0][last] : 0, sb = w.rank ? w.strides[1][last] : 0;
  for_rows(w, 2, [&](int64_t at, int64_t inner, const int64_t* off) {
    if (floats) {
      row(static_cast<const float*>(a) + off[0], static_cast<const float*>(b) + off[1], static_cast<float*>(out) + at,
          inner, sa, sb);
    } else {
      for (int64_t i = 0; i < inner; i++)
        write(out_type, out, at + i, combine(op, read_any(in_type, a, off[0] + i * sa), read_any(in_type, b, off[1] + i * sb)));
    }
  });
}

void select(const uint8_t* cond, const float* a, const float* b, float* out, const Walk& walk) {
  const Walk w = collapsed(walk, 3);
  const int last = w.rank - 1;
  const int64_t sc = w.rank ? w.strides[0][last] : 0, sa = w.rank ? w.strides[1][last] : 0;
  const int64_t sb = w.rank ? w.strides[2][last] : 0;
  for_rows(w, 3, [&](int64_t at, int64_t inner, const int64_t* off) {
    for (int64_t i = 0; i < inner; i++)
      out[at + i] = cond[off[0] + i * sc] ? a[off[1] + i * sa] : b[off[2] + i * sb];
  });
}

}  // namespace loupe
