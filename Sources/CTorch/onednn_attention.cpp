// onednn_attention.cpp — causal self-attention over short sequences on the CPU, materialised: S = scale·Q Kᵀ, causal
// mask, P = softmax(S), O = P V, with the three matmuls of the forward and four of the backward on oneDNN (onednn.cpp).
//
// Why: for short sequences libtorch's CPU flash-attention kernel is slow. At shakespeare-char-cpu's shapes (12 × 4
// heads of 64 positions × 32) the profiler measured its forward and backward at 1.5 ms per layer, and this path at
// 0.7 ms. Holding P costs T × T values per head against the output's T × D, T / D times its memory. So the path is
// taken only up to kMaxPositions (4× the output at T = 256, D = 64). Longer sequences, masks, dropout, other dtypes
// and autocast go to at::scaled_dot_product_attention as before.
//
// Backward (the softmax's as ATen computes it): dV = Pᵀ dO, dP = dO Vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)),
// dQ = scale·dS K, dK = scale·dSᵀ Q.
#include <ATen/record_function.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cmath>

#include "internal.h"

namespace {

constexpr int64_t kMaxPositions = 256;

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// (T, T): true above the diagonal (the future positions a query may not see).
at::Tensor future_positions(int64_t t) {
  thread_local at::Tensor cached;
  if (!cached.defined() || cached.size(0) != t) cached = at::ones({t, t}, at::kBool).triu(1);
  return cached;
}

struct CausalAttention : public torch::autograd::Function<CausalAttention> {
  // q, k, v (B, H, T, D) → (B, H, T, D); inside, the heads are one batch dimension N = B·H.
  static at::Tensor forward(AutogradContext *ctx, const at::Tensor &query, const at::Tensor &key,
                            const at::Tensor &value, double scale) {
    RECORD_FUNCTION("mnemo::onednn_causal_attention", std::vector<c10::IValue>({query, key, value}));
    const auto shape = query.sizes().vec();
    const int64_t t = query.size(2);
    const auto q = query.reshape({-1, t, query.size(3)}), k = key.reshape({-1, t, key.size(3)});   // (N, T, D)
    const auto v = value.reshape({-1, t, value.size(3)});                                          // (N, T, D)
    auto scores = mt::onednn_mm(q, k.transpose(1, 2), static_cast<float>(scale));               // (N, T, T)
    scores.masked_fill_(future_positions(t), -std::numeric_limits<float>::infinity());
    const auto p = at::_softmax(scores, -1, false);                                              // (N, T, T)
    ctx->save_for_backward({q, k, v, p});
    ctx->saved_data["scale"] = scale;
    return mt::onednn_mm(p, v).view({shape[0], shape[1], t, value.size(3)});                    // (B, H, T, D)
  }

  static variable_list backward(AutogradContext *ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto &q = saved[0], &k = saved[1], &v = saved[2], &p = saved[3];
    const auto scale = static_cast<float>(ctx->saved_data["scale"].toDouble());
    const auto &grad_out = grad_outputs[0];                                                      // (B, H, T, D)
    const auto shape = grad_out.sizes();
    const auto g = grad_out.reshape({-1, shape[2], shape[3]});                                   // (N, T, D)
    const auto grad_v = mt::onednn_mm(p.transpose(1, 2), g);                                     // (N, T, D)
    const auto grad_p = mt::onednn_mm(g, v.transpose(1, 2));                                     // (N, T, T)
    const auto grad_s = at::_softmax_backward_data(grad_p, p, -1, at::kFloat);                   // (N, T, T); 0 masked
    const auto grad_q = mt::onednn_mm(grad_s, k, scale);                                         // (N, T, D)
    const auto grad_k = mt::onednn_mm(grad_s.transpose(1, 2), q, scale);                         // (N, T, D)
    const auto heads = [&](const at::Tensor &t) { return t.view({shape[0], shape[1], shape[2], t.size(2)}); };
    return {heads(grad_q), heads(grad_k), heads(grad_v), at::Tensor()};
  }
};

bool takes_onednn_path(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v,
                       const std::optional<at::Tensor> &mask, double dropout_p, bool is_causal, bool enable_gqa) {
  if (!is_causal || mask || dropout_p > 0 || !mt::onednn_applies({&q, &k, &v})) return false;
  if (q.dim() != 4 || k.dim() != 4 || v.dim() != 4) return false;
  const int64_t positions = q.size(2);
  const bool heads_fit = q.size(1) == k.size(1) || (enable_gqa && q.size(1) % k.size(1) == 0);
  return positions > 1 && positions <= kMaxPositions && k.size(2) == positions && v.size(2) == positions
         && k.size(-1) == q.size(-1) && v.size(1) == k.size(1) && heads_fit && q.size(0) == k.size(0);
}

}  // namespace

namespace mt {

at::Tensor attention(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v, const std::optional<at::Tensor> &mask,
                     double dropout_p, bool is_causal, std::optional<double> scale, bool enable_gqa) {
  if (!takes_onednn_path(q, k, v, mask, dropout_p, is_causal, enable_gqa)) {
    return at::scaled_dot_product_attention(q, k, v, mask, dropout_p, is_causal, scale, enable_gqa);
  }
  const int64_t heads = q.size(1);
  auto keys = k, values = v;
  if (k.size(1) != heads) {                              // grouped-query: each key/value head serves H / K query heads
    keys = k.repeat_interleave(heads / k.size(1), 1);
    values = v.repeat_interleave(heads / k.size(1), 1);
  }
  const double s = scale.value_or(1.0 / std::sqrt(static_cast<double>(q.size(3))));
  return CausalAttention::apply(q, keys, values, s);   // (B, H, T, Dv)
}

}  // namespace mt
