// fused.cpp — fused kernels: what the unfused path spells as several libtorch calls, as one custom autograd function
// with its own forward and backward.
//
// Linear + cross-entropy in chunks of rows (the fused linear cross-entropy of Liger-Kernel): the mean over the targets
// ≠ ignore_index of logsumexp(h_i Wᵀ) − (h_i Wᵀ)[y_i]. For each chunk of rows the forward forms that chunk's logits
// (rows, V) in float32, its loss terms and — when a gradient is wanted — dlogits = (softmax − onehot(y)) / count (zero on
// ignored rows), from which grad_h (rows, C) and grad_W (V, C) accumulate at once. So neither the (N, V) logits nor
// their gradient ever exist whole, and no logits are recomputed: the backward only scales the stored gradients by the
// incoming one. On the CPU a chunk costs one exp per logit: its softmax (ATen's row kernel) gives the loss terms −log p(y)
// (the exact logsumexp for the rare rows where p(y) underflows to 0) and, in place, the gradient; on a GPU, where
// finding those rows would wait for the device, every row's logsumexp is formed too.
// Matmuls follow autocast where it is on (bf16 on CPU or CUDA), else go to oneDNN where mt::matmul
// sends float32 CPU matmuls (cpu_matmul = "onednn"); logits, softmax and the loss are float32.
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>

#include "internal.h"

using namespace mt;

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct ChunkedLinearCrossEntropy : public torch::autograd::Function<ChunkedLinearCrossEntropy> {
  static at::Tensor forward(AutogradContext *ctx, const at::Tensor &hidden, const at::Tensor &weight,
                            const at::Tensor &targets, int64_t ignore_index, int64_t chunk, bool need_grad) {
    const int64_t n = hidden.size(0);
    const auto valid = targets.ne(ignore_index);                               // (N)
    const auto count = valid.sum().to(at::kFloat);                             // 0-d: the mean's denominator
    const auto scale = at::reciprocal(at::clamp_min(count, 1));                // gradients of an all-ignored batch: 0
    auto total = at::zeros({}, hidden.options().dtype(at::kFloat));
    at::Tensor grad_hidden, grad_weight;
    if (need_grad) {
      grad_hidden = at::empty(hidden.sizes(), hidden.options().dtype(at::kFloat));
      grad_weight = at::zeros(weight.sizes(), weight.options().dtype(at::kFloat));
    }
    for (int64_t start = 0; start < n; start += chunk) {
      const int64_t rows = std::min(chunk, n - start);
      const auto h = hidden.narrow(0, start, rows);                            // (rows, C)
      const auto ok = valid.narrow(0, start, rows);                            // (rows)
      const auto y = targets.narrow(0, start, rows).masked_fill(ok.logical_not(), 0);   // ignored: any class
      const auto logits = mt::matmul(h, weight.t()).to(at::kFloat);            // (rows, V)
      auto p = at::_softmax(logits, 1, false);                                 // (rows, V): one exp per logit
      // −log p(y); where p(y) underflows (a logit gap past ~87) the exact logsumexp(logits) − logit(y) instead. On the
      // CPU only those rows are recomputed; elsewhere finding them would wait for the device, so every row's logsumexp
      // is formed and picked where needed.
      auto loss = p.gather(1, y.unsqueeze(1)).squeeze(1).log().neg_();         // (rows)
      if (logits.is_cpu()) {
        const auto lost = loss.isinf().nonzero().squeeze(1);
        if (lost.numel() > 0) {
          const auto z = logits.index_select(0, lost);
          loss.index_put_({lost}, at::logsumexp(z, {1}) - z.gather(1, y.index_select(0, lost).unsqueeze(1)).squeeze(1));
        }
      } else {
        const auto exact = at::logsumexp(logits, {1}) - logits.gather(1, y.unsqueeze(1)).squeeze(1);
        loss = at::where(loss.isinf(), exact, loss);
      }
      total.add_((loss * ok).sum());
      if (need_grad) {
        auto &d = p;                                                           // softmax − onehot(y), in place
        d.scatter_add_(1, y.unsqueeze(1), at::full({rows, 1}, -1.0, d.options()));
        d.mul_((ok.to(at::kFloat) * scale).unsqueeze(1));                      // ignored rows: 0; the mean's 1/count
        mt::matmul_into(grad_hidden.narrow(0, start, rows), d.to(weight.scalar_type()), weight, false);
        mt::matmul_into(grad_weight, d.t().to(h.scalar_type()), h, true);
      }
    }
    if (need_grad) {
      ctx->saved_data["grad_hidden"] = grad_hidden;
      ctx->saved_data["grad_weight"] = grad_weight;
    }
    return total / count;
  }

  static variable_list backward(AutogradContext *ctx, variable_list grad_outputs) {
    const auto g = grad_outputs[0];
    const auto grad_hidden = ctx->saved_data["grad_hidden"].toTensor();
    const auto grad_weight = ctx->saved_data["grad_weight"].toTensor();
    return {grad_hidden * g, grad_weight * g, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

extern "C" {

mt_tensor mt_linear_cross_entropy(mt_tensor hidden, mt_tensor weight, mt_tensor targets, int64_t ignore_index,
                                  int64_t chunk_rows) {
  MT_GUARD(nullptr, {
    const auto &h = T(hidden), &w = T(weight), &y = T(targets);
    TORCH_CHECK(h.dim() == 2 && w.dim() == 2 && y.dim() == 1, "linear cross-entropy takes hidden (N, C), weight (V, C), targets (N)");
    TORCH_CHECK(h.size(1) == w.size(1) && h.size(0) == y.size(0), "linear cross-entropy: hidden ", h.sizes(), ", weight ",
                w.sizes(), " and targets ", y.sizes(), " do not fit");
    const bool need_grad = at::GradMode::is_enabled() && (h.requires_grad() || w.requires_grad());
    return wrap(ChunkedLinearCrossEntropy::apply(h, w, y, ignore_index, std::max<int64_t>(chunk_rows, 1), need_grad));
  })
}

}  // extern "C"
