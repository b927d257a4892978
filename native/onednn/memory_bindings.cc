// N-API bindings of the memory-bound kernels (memory_ops.cc), run on the executor thread. Every size is checked against the
// arrays' lengths before a byte is touched: a wrong shape from JavaScript is an Error, never a
// write past a tensor's end.
#include <cstdint>
#include <string>
#include <vector>

#include "executor.h"
#include "memory_ops.h"
#include "napi_args.h"

namespace loupe {

namespace {

bool float_arrays(napi_env env, napi_value list, std::vector<Buffer>* out) {
  bool is_array = false;
  napi_is_array(env, list, &is_array);
  if (!is_array) return throw_error(env, "parts must be an array of Float32Arrays");
  uint32_t count = 0;
  napi_get_array_length(env, list, &count);
  out->resize(count);
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    napi_get_element(env, list, i, &item);
    if (!float_array(env, item, &(*out)[i], "parts[i]")) return false;
  }
  return true;
}

int64_t int_arg(napi_env env, napi_value value) {
  int64_t result = -1;
  napi_get_value_int64(env, value, &result);
  return result;
}

}  // namespace

// sumRows(x, out, rows, cols, scale)
napi_value SumRows(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Buffer x, out;
  if (argc < 5 || !float_array(env, argv[0], &x, "x") || !float_array(env, argv[1], &out, "out")) return nullptr;
  const int64_t rows = int_arg(env, argv[2]), cols = int_arg(env, argv[3]);
  double scale = 1;
  napi_get_value_double(env, argv[4], &scale);
  if (!fits(env, x, rows * cols, "x") || !fits(env, out, cols, "out")) return nullptr;
  run_native([&] { sum_rows(x.data, out.data, rows, cols, static_cast<float>(scale)); });
  return nullptr;
}

// maxPoolGrad(x, dy, dx, params): params = batch, inHeight, inWidth, channels, outHeight,
// outWidth, windowHeight, windowWidth, strideHeight, strideWidth, padTop, padLeft.
napi_value MaxPoolGrad(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Buffer x, dy, dx;
  std::vector<int64_t> p;
  if (argc < 4 || !float_array(env, argv[0], &x, "x") || !float_array(env, argv[1], &dy, "dy") || !float_array(env, argv[2], &dx, "dx")) return nullptr;
  if (!int_params(env, argv[3], &p, 12)) return nullptr;
  const PoolShape s{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11]};
  const int64_t in_size = s.batch * s.in_height * s.in_width * s.channels;
  if (!fits(env, x, in_size, "x") || !fits(env, dx, in_size, "dx") || !fits(env, dy, s.batch * s.out_height * s.out_width * s.channels, "dy")) return nullptr;
  run_native([&] { max_pool_grad(x.data, dy.data, dx.data, s); });
  return nullptr;
}

// Shared by concat and split: the parts, their inner sizes and the checks of both.
bool parts_and_sizes(napi_env env, napi_value parts_value, napi_value inner_value, int64_t outer, std::vector<Buffer>* parts, std::vector<int64_t>* inner) {
  if (!float_arrays(env, parts_value, parts)) return false;
  if (!int_params(env, inner_value, inner, parts->size())) return false;
  for (size_t i = 0; i < parts->size(); i++) {
    if (!fits(env, (*parts)[i], outer * (*inner)[i], "a part")) return false;
  }
  return true;
}

int64_t total(const std::vector<int64_t>& sizes) {
  int64_t sum = 0;
  for (int64_t s : sizes) sum += s;
  return sum;
}

// concat(parts, inner, out, outer)
napi_value Concat(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 4) return throw_error(env, "concat(parts, inner, out, outer) takes 4 arguments"), nullptr;
  const int64_t outer = int_arg(env, argv[3]);
  std::vector<Buffer> parts;
  std::vector<int64_t> inner;
  Buffer out;
  if (!parts_and_sizes(env, argv[0], argv[1], outer, &parts, &inner) || !float_array(env, argv[2], &out, "out")) return nullptr;
  if (!fits(env, out, outer * total(inner), "out")) return nullptr;
  std::vector<const float*> sources;
  for (const Buffer& part : parts) sources.push_back(part.data);
  run_native([&] { concat(sources, inner, out.data, outer); });
  return nullptr;
}

// split(x, parts, inner, outer)
napi_value Split(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 4) return throw_error(env, "split(x, parts, inner, outer) takes 4 arguments"), nullptr;
  const int64_t outer = int_arg(env, argv[3]);
  Buffer x;
  std::vector<Buffer> parts;
  std::vector<int64_t> inner;
  if (!float_array(env, argv[0], &x, "x") || !parts_and_sizes(env, argv[1], argv[2], outer, &parts, &inner)) return nullptr;
  if (!fits(env, x, outer * total(inner), "x")) return nullptr;
  std::vector<float*> targets;
  for (const Buffer& part : parts) targets.push_back(part.data);
  run_native([&] { split(x.data, targets, inner, outer); });
  return nullptr;
}

}  // namespace loupe
