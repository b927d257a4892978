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

#include "executor.h"
#include "napi_args.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

namespace loupe {

namespace {

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpu_stream() {
  static dnnl::stream stream(cpu_engine());
  return stream;
}

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

// Filters up to this many values are reordered on the executor thread alone.
constexpr size_t SMALL_REORDER_VALUES = 1 << 16;

// Runs `run` (a oneDNN execution) with a team of one when `small`. Waking OpenMP's sleeping team
// for a small primitive cost more than the work (42-54 us for a 3x3x32x64 filter's reorder,
// against 5-10 us on one thread). oneDNN reads the thread count at each execution.
template <typename Run>
void execute(bool small, Run run) {
  const int threads = omp_get_max_threads();
  if (small) omp_set_num_threads(1);
  run();
  if (small) omp_set_num_threads(threads);
}

// Copies `from` into `to`'s layout; a filter's reorder is small.
void reorder(const memory& from, const memory& to) {
  execute(from.get_desc().get_size() / sizeof(float) <= SMALL_REORDER_VALUES,
          [&] { dnnl::reorder(from, to).execute(cpu_stream(), {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}}); });
}

// A user buffer in the primitive's preferred layout: the user's own memory when the layouts match,
// else a scratch copy (reordered in when `input`).
memory as_needed(const memory& user, const memory::desc& wanted, bool input, std::vector<memory>* later_out) {
  if (user.get_desc() == wanted) return user;
  memory scratch(wanted, cpu_engine());
  if (input) reorder(user, scratch);
  else later_out->push_back(scratch);
  return scratch;
}

// Convolution parameters, in this order (tfjs's names):
// batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight,
// filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padBottom,
// padLeft, padRight, groups (1, or inChannels for depthwise), hasBias, relu.
constexpr size_t CONV_PARAMS = 20;

struct ConvShape {
  memory::desc src, weights, dst, bias;
  memory::dims strides, dilations, pad_l, pad_r;
  bool has_bias, relu;
};

ConvShape conv_shape(const std::vector<int64_t>& p) {
  const int64_t n = p[0], h = p[1], w = p[2], ci = p[3], oh = p[4], ow = p[5], co = p[6];
  const int64_t fh = p[7], fw = p[8], groups = p[17];
  ConvShape s;
  s.src = memory::desc({n, ci, h, w}, dt::f32, tag::nhwc);
  s.dst = memory::desc({n, co, oh, ow}, dt::f32, tag::nhwc);
  s.weights = groups == 1 ? memory::desc({co, ci, fh, fw}, dt::f32, tag::hwio)
                          : memory::desc({groups, co / groups, ci / groups, fh, fw}, dt::f32, tag::hwigo);
  s.bias = memory::desc({co}, dt::f32, tag::x);
  s.strides = {p[9], p[10]};
  // oneDNN counts dilation from 0 (no dilation); tfjs from 1.
  s.dilations = {p[11] - 1, p[12] - 1};
  s.pad_l = {p[13], p[15]};
  s.pad_r = {p[14], p[16]};
  s.has_bias = p[18] != 0;
  s.relu = p[19] != 0;
  return s;
}

memory::desc any_like(const memory::desc& d) { return memory::desc(d.dims(), dt::f32, tag::any); }

dnnl::convolution_forward::primitive_desc forward_pd(const ConvShape& s) {
  auto desc = s.has_bias
      ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, s.src, any_like(s.weights), s.bias, s.dst, s.strides, s.dilations, s.pad_l, s.pad_r)
      : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, s.src, any_like(s.weights), s.dst, s.strides, s.dilations, s.pad_l, s.pad_r);
  dnnl::primitive_attr attr;
  if (s.relu) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(ops);
  }
  return dnnl::convolution_forward::primitive_desc(desc, attr, cpu_engine());
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
    auto& eng = cpu_engine();
    auto& strm = cpu_stream();
    auto fwd = forward_pd(s);
    std::vector<memory> to_reorder_out;
    if (op == 0) {
      memory src(s.src, eng, a.data), user_w(s.weights, eng, b.data), dst(s.dst, eng, out.data);
      memory w = as_needed(user_w, fwd.weights_desc(), true, nullptr);
      std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, dst}};
      if (s.has_bias) args.insert({DNNL_ARG_BIAS, memory(s.bias, eng, bias.data)});
      dnnl::convolution_forward(fwd).execute(strm, args);
    } else if (op == 1) {
      auto desc = dnnl::convolution_backward_data::desc(dnnl::algorithm::convolution_direct, s.src, any_like(s.weights), s.dst, s.strides, s.dilations, s.pad_l, s.pad_r);
      dnnl::convolution_backward_data::primitive_desc pd(desc, eng, fwd);
      memory dy(s.dst, eng, a.data), user_w(s.weights, eng, b.data), dx(s.src, eng, out.data);
      memory w = as_needed(user_w, pd.weights_desc(), true, nullptr);
      dnnl::convolution_backward_data(pd).execute(strm, {{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, dx}});
    } else {
      auto desc = dnnl::convolution_backward_weights::desc(dnnl::algorithm::convolution_direct, s.src, any_like(s.weights), s.dst, s.strides, s.dilations, s.pad_l, s.pad_r);
      dnnl::convolution_backward_weights::primitive_desc pd(desc, eng, fwd);
      memory src(s.src, eng, a.data), dy(s.dst, eng, b.data), user_dw(s.weights, eng, out.data);
      memory dw = as_needed(user_dw, pd.diff_weights_desc(), false, &to_reorder_out);
      dnnl::convolution_backward_weights(pd).execute(strm, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_WEIGHTS, dw}});
      if (!to_reorder_out.empty()) reorder(dw, user_dw);
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
