{
  "targets": [
    {
      "target_name": "loupe_onednn",
      "sources": ["loupe_onednn.cc", "product_bindings.cc", "filter_gradient.cc", "memory_ops.cc", "memory_bindings.cc", "tensor_ops.cc", "zip_ops.cc", "tile_ops.cc", "layer_ops.cc", "reduce_ops.cc", "tensor_bindings.cc", "norm_ops.cc"],
      "cflags_cc": ["-std=c++17", "-O3", "-fno-math-errno", "-fopenmp", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "ldflags": ["-fopenmp"],
      "libraries": ["-ldnnl"],
      "include_dirs": ["/usr/local/include", "/opt/homebrew/include"],
      "library_dirs": ["/usr/local/lib", "/opt/homebrew/lib"]
    }
  ]
}
