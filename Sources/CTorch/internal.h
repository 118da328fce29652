// internal.h — shared by the shim's C++ files: the exception boundary and conversions between this
// shim's C types and ATen's. Never included from Swift.
#pragma once

#include <ATen/ATen.h>
#include <string>
#include <vector>

#include "ctorch.h"

namespace mt {

void set_error(const char *message);
void clear_error();

// The tensor behind a handle. NULL and undefined tensors are refused here, once for every function: libtorch
// throws from metadata calls on an undefined tensor and may read through it in a kernel, so a function given one
// fails (inside MT_GUARD) with this message before libtorch sees it. Only mt_defined looks at a handle without T.
inline at::Tensor &T(mt_tensor h) {
  TORCH_CHECK(h != nullptr, "NULL tensor handle");
  auto &t = *reinterpret_cast<at::Tensor *>(h);
  TORCH_CHECK(t.defined(), "undefined tensor (it holds no data)");
  return t;
}
inline mt_tensor wrap(at::Tensor &&t) { return reinterpret_cast<mt_tensor>(new at::Tensor(std::move(t))); }
inline mt_tensor wrap(const at::Tensor &t) { return reinterpret_cast<mt_tensor>(new at::Tensor(t)); }
inline std::optional<at::Tensor> optional(mt_tensor h) {
  if (h == nullptr) return std::nullopt;
  return T(h);
}
inline at::IntArrayRef dims(const int64_t *p, int64_t n) { return at::IntArrayRef(p, static_cast<size_t>(n)); }
std::vector<at::Tensor> list(const mt_tensor *hs, int64_t n);

// onednn.cpp: whether the oneDNN kernels may take these tensors — they are on (mt_set_cpu_onednn), autocast is off, and
// every tensor is a non-empty float32 CPU tensor. Each kernel adds its own conditions on shapes.
bool onednn_applies(std::initializer_list<const at::Tensor *> tensors);
// t itself when it is row-major or the transpose of row-major in its last two dims (what oneDNN reads as it is), else a
// contiguous copy.
at::Tensor plain(const at::Tensor &t);
// alpha · (a @ b) through oneDNN: (M, K) @ (K, N) or batched (B, M, K) @ (B, K, N), float32, into a new contiguous tensor.
at::Tensor onednn_mm(const at::Tensor &a, const at::Tensor &b, float alpha = 1.0f);
// at::matmul without autograd (for the insides of autograd functions), through onednn_mm for 2-D float32 CPU
// operands while the oneDNN kernels are on.
at::Tensor matmul(const at::Tensor &a, const at::Tensor &b);
// out = a @ b (accumulate: out += a @ b) for 2-D operands, written straight into out on the oneDNN path; else through
// at::matmul (following autocast) and a copy or add.
void matmul_into(const at::Tensor &out, const at::Tensor &a, const at::Tensor &b, bool accumulate);
// at::linear, through oneDNN's matmul (its own forward and backward) for float32 CPU tensors while it is on.
at::Tensor linear(const at::Tensor &x, const at::Tensor &weight, const std::optional<at::Tensor> &bias);
// at::scaled_dot_product_attention, or onednn_attention.cpp's causal attention where that applies.
at::Tensor attention(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v, const std::optional<at::Tensor> &mask,
                     double dropout_p, bool is_causal, std::optional<double> scale, bool enable_gqa);

at::ScalarType scalar_type(mt_dtype d);
mt_dtype to_mt(at::ScalarType s);
at::Device device(mt_device d);
at::TensorOptions options(mt_dtype d, mt_device dev);
inline at::Scalar scalar(mt_scalar_value s) {
  return s.is_integer ? at::Scalar(static_cast<int64_t>(s.value)) : at::Scalar(s.value);
}
int64_t reduction(mt_reduction r);

}  // namespace mt

// The one exception boundary: every exported function body runs inside MT_GUARD. A C++ exception becomes
// `fail` plus a per-thread message (libtorch's text without its C++ backtrace). The only exceptions are the
// functions that cannot throw (mt_free, mt_generator_free, mt_defined, mt_last_error, the version and backend
// strings) and mt_cuda_is_available / mt_cuda_device_count, which answer "no CUDA" to any failure on purpose.
// An extern "C" function that lets an exception escape does not return an error: the exception unwinds into Swift
// frames, which cannot catch it, and the process ends in std::terminate.
#define MT_GUARD(fail, ...)                                      \
  try {                                                          \
    mt::clear_error();                                           \
    __VA_ARGS__                                                  \
  } catch (const c10::Error &e) {                                \
    mt::set_error(e.what_without_backtrace());                   \
    return fail;                                                 \
  } catch (const std::exception &e) {                            \
    mt::set_error(e.what());                                     \
    return fail;                                                 \
  } catch (...) {                                                \
    mt::set_error("unknown C++ exception in libtorch");          \
    return fail;                                                 \
  }
