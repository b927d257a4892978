// The rest of a training step's ops (tensor_ops.cc, zip_ops.cc, reduce_ops.cc, tile_ops.cc,
// layer_ops.cc): element-wise maps and broadcasting binary ops (optimiser and loss arithmetic,
// comparisons, the activations' gradients), reductions over any axes, tiling, max pooling,
// nearest-neighbour resizing and its gradient, one-hot, and Adam's fused in-place update. Shapes
// arrive as strides, so one loop serves every broadcast.
#pragma once

#include <cstdint>
#include <vector>

namespace loupe {

constexpr int MAX_RANK = 8;

// An output of `shape` walked row by row (the last axis), with each input's element strides per
// axis (0 where it broadcasts).
struct Walk {
  int rank;
  int64_t shape[MAX_RANK];
  int64_t strides[3][MAX_RANK];
  int64_t size() const {
    int64_t n = 1;
    for (int d = 0; d < rank; d++) n *= shape[d];
    return n;
  }
};

enum class MapOp {
  Neg = 0, Square, Sqrt, Rsqrt, Exp, Log, Sigmoid, Softplus, Abs, Clip, Fill, Relu, Step, Relu6, Reciprocal, Copy
};
enum class ZipOp {
  Add = 0, Sub, Mul, Div, Max, Min, Pow, SquaredDifference,
  Less, LessEqual, Greater, GreaterEqual, Equal, NotEqual, LogicalAnd, LogicalOr,
  // a · step(b) and a · (b ≤ 6) · step(b): the gradients of ReLU and ReLU6 from dy and x in one
  // pass (tfjs makes the mask, then a product).
  ReluGrad, Relu6Grad
};
enum class ReduceOp { Sum = 0, Mean, Max, Min, Prod };
enum class Element { F32 = 0, U8 = 1, I32 = 2 };

// out = f(x), x of any element type (read as float), out float32 (or uint8 for Copy to bool).
void map(MapOp op, Element x_type, const void* x, Element out_type, void* out, int64_t size, float alpha, float beta);

// out = a op b over `walk`; a and b float32 or both uint8 (logical ops); out float32 or uint8.
void zip(ZipOp op, Element in_type, const void* a, const void* b, Element out_type, void* out, const Walk& walk);

// out = cond ? a : b, cond uint8, a/b/out float32, over `walk` (strides: cond, a, b).
void select(const uint8_t* cond, const float* a, const float* b, float* out, const Walk& walk);

// Reduces x (`shape`, `rank` axes) over the axes flagged in `reduced` into out (the kept axes in order).
void reduce(ReduceOp op, const float* x, float* out, int rank, const int64_t* shape, const bool* reduced);

// out (walk.shape) from x: each axis' index taken modulo `modulus`, then through walk.strides[0].
void tile(const void* x, void* out, int element_size, const Walk& walk, const int64_t* modulus);

struct PoolShape;
void max_pool(const float* x, float* y, const PoolShape& shape);

struct ResizeShape {
  int64_t batch, in_height, in_width, channels, out_height, out_width;
  bool align_corners, half_pixel_centers;
};
void resize_nearest(const float* x, float* y, const ResizeShape& shape);
// dx += each dy value at the source pixel the forward pass read it from.
void resize_nearest_grad(const float* dy, float* dx, const ResizeShape& shape);

void one_hot(const int32_t* indices, Element out_type, void* out, int64_t count, int64_t depth, float on, float off);

// Constants as the JavaScript optimiser rounds them to float32 tensors.
struct AdamStep {
  float beta1, one_minus_beta1, beta2, one_minus_beta2, epsilon, step_size, bias2_sqrt, l2_decay, decay_factor;
  bool l2, decoupled;
};
// torch.optim.Adam / AdamW, term for term as ml/optim/optimizers.ts writes it, in place.
void adam(float* p, const float* g, float* m, float* v, int64_t size, const AdamStep& s);

}  // namespace loupe
