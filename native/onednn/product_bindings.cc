// Loupe's products on oneDNN, the library behind PyTorch's CPU path: convolutions (forward, input
// gradient, filter gradient, grouped for depthwise) and matrix products.
//
// The kernels compute in place on Float32Arrays that the caller owns (in Loupe: views of the tfjs
// wasm backend's heap), so no tensor is copied on its way in or out. Layouts are tfjs's: images
// NHWC, filters HWIO (depthwise: H, W, in, multiplier). oneDNN may keep filters in a blocked layout
// of its choice; they are reordered on the way in and out. Plain N-API (node_api.h), no
// exceptions cross into JavaScript: every failure becomes a thrown JS Error with oneDNN's message.
#include <node_api.h>
#include <omp.h>

#include "dnnl_common.h"
#include "executor.h"
#include "napi_args.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace loupe {

namespace {

bool check_length(napi_env env, const Buffer& buffer, const memory::desc& desc, const char* name) {
  size_t needed = desc.get_size() / sizeof(float);
  if (buffer.length < needed) {
    return throw_error(env, std::string(name) + " holds " + std::to_string(buffer.length) + " values; " + std::to_string(needed) + " are needed");
  }
  return true;
}

// Runs `body` on the executor thread (executor.h) and turns any oneDNN (or other C++) failure
// into a JS exception on this thread. `body` must not call N-API: it runs on another thread.
template <typename Body>
napi_value guarded(napi_env env, Body body) {
  std::string error;
  loupe::run_native([&] {
    try {
      body();
    } catch (const dnnl::error& e) {
      error = std::string("oneDNN: ") + e.what();
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  if (!error.empty()) throw_error(env, error);
  return nullptr;
}

}  // namespace

// conv(op, a, b, out, params[, bias]): op 0 forward (x, filter -> y), 1 input gradient
// (dy, filter -> dx), 2 filter gradient (x, dy -> dFilter).
napi_value Conv(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 5) return throw_error(env, "conv(op, a, b, out, params[, bias]) takes at least 5 arguments"), nullptr;
  int32_t op = -1;
  napi_get_value_int32(env, argv[0], &op);
  Buffer a, b, out, bias{nullptr, 0};
  std::vector<int64_t> p;
  if (!float_array(env, argv[1], &a, "a") || !float_array(env, argv[2], &b, "b") || !float_array(env, argv[3], &out, "out")) return nullptr;
  if (!int_params(env, argv[4], &p, CONV_PARAMS)) return nullptr;
  ConvShape s = conv_shape(p);
  if (s.has_bias && (argc < 6 || !float_array(env, argv[5], &bias, "bias"))) return nullptr;
  if (op != 0 && (s.has_bias || s.relu)) return throw_error(env, "bias and relu apply to the forward convolution only"), nullptr;
  // Sizes are checked here, on the JavaScript thread, before any byte is touched.
  const bool sizes_ok =
      op == 0   ? check_length(env, a, s.src, "x") && check_length(env, b, s.weights, "filter") && check_length(env, out, s.dst, "y")
      : op == 1 ? check_length(env, a, s.dst, "dy") && check_length(env, b, s.weights, "filter") && check_length(env, out, s.src, "dx")
      : op == 2 ? check_length(env, a, s.src, "x") && check_length(env, b, s.dst, "dy") && check_length(env, out, s.weights, "dFilter")
                : throw_error(env, "conv: op must be 0 (forward), 1 (input gradient) or 2 (filter gradient)");
  if (!sizes_ok) return nullptr;
  return guarded(env, [&] {
    if (op == 2) return filter_gradient(s, a.data, b.data, out.data);
    auto& eng = cpu_engine();
    auto& strm = cpu_stream();
    auto fwd = forward_pd(s);
    if (op == 0) {
      memory src(s.src, eng, a.data), user_w(s.weights, eng, b.data), dst(s.dst, eng, out.data);
      memory w = as_needed(user_w, fwd.weights_desc(), true, nullptr);
      std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, dst}};
      if (s.has_bias) args.insert({DNNL_ARG_BIAS, memory(s.bias, eng, bias.data)});
      dnnl::convolution_forward(fwd).execute(strm, args);
    } else {
      auto desc = dnnl::convolution_backward_data::desc(dnnl::algorithm::convolution_direct, s.src, any_like(s.weights), s.dst, s.strides, s.dilations, s.pad_l, s.pad_r);
      dnnl::convolution_backward_data::primitive_desc pd(desc, eng, fwd);
      memory dy(s.dst, eng, a.data), user_w(s.weights, eng, b.data), dx(s.src, eng, out.data);
      memory w = as_needed(user_w, pd.weights_desc(), true, nullptr);
      dnnl::convolution_backward_data(pd).execute(strm, {{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, dx}});
    }
    strm.wait();
  });
}

// matmul(a, b, out, params[, bias]): params = batchA, batchB, m, k, n, transposeA, transposeB,
// hasBias, relu. a is [batchA, m, k] (or [batchA, k, m] transposed), b [batchB, k, n] (or
// [batchB, n, k]); a batch of 1 broadcasts against the other. out is [max(batchA, batchB), m, n].
constexpr size_t MATMUL_PARAMS = 9;
// Products up to this many multiply-adds run on one thread (the dense head of a classifier:
// 32x64x2 took 77 us on a woken team of two).
constexpr int64_t SMALL_PRODUCT_MACS = 1 << 16;

napi_value MatMul(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 4) return throw_error(env, "matmul(a, b, out, params[, bias]) takes at least 4 arguments"), nullptr;
  Buffer a, b, out, bias{nullptr, 0};
  std::vector<int64_t> p;
  if (!float_array(env, argv[0], &a, "a") || !float_array(env, argv[1], &b, "b") || !float_array(env, argv[2], &out, "out")) return nullptr;
  if (!int_params(env, argv[3], &p, MATMUL_PARAMS)) return nullptr;
  const int64_t ba = p[0], bb = p[1], m = p[2], k = p[3], n = p[4];
  const bool ta = p[5] != 0, tb = p[6] != 0, has_bias = p[7] != 0, relu = p[8] != 0;
  if (has_bias && (argc < 5 || !float_array(env, argv[4], &bias, "bias"))) return nullptr;
  // A transposed operand is the same bytes read with swapped strides.
  memory::desc a_md({ba, m, k}, dt::f32, ta ? memory::dims{m * k, 1, m} : memory::dims{m * k, k, 1});
  memory::desc b_md({bb, k, n}, dt::f32, tb ? memory::dims{k * n, 1, k} : memory::dims{k * n, n, 1});
  memory::desc c_md({std::max(ba, bb), m, n}, dt::f32, tag::abc);
  memory::desc bias_md({1, 1, n}, dt::f32, tag::abc);
  if (!check_length(env, a, a_md, "a") || !check_length(env, b, b_md, "b") || !check_length(env, out, c_md, "out")) return nullptr;
  return guarded(env, [&] {
    auto& eng = cpu_engine();
    dnnl::primitive_attr attr;
    if (relu) {
      dnnl::post_ops ops;
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
      attr.set_post_ops(ops);
    }
    auto desc = has_bias ? dnnl::matmul::desc(a_md, b_md, bias_md, c_md) : dnnl::matmul::desc(a_md, b_md, c_md);
    dnnl::matmul::primitive_desc pd(desc, attr, eng);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(a_md, eng, a.data)}, {DNNL_ARG_WEIGHTS, memory(b_md, eng, b.data)}, {DNNL_ARG_DST, memory(c_md, eng, out.data)}};
    if (has_bias) args.insert({DNNL_ARG_BIAS, memory(bias_md, eng, bias.data)});
    // A small product (a classifier's head) on the executor thread alone, as a small reorder.
    execute(std::max(ba, bb) * m * n * k <= SMALL_PRODUCT_MACS, [&] { dnnl::matmul(pd).execute(cpu_stream(), args); });
    cpu_stream().wait();
  });
}

}  // namespace loupe
