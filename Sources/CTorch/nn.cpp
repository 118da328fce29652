// nn.cpp — neural-network functions, losses and optimizer kernels (fused / foreach where libtorch has them).
#include <ATen/core/grad_mode.h>

#include <cmath>

#include "internal.h"

using namespace mt;

extern "C" {

mt_tensor mt_softmax(mt_tensor t, int64_t dim) { MT_GUARD(nullptr, return wrap(at::softmax(T(t), dim));) }
mt_tensor mt_log_softmax(mt_tensor t, int64_t dim) { MT_GUARD(nullptr, return wrap(at::log_softmax(T(t), dim));) }

mt_tensor mt_layer_norm(mt_tensor x, const int64_t *shape, int64_t ndim, mt_tensor weight, mt_tensor bias,
                        double eps) {
  MT_GUARD(nullptr, return wrap(at::layer_norm(T(x), dims(shape, ndim), optional(weight), optional(bias), eps));)
}

mt_tensor mt_rms_norm(mt_tensor x, const int64_t *shape, int64_t ndim, mt_tensor weight, double eps, bool has_eps) {
  MT_GUARD(nullptr, {
    std::optional<double> e;
    if (has_eps) e = eps;
    return wrap(at::rms_norm(T(x), dims(shape, ndim), optional(weight), e));
  })
}

mt_tensor mt_scaled_dot_product_attention(mt_tensor q, mt_tensor k, mt_tensor v, mt_tensor attn_mask,
                                          double dropout_p, bool is_causal, double scale, bool enable_gqa) {
  MT_GUARD(nullptr, {
    std::optional<double> s;
    if (!std::isnan(scale)) s = scale;
    return wrap(mt::attention(T(q), T(k), T(v), optional(attn_mask), dropout_p, is_causal, s, enable_gqa));
  })
}

mt_tensor mt_cross_entropy(mt_tensor logits, mt_tensor target, mt_tensor weight, mt_reduction r,
                           int64_t ignore_index, double label_smoothing) {
  MT_GUARD(nullptr, return wrap(at::cross_entropy_loss(T(logits), T(target), optional(weight), reduction(r),
                                                       ignore_index, label_smoothing));)
}
mt_tensor mt_nll_loss(mt_tensor log_probs, mt_tensor target, mt_tensor weight, mt_reduction r,
                      int64_t ignore_index) {
  MT_GUARD(nullptr,
           return wrap(at::nll_loss_nd(T(log_probs), T(target), optional(weight), reduction(r), ignore_index));)
}
mt_tensor mt_kl_div(mt_tensor input, mt_tensor target, mt_reduction r, bool log_target) {
  MT_GUARD(nullptr, return wrap(at::kl_div(T(input), T(target), reduction(r), log_target));)
}
mt_tensor mt_mse_loss(mt_tensor a, mt_tensor b, mt_reduction r) {
  MT_GUARD(nullptr, return wrap(at::mse_loss(T(a), T(b), reduction(r)));)
}

// MARK: optimizer kernels — all run without recording autograd history.

mt_status mt_fused_adamw_(const mt_tensor *params, const mt_tensor *grads, const mt_tensor *exp_avgs,
                          const mt_tensor *exp_avg_sqs, const mt_tensor *state_steps, int64_t n, double lr,
                          double beta1, double beta2, double weight_decay, double eps, bool maximize) {
  MT_GUARD(MT_ERROR, {
    at::NoGradGuard no_grad;
    if (n == 0) return MT_OK;
    auto p = list(params, n), g = list(grads, n), m = list(exp_avgs, n), v = list(exp_avg_sqs, n);
    auto s = list(state_steps, n);
    at::_foreach_add_(s, 1);  // the kernel reads the step count; torch.optim increments it before calling
    at::_fused_adamw_(p, g, m, v, {}, s, lr, beta1, beta2, weight_decay, eps, false, maximize);
    return MT_OK;
  })
}

mt_status mt_fused_sgd_(const mt_tensor *params, const mt_tensor *grads, const mt_tensor *momentum_buffers,
                        int64_t n, double weight_decay, double momentum, double lr, double dampening, bool nesterov,
                        bool maximize, bool is_first_step) {
  MT_GUARD(MT_ERROR, {
    at::NoGradGuard no_grad;
    if (n == 0) return MT_OK;
    auto p = list(params, n), g = list(grads, n);
    std::vector<at::Tensor> b;
    if (momentum != 0) b = list(momentum_buffers, n);
    at::_fused_sgd_(p, g, b, weight_decay, momentum, lr, dampening, nesterov, maximize, is_first_step);
    return MT_OK;
  })
}

double mt_total_norm(const mt_tensor *grads, int64_t n, double p) {
  MT_GUARD(NAN, {
    at::NoGradGuard no_grad;
    if (n == 0) return 0.0;
    auto norms = at::_foreach_norm(list(grads, n), p);
    std::vector<at::Tensor> as_float;
    as_float.reserve(norms.size());
    for (auto &x : norms) as_float.push_back(x.to(at::kFloat));
    return at::linalg_vector_norm(at::stack(as_float), p).item<double>();
  })
}

mt_status mt_foreach_mul_scalar_(const mt_tensor *ts, int64_t n, double s) {
  MT_GUARD(MT_ERROR, {
    at::NoGradGuard no_grad;
    if (n > 0) at::_foreach_mul_(list(ts, n), at::Scalar(s));
    return MT_OK;
  })
}
mt_status mt_foreach_zero_(const mt_tensor *ts, int64_t n) {
  MT_GUARD(MT_ERROR, {
    at::NoGradGuard no_grad;
    if (n > 0) at::_foreach_zero_(list(ts, n));
    return MT_OK;
  })
}

}  // extern "C"
