// onednn.cpp — float32 CPU matmuls through oneDNN instead of the BLAS that libtorch's mm calls, and the linear layer
// built on them (the attention built on them is in onednn_attention.cpp).
//
// Why: the torch wheel's float32 mm goes to MKL's sgemm. On the development machine's AMD EPYC that ran the presets'
// forward and backward products at 68–174 GFLOP/s; oneDNN (linked into the same libtorch, reached through ATen's
// exported at::native::mkldnn_matmul) ran the same products 1.2–2.7× faster, 1.93× in geometric mean
// (bench/bench_cpu_gemm.py, in PyTorch alone). The arithmetic is the same float32 multiply-add (oneDNN's default
// fpmath mode is strict: no bf16 rounding), summed in another order.
//
// Linear: y = x Wᵀ as one autograd function (+ b after it, by autograd): forward one matmul; backward grad_x = g W and
// grad_W = gᵀ x, with transposes passed as strides (oneDNN reads both layouts without a copy). Used for float32 CPU
// tensors outside autocast while mt_set_cpu_onednn(true); everything else goes to at::linear.
#include <ATen/autocast_mode.h>
#include <ATen/record_function.h>
#include <torch/csrc/autograd/custom_function.h>

#include <atomic>

#include "internal.h"

namespace at::native {
// ATen/native/mkldnn/Matmul.h (not installed with the wheel): result = beta·result + alpha·(mat1 @ mat2), 2-D or 3-D.
TORCH_API void mkldnn_matmul(const Tensor &mat1, const Tensor &mat2, const Tensor &result, float beta, float alpha);
}  // namespace at::native

namespace {

std::atomic<bool> onednn_enabled{false};

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct OneDnnLinear : public torch::autograd::Function<OneDnnLinear> {
  // x (N, in), weight (out, in) → (N, out). The bias is added outside (apply takes no undefined tensors).
  static at::Tensor forward(AutogradContext *ctx, const at::Tensor &x, const at::Tensor &weight) {
    RECORD_FUNCTION("mnemo::onednn_linear", std::vector<c10::IValue>({x, weight}));
    ctx->save_for_backward({x, weight});
    return mt::onednn_mm(x, weight.t());
  }

  static variable_list backward(AutogradContext *ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &weight = saved[1];
    const auto &g = grad_outputs[0];                                           // (N, out)
    at::Tensor grad_x, grad_w;
    if (ctx->needs_input_grad(0)) grad_x = mt::onednn_mm(g, weight);           // (N, in)
    if (ctx->needs_input_grad(1)) grad_w = mt::onednn_mm(g.t(), x);            // (out, in)
    return {grad_x, grad_w};
  }
};

bool takes_onednn_path(const at::Tensor &x, const at::Tensor &weight, const std::optional<at::Tensor> &bias) {
  if (bias && (!mt::onednn_applies({&*bias}) || bias->dim() != 1)) return false;
  return mt::onednn_applies({&x, &weight}) && x.dim() >= 1 && weight.dim() == 2 && x.size(-1) == weight.size(1);
}

}  // namespace

namespace mt {

bool onednn_applies(std::initializer_list<const at::Tensor *> tensors) {
  if (!onednn_enabled.load(std::memory_order_relaxed) || at::autocast::is_autocast_enabled(at::kCPU)) return false;
  for (const auto *t : tensors) {
    if (t->device().type() != at::kCPU || t->scalar_type() != at::kFloat || t->numel() == 0) return false;
  }
  return true;
}

at::Tensor plain(const at::Tensor &t) {
  if (t.is_contiguous() || t.transpose(-1, -2).is_contiguous()) return t;
  return t.contiguous();
}

at::Tensor onednn_mm(const at::Tensor &a, const at::Tensor &b, float alpha) {
  auto sizes = a.sizes().vec();
  sizes.back() = b.size(-1);
  auto out = at::empty(sizes, a.options());                                    // (M, N) or (B, M, N)
  at::native::mkldnn_matmul(plain(a), plain(b), out, 0.0f, alpha);
  return out;
}

at::Tensor matmul(const at::Tensor &a, const at::Tensor &b) {
  return a.dim() == 2 && b.dim() == 2 && onednn_applies({&a, &b}) ? onednn_mm(a, b) : at::matmul(a, b);
}

void matmul_into(const at::Tensor &out, const at::Tensor &a, const at::Tensor &b, bool accumulate) {
  if (a.dim() == 2 && b.dim() == 2 && onednn_applies({&a, &b, &out}) && out.is_contiguous()) {
    at::native::mkldnn_matmul(plain(a), plain(b), out, accumulate ? 1.0f : 0.0f, 1.0f);
  } else if (accumulate) {
    out.add_(at::matmul(a, b));
  } else {
    out.copy_(at::matmul(a, b));
  }
}

at::Tensor linear(const at::Tensor &x, const at::Tensor &weight, const std::optional<at::Tensor> &bias) {
  if (!takes_onednn_path(x, weight, bias)) return at::linear(x, weight, bias);
  auto y = OneDnnLinear::apply(x.dim() == 2 ? x : x.reshape({-1, x.size(-1)}), weight);   // (N, out)
  if (bias) y = y + *bias;
  if (x.dim() == 2) return y;
  auto sizes = x.sizes().vec();
  sizes.back() = weight.size(0);
  return y.view(sizes);
}

}  // namespace mt

extern "C" {

void mt_set_cpu_onednn(bool enabled) { onednn_enabled.store(enabled); }
bool mt_cpu_onednn(void) { return onednn_enabled.load(); }

}  // extern "C"
