// A convolution's filter gradient (x, dy -> dFilter), with the batch split across threads by Loupe.
//
// Why: oneDNN 2.6's filter gradient (jit:avx512_core backward_weights) splits its work across
// its threads and joins them at barriers that spin. When one of those threads has no core at that
// moment (the JavaScript thread, V8's collector, another program took it), the others spin
// until the scheduler gives it one, a whole time slice later. On a lent 16-core machine every
// filter gradient of a training step took 3-6 ms whatever its size, about one thread's time,
// while the forward convolutions of the same layers ran 3-5x faster than on one thread; here,
// three threads on two cores made a 0.35 ms gradient take 3.3-4 ms (a time slice).
// So each thread computes the gradient of its own slice of the batch with a one-thread
// primitive, and the slices' gradients are summed in a fixed order, so results repeat exactly.
// The only barrier left is OpenMP's, where waiting threads sleep (OMP_WAIT_POLICY=PASSIVE), so a
// thread without a core delays its own slice, not a time slice of every thread.
// On two threads oneDNN's own split stays: there, on an idle 2-core machine, a training step
// took 5-10 % longer with slices (each thread streams its own images), and with a busy program
// beside it 9-21 % less; from three threads up, slices.
#include <omp.h>

#include "dnnl_common.h"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace loupe {

namespace {

// The same convolution on `batch` images.
ConvShape with_batch(const ConvShape& s, int64_t batch) {
  ConvShape part = s;
  memory::dims src = s.src.dims(), dst = s.dst.dims();
  src[0] = batch;
  dst[0] = batch;
  part.src = memory::desc(src, dt::f32, tag::nhwc);
  part.dst = memory::desc(dst, dt::f32, tag::nhwc);
  return part;
}

dnnl::convolution_backward_weights::primitive_desc backward_pd(const ConvShape& s) {
  auto desc = dnnl::convolution_backward_weights::desc(dnnl::algorithm::convolution_direct, s.src, any_like(s.weights), s.dst,
                                                       s.strides, s.dilations, s.pad_l, s.pad_r);
  return dnnl::convolution_backward_weights::primitive_desc(desc, cpu_engine(), forward_pd(s));
}

// A slice's one-thread primitive, kept by shape: making its two descriptors took 0.04-0.07 ms a
// call (oneDNN caches the primitive, not the descriptors), a fifth of a small layer's gradient on
// many threads. Only the executor thread comes here (executor.h), so the map needs no lock; a
// training step has a few dozen shapes, and past MAX_KEPT (shapes of many models) it starts over.
constexpr size_t MAX_KEPT = 256;

struct SlicePrimitive {
  dnnl::convolution_backward_weights::primitive_desc pd;
  dnnl::convolution_backward_weights primitive;
};

// A copy: oneDNN objects are handles, and the map may start over before the copy is used.
SlicePrimitive one_thread_primitive(const ConvShape& s) {
  static std::map<std::vector<int64_t>, SlicePrimitive> kept;
  std::vector<int64_t> key;
  for (const auto& dims : {s.src.dims(), s.dst.dims(), s.weights.dims(), s.strides, s.dilations, s.pad_l, s.pad_r})
    key.insert(key.end(), dims.begin(), dims.end());
  auto found = kept.find(key);
  if (found != kept.end()) return found->second;
  if (kept.size() >= MAX_KEPT) kept.clear();
  auto pd = backward_pd(s);
  return kept.emplace(key, SlicePrimitive{pd, dnnl::convolution_backward_weights(pd)}).first->second;
}

// oneDNN's own threading, for a batch of one (nothing to split) or a team of one.
void whole(const ConvShape& s, float* x, float* dy, float* dw) {
  auto& eng = cpu_engine();
  auto pd = backward_pd(s);
  memory src(s.src, eng, x), grad(s.dst, eng, dy), user_dw(s.weights, eng, dw);
  std::vector<memory> to_reorder_out;
  memory out = as_needed(user_dw, pd.diff_weights_desc(), false, &to_reorder_out);
  dnnl::convolution_backward_weights(pd).execute(cpu_stream(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, grad}, {DNNL_ARG_DIFF_WEIGHTS, out}});
  cpu_stream().wait();
  if (!to_reorder_out.empty()) reorder(out, user_dw);
}

// Partial gradients, one per slice. Every kernel runs on the executor thread (executor.h), so
// one buffer serves every call; it only grows, so a training step's calls fault in no new pages.
std::vector<float>& partials() {
  static std::vector<float> buffer;
  return buffer;
}

constexpr int MIN_SLICED_THREADS = 3;
// The partial gradients take about this much at most, counted in the filter's own size
// (ResNet-18's 3x3x512x512 filter is 9.4 MB: 6 slices, not 16); a filter over half of it keeps
// oneDNN's own split.
constexpr size_t MAX_PARTIAL_BYTES = size_t{64} << 20;

}  // namespace

void filter_gradient(const ConvShape& s, float* x, float* dy, float* dw) {
  const int threads = omp_get_max_threads();
  const int64_t batch = s.src.dims()[0];
  const int64_t filter_bytes = static_cast<int64_t>(s.weights.get_size());
  const int slices = static_cast<int>(std::min<int64_t>({batch, threads, static_cast<int64_t>(MAX_PARTIAL_BYTES) / filter_bytes}));
  if (threads < MIN_SLICED_THREADS || slices < 2) return whole(s, x, dy, dw);
  const int64_t per_slice = batch / slices, longer = batch % slices;
  // Made while the team is one thread, so that each primitive plans for one thread (oneDNN reads
  // the count when it makes a primitive, and keeps one per count in its cache).
  omp_set_num_threads(1);
  auto restore = [threads] { omp_set_num_threads(threads); };
  std::vector<SlicePrimitive> made;
  try {
    made.push_back(one_thread_primitive(with_batch(s, per_slice)));
    if (longer > 0) made.push_back(one_thread_primitive(with_batch(s, per_slice + 1)));
  } catch (...) {
    restore();
    throw;
  }
  const memory::desc layout = made[0].pd.diff_weights_desc();
  if (made.size() > 1 && !(made[1].pd.diff_weights_desc() == layout)) {
    restore();
    return whole(s, x, dy, dw);
  }
  const size_t size = layout.get_size() / sizeof(float);
  std::vector<float>& partial = partials();
  if (partial.size() < size * slices) partial.resize(size * slices);
  const int64_t x_image = s.src.dims()[1] * s.src.dims()[2] * s.src.dims()[3];
  const int64_t dy_image = s.dst.dims()[1] * s.dst.dims()[2] * s.dst.dims()[3];
  bool failed = false;
  std::string error;
#pragma omp parallel num_threads(slices)
  {
    const int slice = omp_get_thread_num();
    // The first `longer` slices take one image more.
    const int64_t first = slice * per_slice + std::min<int64_t>(slice, longer);
    const int which = slice < longer ? 1 : 0;
    try {
      auto& eng = cpu_engine();
      dnnl::stream strm(eng);
      const auto& pd = made[which].pd;
      made[which].primitive.execute(strm, {{DNNL_ARG_SRC, memory(pd.src_desc(), eng, x + first * x_image)},
                                       {DNNL_ARG_DIFF_DST, memory(pd.diff_dst_desc(), eng, dy + first * dy_image)},
                                       {DNNL_ARG_DIFF_WEIGHTS, memory(layout, eng, partial.data() + slice * size)}});
      strm.wait();
    } catch (const std::exception& e) {
#pragma omp critical
      if (!failed) {
        failed = true;
        error = e.what();
      }
    }
#pragma omp barrier
    // The threads add the slices' gradients into slice 0's, each value in slice order.
#pragma omp for schedule(static)
    for (size_t i = 0; i < size; i++) {
      float sum = partial[i];
      for (int k = 1; k < slices; k++) sum += partial[k * size + i];
      partial[i] = sum;
    }
  }
  restore();
  if (failed) throw std::runtime_error(error);
  if (layout == s.weights) std::copy(partial.begin(), partial.begin() + size, dw);
  else reorder(memory(layout, cpu_engine(), partial.data()), memory(s.weights, cpu_engine(), dw));
}

}  // namespace loupe
