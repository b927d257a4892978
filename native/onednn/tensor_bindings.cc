// N-API bindings of tensor_ops.cc, run on the executor thread. Every index a loop can reach is
// checked against the arrays' lengths first: a wrong shape from JavaScript is an Error, never a
// read or write past a tensor's end.
#include <cstdint>
#include <string>
#include <vector>

#include "executor.h"
#include "memory_ops.h"
#include "napi_args.h"
#include "tensor_ops.h"

namespace loupe {

namespace {

struct Typed {
  void* data = nullptr;
  size_t length = 0;
  Element type = Element::F32;
};

bool typed_array(napi_env env, napi_value value, Typed* out, const char* name) {
  bool is_typed = false;
  napi_is_typedarray(env, value, &is_typed);
  if (!is_typed) return throw_error(env, std::string(name) + " must be a Float32Array, Uint8Array or Int32Array");
  napi_typedarray_type type;
  napi_get_typedarray_info(env, value, &type, &out->length, &out->data, nullptr, nullptr);
  switch (type) {
    case napi_float32_array: out->type = Element::F32; return true;
    case napi_uint8_array: out->type = Element::U8; return true;
    case napi_int32_array: out->type = Element::I32; return true;
    default: return throw_error(env, std::string(name) + " must be a Float32Array, Uint8Array or Int32Array");
  }
}

bool int_list(napi_env env, napi_value value, std::vector<int64_t>* out) {
  bool is_typed = false;
  napi_is_typedarray(env, value, &is_typed);
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (is_typed) napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr);
  if (!is_typed || type != napi_int32_array) return throw_error(env, "params must be an Int32Array");
  const int32_t* values = static_cast<const int32_t*>(data);
  out->assign(values, values + length);
  return true;
}

double number(napi_env env, napi_value value) {
  double result = 0;
  napi_get_value_double(env, value, &result);
  return result;
}

// params: rank, shape[rank], then `inputs` stride lists of rank values each.
bool walk_of(napi_env env, const std::vector<int64_t>& p, int inputs, Walk* w) {
  if (p.empty() || p[0] < 0 || p[0] > MAX_RANK || p.size() != static_cast<size_t>(1 + p[0] * (1 + inputs)))
    return throw_error(env, "walk params must be rank, shape and one stride list per input (rank ≤ 8)");
  w->rank = static_cast<int>(p[0]);
  for (int d = 0; d < w->rank; d++) {
    w->shape[d] = p[1 + d];
    if (w->shape[d] < 0) return throw_error(env, "negative dimension");
    for (int k = 0; k < inputs; k++) w->strides[k][d] = p[1 + w->rank * (1 + k) + d];
  }
  return true;
}

// The largest element index input k reaches over `walk`, +1 (0 for an empty walk).
int64_t reach(const Walk& w, int k, const int64_t* modulus = nullptr) {
  if (w.size() == 0) return 0;
  int64_t last = 0;
  for (int d = 0; d < w.rank; d++) {
    const int64_t extent = modulus ? std::min(w.shape[d], modulus[d]) : w.shape[d];
    if (w.strides[k][d] < 0) return -1;
    last += (extent - 1) * w.strides[k][d];
  }
  return last + 1;
}

}  // namespace

// map(op, x, out, alpha, beta)
napi_value Map(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  Typed x, out;
  if (!args(env, info, argv) || !typed_array(env, argv[1], &x, "x") || !typed_array(env, argv[2], &out, "out")) return nullptr;
  const auto op = static_cast<MapOp>(static_cast<int>(number(env, argv[0])));
  const float alpha = static_cast<float>(number(env, argv[3])), beta = static_cast<float>(number(env, argv[4]));
  if (op != MapOp::Fill && !fits(env, x, out.length, "x")) return nullptr;
  run_native([&] { map(op, x.type, x.data, out.type, out.data, out.length, alpha, beta); });
  return nullptr;
}

// zip(op, a, b, out, params): params as walk_of with two inputs.
napi_value Zip(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  Typed a, b, out;
  std::vector<int64_t> p;
  Walk w;
  if (!args(env, info, argv) || !typed_array(env, argv[1], &a, "a") || !typed_array(env, argv[2], &b, "b") ||
      !typed_array(env, argv[3], &out, "out") || !int_list(env, argv[4], &p) || !walk_of(env, p, 2, &w))
    return nullptr;
  if (a.type != b.type || a.type == Element::I32) return throw_error(env, "a and b must both be Float32Arrays or Uint8Arrays"), nullptr;
  if (!fits(env, out, w.size(), "out") || !fits(env, a, reach(w, 0), "a") || !fits(env, b, reach(w, 1), "b")) return nullptr;
  const auto op = static_cast<ZipOp>(static_cast<int>(number(env, argv[0])));
  run_native([&] { zip(op, a.type, a.data, b.data, out.type, out.data, w); });
  return nullptr;
}

// select(cond, a, b, out, params): params as walk_of with three inputs.
napi_value Select(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  Typed c, a, b, out;
  std::vector<int64_t> p;
  Walk w;
  if (!args(env, info, argv) || !typed_array(env, argv[0], &c, "condition") || !typed_array(env, argv[1], &a, "a") ||
      !typed_array(env, argv[2], &b, "b") || !typed_array(env, argv[3], &out, "out") || !int_list(env, argv[4], &p) ||
      !walk_of(env, p, 3, &w))
    return nullptr;
  if (c.type != Element::U8 || a.type != Element::F32 || b.type != Element::F32 || out.type != Element::F32)
    return throw_error(env, "select takes a Uint8Array condition and Float32Arrays"), nullptr;
  if (!fits(env, out, w.size(), "out") || !fits(env, c, reach(w, 0), "condition") || !fits(env, a, reach(w, 1), "a") ||
      !fits(env, b, reach(w, 2), "b"))
    return nullptr;
  run_native([&] { select(static_cast<uint8_t*>(c.data), static_cast<float*>(a.data), static_cast<float*>(b.data), static_cast<float*>(out.data), w); });
  return nullptr;
}

// reduce(op, x, out, params): params = rank, shape[rank], reduced[rank] (0 or 1).
napi_value Reduce(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  Typed x, out;
  std::vector<int64_t> p;
  if (!args(env, info, argv) || !typed_array(env, argv[1], &x, "x") || !typed_array(env, argv[2], &out, "out") || !int_list(env, argv[3], &p)) return nullptr;
  const int64_t rank = p.empty() ? -1 : p[0];
  if (rank < 0 || rank > MAX_RANK || p.size() != static_cast<size_t>(1 + 2 * rank) || x.type != Element::F32 || out.type != Element::F32)
    return throw_error(env, "reduce takes Float32Arrays and rank, shape, reduced flags (rank ≤ 8)"), nullptr;
  int64_t total = 1, kept = 1;
  bool reduced[MAX_RANK];
  for (int d = 0; d < rank; d++) {
    total *= p[1 + d];
    reduced[d] = p[1 + rank + d] != 0;
    if (!reduced[d]) kept *= p[1 + d];
  }
  if (!fits(env, x, total, "x") || !fits(env, out, kept, "out")) return nullptr;
  const auto op = static_cast<ReduceOp>(static_cast<int>(number(env, argv[0])));
  run_native([&] { reduce(op, static_cast<float*>(x.data), static_cast<float*>(out.data), static_cast<int>(rank), p.data() + 1, reduced); });
  return nullptr;
}

// tile(x, out, params): params = walk_of with one input, then the input's shape (the modulus).
napi_value Tile(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  Typed x, out;
  std::vector<int64_t> p;
  Walk w;
  if (!args(env, info, argv) || !typed_array(env, argv[0], &x, "x") || !typed_array(env, argv[1], &out, "out") || !int_list(env, argv[2], &p)) return nullptr;
  const int64_t rank = p.empty() ? -1 : p[0];
  if (rank < 0 || rank > MAX_RANK || p.size() != static_cast<size_t>(1 + 3 * rank)) return throw_error(env, "tile params: rank, shape, strides, input shape"), nullptr;
  std::vector<int64_t> head(p.begin(), p.end() - rank);
  if (!walk_of(env, head, 1, &w)) return nullptr;
  if (rank > 0 && w.strides[0][rank - 1] != 1) return throw_error(env, "tile: the input's last axis must be contiguous"), nullptr;
  const int64_t* modulus = p.data() + 1 + 2 * rank;
  for (int d = 0; d < rank; d++) if (modulus[d] <= 0 && w.shape[d] > 0) return throw_error(env, "tile: empty input axis"), nullptr;
  if (x.type != out.type) return throw_error(env, "tile: x and out differ in type"), nullptr;
  if (!fits(env, out, w.size(), "out") || !fits(env, x, reach(w, 0, modulus), "x")) return nullptr;
  const int size = x.type == Element::U8 ? 1 : 4;
  run_native([&] { tile(x.data, out.data, size, w, modulus); });
  return nullptr;
}

// maxPool(x, y, params): params as maxPoolGrad's.
napi_value MaxPool(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  Buffer x, y;
  std::vector<int64_t> p;
  if (!args(env, info, argv) || !float_array(env, argv[0], &x, "x") || !float_array(env, argv[1], &y, "y") || !int_params(env, argv[2], &p, 12)) return nullptr;
  const PoolShape s{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11]};
  if (static_cast<uint64_t>(s.batch * s.in_height * s.in_width * s.channels) > x.length ||
      static_cast<uint64_t>(s.batch * s.out_height * s.out_width * s.channels) > y.length)
    return throw_error(env, "maxPool: shapes exceed the arrays"), nullptr;
  run_native([&] { max_pool(x.data, y.data, s); });
  return nullptr;
}

// resizeNearest(x, y, params, grad): params = batch, inHeight, inWidth, channels, outHeight,
// outWidth, alignCorners, halfPixelCenters; grad 1: x is dy (out size), y is dx (in size).
napi_value ResizeNearest(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  Buffer a, b;
  std::vector<int64_t> p;
  if (!args(env, info, argv) || !float_array(env, argv[0], &a, "x") || !float_array(env, argv[1], &b, "y") || !int_params(env, argv[2], &p, 8)) return nullptr;
  const ResizeShape s{p[0], p[1], p[2], p[3], p[4], p[5], p[6] != 0, p[7] != 0};
  const bool grad = number(env, argv[3]) != 0;
  const uint64_t in_size = s.batch * s.in_height * s.in_width * s.channels, out_size = s.batch * s.out_height * s.out_width * s.channels;
  if ((grad ? out_size : in_size) > a.length || (grad ? in_size : out_size) > b.length || s.in_height < 1 || s.in_width < 1)
    return throw_error(env, "resizeNearest: shapes exceed the arrays"), nullptr;
  run_native([&] { grad ? resize_nearest_grad(a.data, b.data, s) : resize_nearest(a.data, b.data, s); });
  return nullptr;
}

// oneHot(indices, out, depth, on, off)
napi_value OneHot(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  Typed indices, out;
  if (!args(env, info, argv) || !typed_array(env, argv[0], &indices, "indices") || !typed_array(env, argv[1], &out, "out")) return nullptr;
  const int64_t depth = static_cast<int64_t>(number(env, argv[2]));
  if (indices.type != Element::I32 || depth < 0 || indices.length * depth > out.length)
    return throw_error(env, "oneHot takes Int32Array indices and an output of indices × depth"), nullptr;
  run_native([&] { one_hot(static_cast<int32_t*>(indices.data), out.type, out.data, indices.length, depth, static_cast<float>(number(env, argv[3])), static_cast<float>(number(env, argv[4]))); });
  return nullptr;
}

// adam(p, g, m, v, constants): constants = Float32Array [beta1, 1 − beta1, beta2, 1 − beta2,
// epsilon, stepSize, √(1 − beta2^t), l2Decay, decayFactor, l2 (0/1), decoupled (0/1)].
napi_value Adam(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  Buffer p, g, m, v, c;
  if (!args(env, info, argv) || !float_array(env, argv[0], &p, "p") || !float_array(env, argv[1], &g, "g") || !float_array(env, argv[2], &m, "m") ||
      !float_array(env, argv[3], &v, "v") || !float_array(env, argv[4], &c, "constants"))
    return nullptr;
  if (g.length != p.length || m.length != p.length || v.length != p.length || c.length != 11)
    return throw_error(env, "adam: p, g, m and v must have one length, and 11 constants"), nullptr;
  const float* k = c.data;
  const AdamStep s{k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], k[8], k[9] != 0.f, k[10] != 0.f};
  run_native([&] { adam(p.data, g.data, m.data, v.data, static_cast<int64_t>(p.length), s); });
  return nullptr;
}

}  // namespace loupe
