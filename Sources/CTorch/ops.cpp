// ops.cpp — element-wise ops, linear algebra, reductions, shape and indexing.
#include <ATen/WrapDimUtils.h>
#include <ATen/core/grad_mode.h>

#include "internal.h"

using namespace mt;

namespace {

at::Tensor unary(mt_unary_op op, const at::Tensor &a) {
  switch (op) {
    case MT_NEG: return at::neg(a);
    case MT_EXP: return at::exp(a);
    case MT_LOG: return at::log(a);
    case MT_LOG1P: return at::log1p(a);
    case MT_EXPM1: return at::expm1(a);
    case MT_SQRT: return at::sqrt(a);
    case MT_RSQRT: return at::rsqrt(a);
    case MT_ABS: return at::abs(a);
    case MT_SIN: return at::sin(a);
    case MT_COS: return at::cos(a);
    case MT_TANH: return at::tanh(a);
    case MT_SIGMOID: return at::sigmoid(a);
    case MT_RELU: return at::relu(a);
    case MT_SILU: return at::silu(a);
    case MT_GELU: return at::gelu(a, "none");
    case MT_GELU_TANH: return at::gelu(a, "tanh");
    case MT_SQUARE: return at::square(a);
    case MT_RECIPROCAL: return at::reciprocal(a);
    case MT_ERF: return at::erf(a);
    case MT_SIGN: return at::sign(a);
    case MT_FLOOR: return at::floor(a);
    case MT_CEIL: return at::ceil(a);
    case MT_ROUND: return at::round(a);
    case MT_LOGICAL_NOT: return at::logical_not(a);
    case MT_ISNAN: return at::isnan(a);
    case MT_ISINF: return at::isinf(a);
    case MT_ISFINITE: return at::isfinite(a);
    case MT_SOFTPLUS: return at::softplus(a, 1, 20);
    case MT_LOG2: return at::log2(a);
    case MT_BITWISE_NOT: return at::bitwise_not(a);
    case MT_TRUNC: return at::trunc(a);
  }
  TORCH_CHECK(false, "unknown unary op ", static_cast<int>(op));
}

at::Tensor binary(mt_binary_op op, const at::Tensor &a, const at::Tensor &b) {
  switch (op) {
    case MT_ADD: return at::add(a, b);
    case MT_SUB: return at::sub(a, b);
    case MT_MUL: return at::mul(a, b);
    case MT_DIV: return at::div(a, b);
    case MT_POW: return at::pow(a, b);
    case MT_MAXIMUM: return at::maximum(a, b);
    case MT_MINIMUM: return at::minimum(a, b);
    case MT_REMAINDER: return at::remainder(a, b);
    case MT_FLOOR_DIVIDE: return at::floor_divide(a, b);
    case MT_EQ: return at::eq(a, b);
    case MT_NE: return at::ne(a, b);
    case MT_LT: return at::lt(a, b);
    case MT_LE: return at::le(a, b);
    case MT_GT: return at::gt(a, b);
    case MT_GE: return at::ge(a, b);
    case MT_LOGICAL_AND: return at::logical_and(a, b);
    case MT_LOGICAL_OR: return at::logical_or(a, b);
    case MT_LOGICAL_XOR: return at::logical_xor(a, b);
    case MT_ATAN2: return at::atan2(a, b);
    case MT_BITWISE_AND: return at::bitwise_and(a, b);
    case MT_BITWISE_OR: return at::bitwise_or(a, b);
    case MT_BITWISE_XOR: return at::bitwise_xor(a, b);
  }
  TORCH_CHECK(false, "unknown binary op ", static_cast<int>(op));
}

void binary_inplace(mt_binary_op op, at::Tensor &a, const at::Tensor &b) {
  switch (op) {
    case MT_ADD: a.add_(b); return;
    case MT_SUB: a.sub_(b); return;
    case MT_MUL: a.mul_(b); return;
    case MT_DIV: a.div_(b); return;
    case MT_POW: a.pow_(b); return;
    case MT_REMAINDER: a.remainder_(b); return;
    case MT_FLOOR_DIVIDE: a.floor_divide_(b); return;
    default: a.copy_(binary(op, a, b)); return;
  }
}

// A Swift scalar as PyTorch's Python scalars behave: a "wrapped number" 0-d tensor that does not take
// part in dtype promotion beyond its category (int / float).
at::Tensor wrapped(mt_scalar_value s, const at::Tensor &like) {
  auto t = s.is_integer ? at::scalar_tensor(static_cast<int64_t>(s.value), at::device(like.device()).dtype(at::kLong))
                        : at::scalar_tensor(s.value, at::device(like.device()).dtype(at::kDouble));
  t.unsafeGetTensorImpl()->set_wrapped_number(true);
  return t;
}

std::optional<at::IntArrayRef> opt_dims(const int64_t *d, int64_t n) {
  if (d == nullptr || n == 0) return std::nullopt;
  return dims(d, n);
}

std::vector<int64_t> all_dims(const at::Tensor &t) {
  std::vector<int64_t> v(static_cast<size_t>(t.dim()));
  for (int64_t i = 0; i < t.dim(); ++i) v[static_cast<size_t>(i)] = i;
  return v;
}

int64_t fill_outputs(const std::vector<at::Tensor> &parts, mt_tensor *out, int64_t capacity) {
  TORCH_CHECK(static_cast<int64_t>(parts.size()) <= capacity, "split produced ", parts.size(),
              " parts, more than the ", capacity, " expected");
  for (size_t i = 0; i < parts.size(); ++i) out[i] = wrap(parts[i]);
  return static_cast<int64_t>(parts.size());
}

}  // namespace

extern "C" {

// MARK: element-wise

mt_tensor mt_unary(mt_unary_op op, mt_tensor a) { MT_GUARD(nullptr, return wrap(unary(op, T(a)));) }
mt_status mt_unary_(mt_unary_op op, mt_tensor a) {
  MT_GUARD(MT_ERROR, {
    T(a).copy_(unary(op, T(a)));
    return MT_OK;
  })
}
mt_tensor mt_binary(mt_binary_op op, mt_tensor a, mt_tensor b) {
  MT_GUARD(nullptr, return wrap(binary(op, T(a), T(b)));)
}
mt_tensor mt_binary_scalar(mt_binary_op op, mt_tensor a, mt_scalar_value s, bool scalar_first) {
  MT_GUARD(nullptr, {
    const at::Tensor &t = T(a);
    switch (op) {  // the common cases without a scalar tensor
      case MT_ADD: if (!scalar_first) return wrap(at::add(t, scalar(s))); break;
      case MT_MUL: return wrap(at::mul(t, scalar(s)));
      case MT_SUB: return wrap(scalar_first ? at::rsub(t, scalar(s)) : at::sub(t, scalar(s)));
      case MT_DIV: if (!scalar_first) return wrap(at::div(t, scalar(s))); break;
      case MT_POW: return wrap(scalar_first ? at::pow(scalar(s), t) : at::pow(t, scalar(s)));
      default: break;
    }
    auto w = wrapped(s, t);
    return wrap(scalar_first ? binary(op, w, t) : binary(op, t, w));
  })
}
mt_status mt_binary_(mt_binary_op op, mt_tensor a, mt_tensor b) {
  MT_GUARD(MT_ERROR, {
    binary_inplace(op, T(a), T(b));
    return MT_OK;
  })
}
mt_status mt_binary_scalar_(mt_binary_op op, mt_tensor a, mt_scalar_value s) {
  MT_GUARD(MT_ERROR, {
    binary_inplace(op, T(a), wrapped(s, T(a)));
    return MT_OK;
  })
}
mt_status mt_add_scaled_(mt_tensor a, mt_tensor b, double alpha) {
  MT_GUARD(MT_ERROR, {
    T(a).add_(T(b), alpha);
    return MT_OK;
  })
}
mt_tensor mt_clamp(mt_tensor a, double min, double max, bool has_min, bool has_max) {
  MT_GUARD(nullptr, {
    std::optional<at::Scalar> lo, hi;
    if (has_min) lo = min;
    if (has_max) hi = max;
    return wrap(at::clamp(T(a), lo, hi));
  })
}
mt_tensor mt_where(mt_tensor cond, mt_tensor a, mt_tensor b) {
  MT_GUARD(nullptr, return wrap(at::where(T(cond), T(a), T(b)));)
}
mt_tensor mt_where_scalar(mt_tensor cond, mt_tensor a, double b) {
  MT_GUARD(nullptr, return wrap(at::where(T(cond), T(a), at::Scalar(b)));)
}
mt_tensor mt_masked_fill(mt_tensor a, mt_tensor mask, mt_scalar_value value) {
  MT_GUARD(nullptr, return wrap(at::masked_fill(T(a), T(mask), scalar(value)));)
}
mt_tensor mt_lerp(mt_tensor a, mt_tensor b, double weight) {
  MT_GUARD(nullptr, return wrap(at::lerp(T(a), T(b), weight));)
}
mt_status mt_copy_(mt_tensor dst, mt_tensor src) {
  MT_GUARD(MT_ERROR, {
    T(dst).copy_(T(src));
    return MT_OK;
  })
}
mt_status mt_fill_(mt_tensor t, mt_scalar_value value) {
  MT_GUARD(MT_ERROR, {
    T(t).fill_(scalar(value));
    return MT_OK;
  })
}
mt_status mt_zero_(mt_tensor t) {
  MT_GUARD(MT_ERROR, {
    T(t).zero_();
    return MT_OK;
  })
}
mt_tensor mt_to(mt_tensor t, mt_dtype dtype, mt_device dev, bool copy) {
  MT_GUARD(nullptr, return wrap(T(t).to(device(dev), scalar_type(dtype), false, copy));)
}
mt_tensor mt_clone(mt_tensor t) { MT_GUARD(nullptr, return wrap(T(t).clone());) }
bool mt_equal(mt_tensor a, mt_tensor b) { MT_GUARD(false, return at::equal(T(a), T(b));) }
bool mt_allclose(mt_tensor a, mt_tensor b, double rtol, double atol, bool equal_nan) {
  MT_GUARD(false, return at::allclose(T(a), T(b), rtol, atol, equal_nan);)
}

// MARK: linear algebra

mt_tensor mt_matmul(mt_tensor a, mt_tensor b) { MT_GUARD(nullptr, return wrap(at::matmul(T(a), T(b)));) }
mt_tensor mt_bmm(mt_tensor a, mt_tensor b) { MT_GUARD(nullptr, return wrap(at::bmm(T(a), T(b)));) }
mt_tensor mt_linear(mt_tensor x, mt_tensor weight, mt_tensor bias) {
  MT_GUARD(nullptr, return wrap(mt::linear(T(x), T(weight), optional(bias)));)
}
mt_tensor mt_outer(mt_tensor a, mt_tensor b) { MT_GUARD(nullptr, return wrap(at::outer(T(a), T(b)));) }

// MARK: reductions

mt_tensor mt_reduce(mt_reduce_op op, mt_tensor t, const int64_t *d, int64_t n, bool keepdim) {
  MT_GUARD(nullptr, {
    const at::Tensor &x = T(t);
    bool all = (d == nullptr || n == 0);
    std::vector<int64_t> every = all ? all_dims(x) : std::vector<int64_t>();
    at::IntArrayRef ds = all ? at::IntArrayRef(every) : dims(d, n);
    switch (op) {
      case MT_SUM: return wrap(all && !keepdim ? at::sum(x) : at::sum(x, ds, keepdim));
      case MT_MEAN: return wrap(all && !keepdim ? at::mean(x) : at::mean(x, ds, keepdim));
      case MT_PROD: {
        if (all && !keepdim) return wrap(at::prod(x));
        TORCH_CHECK(ds.size() == 1, "prod reduces over one dimension at a time");
        return wrap(at::prod(x, ds[0], keepdim));
      }
      case MT_AMAX: return wrap(at::amax(x, ds, keepdim));
      case MT_AMIN: return wrap(at::amin(x, ds, keepdim));
      case MT_LOGSUMEXP: return wrap(at::logsumexp(x, ds, keepdim));
      case MT_ALL: return wrap(all && !keepdim ? at::all(x) : at::all(x, ds, keepdim));
      case MT_ANY: return wrap(all && !keepdim ? at::any(x) : at::any(x, ds, keepdim));
    }
    TORCH_CHECK(false, "unknown reduction ", static_cast<int>(op));
  })
}
mt_tensor mt_sum_to_dtype(mt_tensor t, mt_dtype dtype) {
  MT_GUARD(nullptr, return wrap(at::sum(T(t), scalar_type(dtype)));)
}
mt_tensor mt_var(mt_tensor t, const int64_t *d, int64_t n, double correction, bool keepdim) {
  MT_GUARD(nullptr, return wrap(at::var(T(t), opt_dims(d, n), at::Scalar(correction), keepdim));)
}
mt_tensor mt_std(mt_tensor t, const int64_t *d, int64_t n, double correction, bool keepdim) {
  MT_GUARD(nullptr, return wrap(at::std(T(t), opt_dims(d, n), at::Scalar(correction), keepdim));)
}
mt_tensor mt_norm(mt_tensor t, double p, const int64_t *d, int64_t n, bool keepdim) {
  MT_GUARD(nullptr, return wrap(at::linalg_vector_norm(T(t), p, opt_dims(d, n), keepdim));)
}
mt_status mt_max_dim(mt_tensor t, int64_t dim, bool keepdim, mt_tensor *values, mt_tensor *indices) {
  MT_GUARD(MT_ERROR, {
    auto [v, i] = at::max(T(t), dim, keepdim);
    *values = wrap(std::move(v));
    *indices = wrap(std::move(i));
    return MT_OK;
  })
}
mt_status mt_min_dim(mt_tensor t, int64_t dim, bool keepdim, mt_tensor *values, mt_tensor *indices) {
  MT_GUARD(MT_ERROR, {
    auto [v, i] = at::min(T(t), dim, keepdim);
    *values = wrap(std::move(v));
    *indices = wrap(std::move(i));
    return MT_OK;
  })
}
mt_tensor mt_argmax(mt_tensor t, int64_t dim, bool has_dim, bool keepdim) {
  MT_GUARD(nullptr, return wrap(at::argmax(T(t), has_dim ? std::optional<int64_t>(dim) : std::nullopt, keepdim));)
}
mt_tensor mt_argmin(mt_tensor t, int64_t dim, bool has_dim, bool keepdim) {
  MT_GUARD(nullptr, return wrap(at::argmin(T(t), has_dim ? std::optional<int64_t>(dim) : std::nullopt, keepdim));)
}
mt_tensor mt_cumsum(mt_tensor t, int64_t dim) { MT_GUARD(nullptr, return wrap(at::cumsum(T(t), dim));) }

// MARK: shape

mt_tensor mt_reshape(mt_tensor t, const int64_t *s, int64_t n) {
  MT_GUARD(nullptr, return wrap(T(t).reshape(dims(s, n)));)
}
mt_tensor mt_view(mt_tensor t, const int64_t *s, int64_t n) { MT_GUARD(nullptr, return wrap(T(t).view(dims(s, n)));) }
mt_tensor mt_permute(mt_tensor t, const int64_t *d, int64_t n) {
  MT_GUARD(nullptr, return wrap(T(t).permute(dims(d, n)));)
}
mt_tensor mt_transpose(mt_tensor t, int64_t d0, int64_t d1) { MT_GUARD(nullptr, return wrap(T(t).transpose(d0, d1));) }
mt_tensor mt_contiguous(mt_tensor t) { MT_GUARD(nullptr, return wrap(T(t).contiguous());) }
mt_tensor mt_squeeze(mt_tensor t, int64_t dim, bool has_dim) {
  MT_GUARD(nullptr, return wrap(has_dim ? T(t).squeeze(dim) : T(t).squeeze());)
}
mt_tensor mt_unsqueeze(mt_tensor t, int64_t dim) { MT_GUARD(nullptr, return wrap(T(t).unsqueeze(dim));) }
mt_tensor mt_flatten(mt_tensor t, int64_t start, int64_t end) {
  MT_GUARD(nullptr, return wrap(T(t).flatten(start, end));)
}
mt_tensor mt_expand(mt_tensor t, const int64_t *s, int64_t n) {
  MT_GUARD(nullptr, return wrap(T(t).expand(dims(s, n)));)
}
mt_tensor mt_repeat(mt_tensor t, const int64_t *r, int64_t n) {
  MT_GUARD(nullptr, return wrap(T(t).repeat(dims(r, n)));)
}
mt_tensor mt_cat(const mt_tensor *ts, int64_t n, int64_t dim) { MT_GUARD(nullptr, return wrap(at::cat(list(ts, n), dim));) }
mt_tensor mt_stack(const mt_tensor *ts, int64_t n, int64_t dim) {
  MT_GUARD(nullptr, return wrap(at::stack(list(ts, n), dim));)
}
int64_t mt_split(mt_tensor t, int64_t size, int64_t dim, mt_tensor *out, int64_t capacity) {
  MT_GUARD(-1, return fill_outputs(at::split(T(t), size, dim), out, capacity);)
}
int64_t mt_split_sizes(mt_tensor t, const int64_t *sizes, int64_t n, int64_t dim, mt_tensor *out) {
  MT_GUARD(-1, return fill_outputs(at::split_with_sizes(T(t), dims(sizes, n), dim), out, n);)
}
int64_t mt_chunk(mt_tensor t, int64_t chunks, int64_t dim, mt_tensor *out, int64_t capacity) {
  MT_GUARD(-1, return fill_outputs(at::chunk(T(t), chunks, dim), out, capacity);)
}
mt_tensor mt_tril(mt_tensor t, int64_t diagonal) { MT_GUARD(nullptr, return wrap(at::tril(T(t), diagonal));) }
mt_tensor mt_triu(mt_tensor t, int64_t diagonal) { MT_GUARD(nullptr, return wrap(at::triu(T(t), diagonal));) }
mt_tensor mt_flip(mt_tensor t, const int64_t *d, int64_t n) { MT_GUARD(nullptr, return wrap(at::flip(T(t), dims(d, n)));) }

// MARK: indexing

mt_tensor mt_select(mt_tensor t, int64_t dim, int64_t index) { MT_GUARD(nullptr, return wrap(T(t).select(dim, index));) }
mt_tensor mt_slice(mt_tensor t, int64_t dim, int64_t start, int64_t end, int64_t step) {
  MT_GUARD(nullptr, return wrap(T(t).slice(dim, start, end, step));)
}
mt_tensor mt_narrow(mt_tensor t, int64_t dim, int64_t start, int64_t length) {
  MT_GUARD(nullptr, return wrap(T(t).narrow(dim, start, length));)
}
mt_tensor mt_index_select(mt_tensor t, int64_t dim, mt_tensor index) {
  MT_GUARD(nullptr, return wrap(at::index_select(T(t), dim, T(index)));)
}
mt_tensor mt_index(mt_tensor t, const mt_tensor *indices, int64_t n) {
  MT_GUARD(nullptr, {
    c10::List<std::optional<at::Tensor>> idx;
    for (int64_t i = 0; i < n; ++i) idx.push_back(optional(indices[i]));
    return wrap(at::index(T(t), idx));
  })
}
mt_status mt_index_put_(mt_tensor t, const mt_tensor *indices, int64_t n, mt_tensor values, bool accumulate) {
  MT_GUARD(MT_ERROR, {
    c10::List<std::optional<at::Tensor>> idx;
    for (int64_t i = 0; i < n; ++i) idx.push_back(optional(indices[i]));
    T(t).index_put_(idx, T(values), accumulate);
    return MT_OK;
  })
}
mt_tensor mt_gather(mt_tensor t, int64_t dim, mt_tensor index) {
  MT_GUARD(nullptr, return wrap(at::gather(T(t), dim, T(index)));)
}
mt_tensor mt_scatter(mt_tensor t, int64_t dim, mt_tensor index, mt_tensor src) {
  MT_GUARD(nullptr, return wrap(at::scatter(T(t), dim, T(index), T(src)));)
}
mt_tensor mt_scatter_add(mt_tensor t, int64_t dim, mt_tensor index, mt_tensor src) {
  MT_GUARD(nullptr, return wrap(at::scatter_add(T(t), dim, T(index), T(src)));)
}
mt_tensor mt_index_add(mt_tensor t, int64_t dim, mt_tensor index, mt_tensor src, double alpha) {
  MT_GUARD(nullptr, return wrap(at::index_add(T(t), dim, T(index), T(src), alpha));)
}
mt_tensor mt_embedding(mt_tensor weight, mt_tensor indices, int64_t padding_idx) {
  MT_GUARD(nullptr, return wrap(at::embedding(T(weight), T(indices), padding_idx));)
}
mt_tensor mt_embedding_bag(mt_tensor weight, mt_tensor indices, mt_tensor offsets, mt_bag_mode mode,
                           mt_tensor per_sample_weights) {
  MT_GUARD(nullptr, {
    auto result = at::embedding_bag(T(weight), T(indices), T(offsets), false, static_cast<int64_t>(mode), false,
                                    optional(per_sample_weights), false);
    return wrap(std::get<0>(result));
  })
}
mt_status mt_topk(mt_tensor t, int64_t k, int64_t dim, bool largest, bool sorted, mt_tensor *values,
                  mt_tensor *indices) {
  MT_GUARD(MT_ERROR, {
    auto [v, i] = at::topk(T(t), k, dim, largest, sorted);
    *values = wrap(std::move(v));
    *indices = wrap(std::move(i));
    return MT_OK;
  })
}
mt_status mt_sort(mt_tensor t, int64_t dim, bool descending, bool stable, mt_tensor *values, mt_tensor *indices) {
  MT_GUARD(MT_ERROR, {
    auto [v, i] = at::sort(T(t), stable, dim, descending);
    *values = wrap(std::move(v));
    *indices = wrap(std::move(i));
    return MT_OK;
  })
}
mt_tensor mt_argsort(mt_tensor t, int64_t dim, bool descending, bool stable) {
  MT_GUARD(nullptr, return wrap(at::argsort(T(t), stable, dim, descending));)
}
mt_status mt_unique(mt_tensor t, bool sorted, mt_tensor *values, mt_tensor *counts) {
  MT_GUARD(MT_ERROR, {
    auto [v, inverse, c] = at::_unique2(T(t), sorted, false, true);
    *values = wrap(std::move(v));
    *counts = wrap(std::move(c));
    return MT_OK;
  })
}
mt_tensor mt_bincount(mt_tensor t, mt_tensor weights, int64_t minlength) {
  MT_GUARD(nullptr, return wrap(at::bincount(T(t), optional(weights), minlength));)
}
mt_tensor mt_one_hot(mt_tensor t, int64_t num_classes) { MT_GUARD(nullptr, return wrap(at::one_hot(T(t), num_classes));) }
mt_tensor mt_nonzero(mt_tensor t) { MT_GUARD(nullptr, return wrap(at::nonzero(T(t)));) }

}  // extern "C"
