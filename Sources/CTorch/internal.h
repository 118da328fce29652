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

inline at::Tensor &T(mt_tensor h) { return *reinterpret_cast<at::Tensor *>(h); }
inline mt_tensor wrap(at::Tensor &&t) { return reinterpret_cast<mt_tensor>(new at::Tensor(std::move(t))); }
inline mt_tensor wrap(const at::Tensor &t) { return reinterpret_cast<mt_tensor>(new at::Tensor(t)); }
inline std::optional<at::Tensor> optional(mt_tensor h) {
  if (h == nullptr) return std::nullopt;
  return T(h);
}
inline at::IntArrayRef dims(const int64_t *p, int64_t n) { return at::IntArrayRef(p, static_cast<size_t>(n)); }
std::vector<at::Tensor> list(const mt_tensor *hs, int64_t n);

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
// `fail` plus a per-thread message (libtorch's text without its C++ backtrace).
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
