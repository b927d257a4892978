// Reading N-API arguments in Loupe's native kernels: Float32Arrays (views of the wasm heap, read
// and written in place) and Int32Array parameter lists. A bad argument throws a JS Error and
// returns false; the caller then returns at once.
#pragma once

#include <node_api.h>

#include <cstdint>
#include <string>
#include <vector>

namespace loupe {

struct Buffer {
  float* data;
  size_t length;
};

inline bool throw_error(napi_env env, const std::string& message) {
  napi_throw_error(env, nullptr, message.c_str());
  return false;
}

// Throws unless `buffer` (anything with a `length` in values) holds `needed` values.
template <typename Array>
inline bool fits(napi_env env, const Array& buffer, int64_t needed, const char* name) {
  if (needed < 0 || static_cast<uint64_t>(needed) > buffer.length)
    return throw_error(env, std::string(name) + " holds " + std::to_string(buffer.length) + " values; " +
                                std::to_string(needed) + " are needed");
  return true;
}

// Reads exactly N arguments into argv; throws when fewer were passed.
template <size_t N>
inline bool args(napi_env env, napi_callback_info info, napi_value (&argv)[N]) {
  size_t argc = N;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < N) return throw_error(env, "expected " + std::to_string(N) + " arguments");
  return true;
}

// Reads up to N arguments into argv (those not passed are undefined); throws when fewer than `least` were passed.
template <size_t N>
inline bool args_at_least(napi_env env, napi_callback_info info, napi_value (&argv)[N], size_t least) {
  size_t argc = N;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < least) return throw_error(env, "expected at least " + std::to_string(least) + " arguments");
  return true;
}

inline bool float_array(napi_env env, napi_value value, Buffer* out, const char* name) {
  bool is_typed = false;
  napi_is_typedarray(env, value, &is_typed);
  if (!is_typed) return throw_error(env, std::string(name) + " must be a Float32Array");
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr);
  if (type != napi_float32_array) return throw_error(env, std::string(name) + " must be a Float32Array");
  out->data = static_cast<float*>(data);
  out->length = length;
  return true;
}

inline bool int_params(napi_env env, napi_value value, std::vector<int64_t>* out, size_t expected) {
  bool is_typed = false;
  napi_is_typedarray(env, value, &is_typed);
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (is_typed) napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr);
  if (!is_typed || type != napi_int32_array || length != expected) {
    return throw_error(env, "params must be an Int32Array of " + std::to_string(expected) + " values");
  }
  const int32_t* values = static_cast<const int32_t*>(data);
  out->assign(values, values + length);
  return true;
}


// Convolutions and matrix products on oneDNN (product_bindings.cc).
napi_value Conv(napi_env env, napi_callback_info info);
napi_value MatMul(napi_env env, napi_callback_info info);

// The memory-bound kernels' bindings (memory_bindings.cc).
napi_value SumRows(napi_env env, napi_callback_info info);
napi_value MaxPoolGrad(napi_env env, napi_callback_info info);
napi_value Concat(napi_env env, napi_callback_info info);
napi_value Split(napi_env env, napi_callback_info info);

// The rest of a training step's ops (tensor_bindings.cc).
napi_value Map(napi_env env, napi_callback_info info);
napi_value Zip(napi_env env, napi_callback_info info);
napi_value Select(napi_env env, napi_callback_info info);
napi_value Reduce(napi_env env, napi_callback_info info);
napi_value Tile(napi_env env, napi_callback_info info);
napi_value MaxPool(napi_env env, napi_callback_info info);
napi_value ResizeNearest(napi_env env, napi_callback_info info);
napi_value OneHot(napi_env env, napi_callback_info info);
napi_value Adam(napi_env env, napi_callback_info info);

// Batch normalisation in training mode, forward and backward (norm_ops.cc).
napi_value BatchNormTrain(napi_env env, napi_callback_info info);
napi_value BatchNormTrainGrad(napi_env env, napi_callback_info info);

}  // namespace loupe
