// oneDNN's engine and stream for the addon, and what its product kernels share: running a
// primitive on a team of one, reorders, and the convolution's shape in oneDNN's terms.
#pragma once

#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>

#include <cstdint>
#include <vector>

namespace loupe {

using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

inline dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

inline dnnl::stream& cpu_stream() {
  static dnnl::stream stream(cpu_engine());
  return stream;
}

// Filters up to this many values are reordered on the executor thread alone.
constexpr size_t SMALL_REORDER_VALUES = 1 << 16;

// Runs `run` (a oneDNN execution) with a team of one when `small`. Waking OpenMP's sleeping team
// for a small primitive cost more than the work (42-54 us for a 3x3x32x64 filter's reorder,
// against 5-10 us on one thread). oneDNN reads the thread count at each execution.
template <typename Run>
inline void execute(bool small, Run run) {
  const int threads = omp_get_max_threads();
  if (small) omp_set_num_threads(1);
  run();
  if (small) omp_set_num_threads(threads);
}

// Copies `from` into `to`'s layout; a filter's reorder is small.
inline void reorder(const memory& from, const memory& to) {
  execute(from.get_desc().get_size() / sizeof(float) <= SMALL_REORDER_VALUES,
          [&] { dnnl::reorder(from, to).execute(cpu_stream(), {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}}); });
}

// A user buffer in the primitive's preferred layout: the user's own memory when the layouts match,
// else a scratch copy (reordered in when `input`).
inline memory as_needed(const memory& user, const memory::desc& wanted, bool input, std::vector<memory>* later_out) {
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

inline ConvShape conv_shape(const std::vector<int64_t>& p) {
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

inline memory::desc any_like(const memory::desc& d) { return memory::desc(d.dims(), dt::f32, tag::any); }

inline dnnl::convolution_forward::primitive_desc forward_pd(const ConvShape& s) {
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

// The filter gradient (x, dy -> dFilter) into `dw`, in the user's layout (filter_gradient.cc).
void filter_gradient(const ConvShape& s, float* x, float* dy, float* dw);

}  // namespace loupe
