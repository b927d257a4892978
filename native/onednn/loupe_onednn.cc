// Loupe's native CPU kernels: the addon's module, its thread setting and its report. The kernels
// live by kind: products on oneDNN (product_bindings.cc, the filter gradient in
// filter_gradient.cc), memory-bound ops (memory_bindings.cc) and the rest of a training step
// (tensor_bindings.cc). Every kernel computes in place on Float32Arrays that the caller owns (in
// Loupe: views of the tfjs wasm backend's heap), so no tensor is copied on its way in or out.
// Plain N-API (node_api.h), no exceptions cross into JavaScript: every failure becomes a thrown
// JS Error.
#include <node_api.h>
#include <omp.h>

#include "executor.h"
#include "napi_args.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <string>

namespace {

// setThreads(n): the most threads oneDNN uses (OpenMP); 0 = all cores.
napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t threads = 0;
  if (argc > 0) napi_get_value_int32(env, argv[0], &threads);
  // OpenMP's thread count belongs to the thread that starts parallel regions: the executor's.
  loupe::run_native([threads] { omp_set_num_threads(threads > 0 ? threads : omp_get_num_procs()); });
  return nullptr;
}

// info(): { version, threads, isa, features } for the engine's report; `features` names what an
// addon built from older sources lacks, so that the TypeScript side asks only for what it has.
napi_value Info(napi_env env, napi_callback_info) {
  napi_value result, version, threads, isa, features, feature;
  napi_create_object(env, &result);
  const dnnl_version_t* v = dnnl_version();
  std::string text = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  napi_create_string_utf8(env, text.c_str(), text.size(), &version);
  int max_threads = 0;
  loupe::run_native([&max_threads] { max_threads = omp_get_max_threads(); });
  napi_create_int32(env, max_threads, &threads);
  std::string isa_name;
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::avx512_core_amx: isa_name = "avx512_core_amx"; break;
    case dnnl::cpu_isa::avx512_core_bf16: isa_name = "avx512_core_bf16"; break;
    case dnnl::cpu_isa::avx512_core_vnni: isa_name = "avx512_core_vnni"; break;
    case dnnl::cpu_isa::avx512_core: isa_name = "avx512_core"; break;
    case dnnl::cpu_isa::avx2_vnni: isa_name = "avx2_vnni"; break;
    case dnnl::cpu_isa::avx2: isa_name = "avx2"; break;
    case dnnl::cpu_isa::avx: isa_name = "avx"; break;
    case dnnl::cpu_isa::sse41: isa_name = "sse41"; break;
    default: isa_name = "other";
  }
  napi_create_string_utf8(env, isa_name.c_str(), isa_name.size(), &isa);
  napi_set_named_property(env, result, "version", version);
  napi_set_named_property(env, result, "threads", threads);
  napi_set_named_property(env, result, "isa", isa);
  napi_create_array_with_length(env, 1, &features);
  napi_create_string_utf8(env, "batch-norm-relu", NAPI_AUTO_LENGTH, &feature);
  napi_set_element(env, features, 0, feature);
  napi_set_named_property(env, result, "features", features);
  return result;
}

}  // namespace

NAPI_MODULE_INIT() {
  napi_property_descriptor methods[] = {
      {"conv", nullptr, loupe::Conv, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"matmul", nullptr, loupe::MatMul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sumRows", nullptr, loupe::SumRows, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPoolGrad", nullptr, loupe::MaxPoolGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"concat", nullptr, loupe::Concat, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"split", nullptr, loupe::Split, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"map", nullptr, loupe::Map, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"zip", nullptr, loupe::Zip, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"select", nullptr, loupe::Select, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduce", nullptr, loupe::Reduce, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"tile", nullptr, loupe::Tile, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPool", nullptr, loupe::MaxPool, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"resizeNearest", nullptr, loupe::ResizeNearest, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"oneHot", nullptr, loupe::OneHot, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adam", nullptr, loupe::Adam, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormTrain", nullptr, loupe::BatchNormTrain, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormTrainGrad", nullptr, loupe::BatchNormTrainGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(methods) / sizeof(methods[0]), methods);
  return exports;
}
