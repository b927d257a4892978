// Binary element-wise ops of tensor_ops.h over a Walk: zip (arithmetic, comparisons, logical
// ops and the activations' gradients, with any broadcast) and select. Work splits across OpenMP
// threads by fixed blocks (static schedules), so results repeat exactly.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "tensor_ops.h"
#include "threads.h"
#include "walk_loops.h"

namespace loupe {

namespace {

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

// One row of a zip into bytes (bool): comparisons of floats, and logical ops or comparisons of
// bytes, instantiated per op and input type like the float loops (the element-wise path, a switch
// on the op and the types for every value, made ClipByValue's gradient, two comparisons and an
// and, a third of a MobileNetV2 training step).
template <ZipOp OP, typename In>
void zip_bytes(const void* a_in, const void* b_in, uint8_t* out, int64_t n, int64_t sa, int64_t sb) {
  const In* a = static_cast<const In*>(a_in);
  const In* b = static_cast<const In*>(b_in);
  const auto f = [](In x, In y) -> uint8_t { return combine(OP, static_cast<float>(x), static_cast<float>(y)) != 0.f; };
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; i++) out[i] = f(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const In bv = b[0];
    for (int64_t i = 0; i < n; i++) out[i] = f(a[i], bv);
  } else if (sa == 0 && sb == 1) {
    const In av = a[0];
    for (int64_t i = 0; i < n; i++) out[i] = f(av, b[i]);
  } else {
    for (int64_t i = 0; i < n; i++) out[i] = f(a[i * sa], b[i * sb]);
  }
}

using ZipBytes = void (*)(const void*, const void*, uint8_t*, int64_t, int64_t, int64_t);

template <typename In>
ZipBytes zip_bytes_for(ZipOp op) {
  switch (op) {
#define LOUPE_ZIP(name) \
  case ZipOp::name: return zip_bytes<ZipOp::name, In>;
    LOUPE_ZIP(Add) LOUPE_ZIP(Sub) LOUPE_ZIP(Mul) LOUPE_ZIP(Div) LOUPE_ZIP(Max) LOUPE_ZIP(Min) LOUPE_ZIP(Pow)
    LOUPE_ZIP(SquaredDifference) LOUPE_ZIP(Less) LOUPE_ZIP(LessEqual) LOUPE_ZIP(Greater) LOUPE_ZIP(GreaterEqual)
    LOUPE_ZIP(Equal) LOUPE_ZIP(NotEqual) LOUPE_ZIP(LogicalAnd) LOUPE_ZIP(LogicalOr) LOUPE_ZIP(ReluGrad)
    LOUPE_ZIP(Relu6Grad)
#undef LOUPE_ZIP
  }
  return zip_bytes<ZipOp::Equal, In>;
}

}  // namespace

void zip(ZipOp op, Element in_type, const void* a, const void* b, Element out_type, void* out, const Walk& walk) {
  const Walk w = collapsed(walk, 2);
  const int last = w.rank - 1;
  const bool floats = in_type == Element::F32 && out_type == Element::F32;
  const bool bytes = out_type == Element::U8 && (in_type == Element::F32 || in_type == Element::U8);
  const ZipFloats row = zip_floats_for(op);
  const ZipBytes byte_row = in_type == Element::U8 ? zip_bytes_for<uint8_t>(op) : zip_bytes_for<float>(op);
  const int in_size = in_type == Element::U8 ? 1 : 4;
  // A row of `n` outputs from element offsets: the typed loops, float or bytes.
  const auto typed_row = [&](int64_t at, int64_t off_a, int64_t off_b, int64_t n, int64_t sa, int64_t sb) {
    if (floats) {
      row(static_cast<const float*>(a) + off_a, static_cast<const float*>(b) + off_b, static_cast<float*>(out) + at, n, sa, sb);
    } else {
      byte_row(static_cast<const char*>(a) + off_a * in_size, static_cast<const char*>(b) + off_b * in_size,
               static_cast<uint8_t*>(out) + at, n, sa, sb);
    }
  };
  if ((floats || bytes) && w.rank == 1) {
    // One long row: cut it into blocks so that every thread takes a share.
    const int64_t size = w.shape[0], blocks = blocks_of(size);
#pragma omp parallel for schedule(static) if (blocks > 1) num_threads(threads_for(size))
    for (int64_t block = 0; block < blocks; block++) {
      const int64_t begin = block * BLOCK, n = std::min(size, begin + BLOCK) - begin;
      typed_row(begin, begin * sa_of(w), begin * sb_of(w), n, sa_of(w), sb_of(w));
    }
    return;
  }
  const int64_t sa = w.rank ? w.strides[0][last] : 0, sb = w.rank ? w.strides[1][last] : 0;
  for_rows(w, 2, [&](int64_t at, int64_t inner, const int64_t* off) {
    if (floats || bytes) {
      typed_row(at, off[0], off[1], inner, sa, sb);
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
  const auto row = [&](int64_t at, const int64_t* off, int64_t n) {
    if (sc == 1 && sa == 1 && sb == 1) {
      const uint8_t* c = cond + off[0];
      const float* x = a + off[1];
      const float* y = b + off[2];
      for (int64_t i = 0; i < n; i++) out[at + i] = c[i] ? x[i] : y[i];
    } else {
      for (int64_t i = 0; i < n; i++) out[at + i] = cond[off[0] + i * sc] ? a[off[1] + i * sa] : b[off[2] + i * sb];
    }
  };
  if (w.rank == 1) {
    // One long row (tf.where of one shape, as in ClipByValue's gradient): blocks for every thread.
    const int64_t size = w.shape[0], blocks = blocks_of(size);
#pragma omp parallel for schedule(static) if (blocks > 1) num_threads(threads_for(size))
    for (int64_t block = 0; block < blocks; block++) {
      const int64_t begin = block * BLOCK, n = std::min(size, begin + BLOCK) - begin;
      const int64_t off[3] = {begin * sc, begin * sa, begin * sb};
      row(begin, off, n);
    }
    return;
  }
  for_rows(w, 3, [&](int64_t at, int64_t inner, const int64_t* off) { row(at, off, inner); });
}

}  // namespace loupe
