// core.cpp — errors, versions, tensor lifetime and metadata, creation, random generators, autograd.
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <ATen/autocast_mode.h>
#include <ATen/core/grad_mode.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/csrc/autograd/function.h>
#include <torch/headeronly/version.h>

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>

#include "internal.h"

// MARK: errors

namespace {
thread_local std::string last_error_message;
thread_local bool has_error = false;
}  // namespace

void mt::set_error(const char *message) {
  last_error_message = message ? message : "unknown error";
  has_error = true;
}
void mt::clear_error() { has_error = false; }

std::vector<at::Tensor> mt::list(const mt_tensor *hs, int64_t n) {
  std::vector<at::Tensor> v;
  v.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v.push_back(T(hs[i]));
  return v;
}

at::ScalarType mt::scalar_type(mt_dtype d) {
  switch (d) {
    case MT_FLOAT32: return at::kFloat;
    case MT_FLOAT64: return at::kDouble;
    case MT_BFLOAT16: return at::kBFloat16;
    case MT_FLOAT16: return at::kHalf;
    case MT_INT64: return at::kLong;
    case MT_INT32: return at::kInt;
    case MT_UINT8: return at::kByte;
    case MT_BOOL: return at::kBool;
    case MT_INT16: return at::kShort;
    case MT_INT8: return at::kChar;
    case MT_DTYPE_UNKNOWN: break;
  }
  TORCH_CHECK(false, "unknown mt_dtype ", static_cast<int>(d));
}

mt_dtype mt::to_mt(at::ScalarType s) {
  switch (s) {
    case at::kFloat: return MT_FLOAT32;
    case at::kDouble: return MT_FLOAT64;
    case at::kBFloat16: return MT_BFLOAT16;
    case at::kHalf: return MT_FLOAT16;
    case at::kLong: return MT_INT64;
    case at::kInt: return MT_INT32;
    case at::kByte: return MT_UINT8;
    case at::kBool: return MT_BOOL;
    case at::kShort: return MT_INT16;
    case at::kChar: return MT_INT8;
    default: TORCH_CHECK(false, "libtorch dtype ", s, " has no Mnemo DType");
  }
}

at::Device mt::device(mt_device d) {
  if (d.type == MT_CUDA) return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(d.index));
  return at::Device(at::kCPU);
}

at::TensorOptions mt::options(mt_dtype d, mt_device dev) {
  return at::TensorOptions().dtype(scalar_type(d)).device(device(dev));
}

int64_t mt::reduction(mt_reduction r) {
  switch (r) {
    case MT_REDUCTION_NONE: return at::Reduction::None;
    case MT_REDUCTION_MEAN: return at::Reduction::Mean;
    case MT_REDUCTION_SUM: return at::Reduction::Sum;
  }
  return at::Reduction::Mean;
}

using namespace mt;

namespace {
// What mt_get_device and mt_generator_device return on failure: no device has index -1.
constexpr mt_device no_device{MT_CPU, -1};
}  // namespace

extern "C" {

const char *mt_last_error(void) { return has_error ? last_error_message.c_str() : nullptr; }

const char *mt_compiled_version(void) { return TORCH_VERSION; }

const char *mt_runtime_version(void) {
  // The loaded library states its version in its build settings ("TORCH_VERSION=2.15.0, ...").
  static std::string version = [] {
    try {
      std::string config = at::show_config();
      auto at_pos = config.find("TORCH_VERSION=");
      if (at_pos == std::string::npos) return std::string();
      auto start = at_pos + std::strlen("TORCH_VERSION=");
      auto end = config.find_first_of(", \n", start);
      return config.substr(start, end - start);
    } catch (...) {
      return std::string();
    }
  }();
  return version.c_str();
}

const char *mt_runtime_config(void) {
  static std::string config = [] {
    try { return at::show_config(); } catch (...) { return std::string(); }
  }();
  return config.c_str();
}

int32_t mt_get_num_threads(void) { MT_GUARD(-1, return at::get_num_threads();) }
void mt_set_num_threads(int32_t n) { MT_GUARD(, at::set_num_threads(n);) }

// MARK: lifetime and metadata

void mt_free(mt_tensor t) { delete reinterpret_cast<at::Tensor *>(t); }
mt_tensor mt_shallow_clone(mt_tensor t) { MT_GUARD(nullptr, return wrap(T(t));) }
mt_tensor mt_undefined_tensor(void) { MT_GUARD(nullptr, return wrap(at::Tensor());) }
int64_t mt_ndim(mt_tensor t) { MT_GUARD(-1, return T(t).dim();) }
mt_status mt_shape(mt_tensor t, int64_t *out) {
  MT_GUARD(MT_ERROR, {
    auto s = T(t).sizes();
    std::copy(s.begin(), s.end(), out);
    return MT_OK;
  })
}
mt_status mt_strides(mt_tensor t, int64_t *out) {
  MT_GUARD(MT_ERROR, {
    auto s = T(t).strides();
    std::copy(s.begin(), s.end(), out);
    return MT_OK;
  })
}
int64_t mt_numel(mt_tensor t) { MT_GUARD(-1, return T(t).numel();) }
mt_dtype mt_get_dtype(mt_tensor t) { MT_GUARD(MT_DTYPE_UNKNOWN, return to_mt(T(t).scalar_type());) }
mt_device mt_get_device(mt_tensor t) {
  MT_GUARD(no_device, {
    auto d = T(t).device();
    if (d.is_cuda()) return mt_device{MT_CUDA, d.index()};
    return mt_device{MT_CPU, 0};
  })
}
bool mt_is_contiguous(mt_tensor t) { MT_GUARD(false, return T(t).is_contiguous();) }
// The one function that looks at a handle without T(): telling an undefined tensor apart is its purpose.
bool mt_defined(mt_tensor t) { return t != nullptr && reinterpret_cast<const at::Tensor *>(t)->defined(); }
const void *mt_data_ptr(mt_tensor t) {
  MT_GUARD(nullptr, {
    if (!T(t).device().is_cpu()) return nullptr;
    return T(t).const_data_ptr();
  })
}
int64_t mt_element_size(mt_dtype dtype) { MT_GUARD(-1, return c10::elementSize(scalar_type(dtype));) }
bool mt_same_tensor(mt_tensor a, mt_tensor b) { MT_GUARD(false, return T(a).is_same(T(b));) }

// MARK: creation

mt_tensor mt_from_data(const void *data, const int64_t *shape, int64_t ndim, mt_dtype dtype, mt_device dev) {
  MT_GUARD(nullptr, {
    auto cpu = at::empty(dims(shape, ndim), options(dtype, mt_device{MT_CPU, 0}));
    if (cpu.numel() > 0) std::memcpy(cpu.mutable_data_ptr(), data, cpu.nbytes());
    if (dev.type == MT_CPU) return wrap(std::move(cpu));
    return wrap(cpu.to(device(dev)));
  })
}

mt_status mt_copy_to(mt_tensor t, void *dst, size_t nbytes) {
  MT_GUARD(MT_ERROR, {
    auto src = T(t).detach().to(at::kCPU).contiguous();
    TORCH_CHECK(src.nbytes() == nbytes, "mt_copy_to: tensor has ", src.nbytes(), " bytes, buffer ", nbytes);
    if (nbytes > 0) std::memcpy(dst, src.const_data_ptr(), nbytes);
    return MT_OK;
  })
}

mt_tensor mt_empty(const int64_t *shape, int64_t ndim, mt_dtype dtype, mt_device dev) {
  MT_GUARD(nullptr, return wrap(at::empty(dims(shape, ndim), options(dtype, dev)));)
}
mt_tensor mt_zeros(const int64_t *shape, int64_t ndim, mt_dtype dtype, mt_device dev) {
  MT_GUARD(nullptr, return wrap(at::zeros(dims(shape, ndim), options(dtype, dev)));)
}
mt_tensor mt_ones(const int64_t *shape, int64_t ndim, mt_dtype dtype, mt_device dev) {
  MT_GUARD(nullptr, return wrap(at::ones(dims(shape, ndim), options(dtype, dev)));)
}
mt_tensor mt_full(const int64_t *shape, int64_t ndim, double value, mt_dtype dtype, mt_device dev) {
  MT_GUARD(nullptr, return wrap(at::full(dims(shape, ndim), value, options(dtype, dev)));)
}
mt_tensor mt_scalar(double value, mt_dtype dtype, mt_device dev) {
  MT_GUARD(nullptr, return wrap(at::scalar_tensor(value, options(dtype, dev)));)
}
mt_tensor mt_arange(double start, double end, double step, mt_dtype dtype, mt_device dev) {
  MT_GUARD(nullptr, return wrap(at::arange(start, end, step, options(dtype, dev)));)
}
mt_tensor mt_linspace(double start, double end, int64_t steps, mt_dtype dtype, mt_device dev) {
  MT_GUARD(nullptr, return wrap(at::linspace(start, end, steps, options(dtype, dev)));)
}
mt_tensor mt_eye(int64_t n, mt_dtype dtype, mt_device dev) {
  MT_GUARD(nullptr, return wrap(at::eye(n, options(dtype, dev)));)
}
mt_tensor mt_zeros_like(mt_tensor t) { MT_GUARD(nullptr, return wrap(at::zeros_like(T(t)));) }
mt_tensor mt_ones_like(mt_tensor t) { MT_GUARD(nullptr, return wrap(at::ones_like(T(t)));) }
double mt_item_double(mt_tensor t) { MT_GUARD(0.0, return T(t).item<double>();) }
int64_t mt_item_int64(mt_tensor t) { MT_GUARD(0, return T(t).item<int64_t>();) }

}  // extern "C"

// MARK: random

struct mt_generator_s {
  at::Generator gen;
};

namespace {
std::optional<at::Generator> gen_or_default(mt_generator g) {
  if (g == nullptr) return std::nullopt;
  return g->gen;
}
}  // namespace

extern "C" {

void mt_manual_seed(uint64_t seed) {
  MT_GUARD(, {
    {
      auto gen = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_current_seed(seed);
    }
    auto &hooks = at::detail::getCUDAHooks();
    if (hooks.hasCUDA()) {
      for (int64_t i = 0; i < hooks.deviceCount(); ++i) {
        auto gen = hooks.getDefaultGenerator(static_cast<c10::DeviceIndex>(i));
        std::lock_guard<std::mutex> lock(gen.mutex());
        gen.set_current_seed(seed);
      }
    }
  })
}

mt_generator mt_generator_new(uint64_t seed, mt_device dev) {
  MT_GUARD(nullptr, {
    at::Generator gen;
    if (dev.type == MT_CUDA) {
      gen = at::detail::getCUDAHooks().getNewGenerator(static_cast<c10::DeviceIndex>(dev.index));
    } else {
      gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    }
    gen.set_current_seed(seed);
    return new mt_generator_s{gen};
  })
}
mt_generator mt_default_generator(mt_device dev) {
  MT_GUARD(nullptr, {
    if (dev.type == MT_CUDA) {
      return new mt_generator_s{at::detail::getCUDAHooks().getDefaultGenerator(static_cast<c10::DeviceIndex>(dev.index))};
    }
    return new mt_generator_s{at::detail::getDefaultCPUGenerator()};
  })
}
mt_device mt_generator_device(mt_generator g) {
  MT_GUARD(no_device, {
    TORCH_CHECK(g != nullptr, "NULL generator handle");
    auto d = g->gen.device();
    if (d.is_cuda()) return mt_device{MT_CUDA, d.index()};
    return mt_device{MT_CPU, 0};
  })
}
void mt_generator_free(mt_generator g) { delete g; }
uint64_t mt_generator_seed(mt_generator g) {
  MT_GUARD(0, {
    TORCH_CHECK(g != nullptr, "NULL generator handle");
    return g->gen.current_seed();
  })
}

mt_tensor mt_generator_get_state(mt_generator g) {
  MT_GUARD(nullptr, {
    at::Generator gen = g ? g->gen : at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    return wrap(gen.get_state());
  })
}
mt_status mt_generator_set_state(mt_generator g, mt_tensor state) {
  MT_GUARD(MT_ERROR, {
    at::Generator gen = g ? g->gen : at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(T(state));
    return MT_OK;
  })
}

mt_tensor mt_randn(const int64_t *shape, int64_t ndim, mt_dtype dtype, mt_device dev, mt_generator g) {
  MT_GUARD(nullptr, return wrap(at::randn(dims(shape, ndim), gen_or_default(g), options(dtype, dev)));)
}
mt_tensor mt_rand(const int64_t *shape, int64_t ndim, mt_dtype dtype, mt_device dev, mt_generator g) {
  MT_GUARD(nullptr, return wrap(at::rand(dims(shape, ndim), gen_or_default(g), options(dtype, dev)));)
}
mt_tensor mt_randint(int64_t low, int64_t high, const int64_t *shape, int64_t ndim, mt_dtype dtype,
                     mt_device dev, mt_generator g) {
  MT_GUARD(nullptr,
           return wrap(at::randint(low, high, dims(shape, ndim), gen_or_default(g), options(dtype, dev)));)
}
mt_tensor mt_randperm(int64_t n, mt_dtype dtype, mt_device dev, mt_generator g) {
  MT_GUARD(nullptr, return wrap(at::randperm(n, gen_or_default(g), options(dtype, dev)));)
}
mt_status mt_normal_(mt_tensor t, double mean, double std, mt_generator g) {
  MT_GUARD(MT_ERROR, {
    at::NoGradGuard no_grad;
    T(t).normal_(mean, std, gen_or_default(g));
    return MT_OK;
  })
}
mt_status mt_uniform_(mt_tensor t, double low, double high, mt_generator g) {
  MT_GUARD(MT_ERROR, {
    at::NoGradGuard no_grad;
    T(t).uniform_(low, high, gen_or_default(g));
    return MT_OK;
  })
}
mt_tensor mt_multinomial(mt_tensor probs, int64_t n, bool replacement, mt_generator g) {
  MT_GUARD(nullptr, return wrap(at::multinomial(T(probs), n, replacement, gen_or_default(g)));)
}
mt_tensor mt_dropout(mt_tensor t, double p, bool train) {
  MT_GUARD(nullptr, return wrap(at::dropout(T(t), p, train));)
}

// MARK: autograd

bool mt_requires_grad(mt_tensor t) { MT_GUARD(false, return T(t).requires_grad();) }
const char *mt_grad_fn_name(mt_tensor t) {
  thread_local std::string name;
  MT_GUARD(nullptr, {
    const auto &node = T(t).grad_fn();
    if (!node) return "";
    name = node->name();
    return name.c_str();
  })
}
mt_status mt_set_requires_grad(mt_tensor t, bool on) {
  MT_GUARD(MT_ERROR, {
    T(t).set_requires_grad(on);
    return MT_OK;
  })
}
mt_tensor mt_grad(mt_tensor t) {
  MT_GUARD(nullptr, {
    const auto &g = T(t).grad();
    if (!g.defined()) return nullptr;
    return wrap(g);
  })
}
mt_status mt_set_grad(mt_tensor t, mt_tensor grad) {
  MT_GUARD(MT_ERROR, {
    T(t).mutable_grad() = grad ? T(grad) : at::Tensor();
    return MT_OK;
  })
}
mt_status mt_backward(mt_tensor t, mt_tensor grad, bool retain_graph) {
  MT_GUARD(MT_ERROR, {
    T(t).backward(grad ? T(grad) : at::Tensor(), retain_graph, false);
    return MT_OK;
  })
}
mt_tensor mt_detach(mt_tensor t) { MT_GUARD(nullptr, return wrap(T(t).detach());) }
mt_status mt_set_data(mt_tensor t, mt_tensor src) {
  MT_GUARD(MT_ERROR, {
    T(t).set_data(T(src));
    return MT_OK;
  })
}
bool mt_is_leaf(mt_tensor t) { MT_GUARD(false, return T(t).is_leaf();) }
bool mt_grad_enabled(void) { MT_GUARD(false, return at::GradMode::is_enabled();) }
void mt_set_grad_enabled(bool enabled) { MT_GUARD(, at::GradMode::set_enabled(enabled);) }

mt_status mt_register_hook(mt_tensor t, mt_hook_fn fn, void *context, void (*release)(void *)) {
  MT_GUARD(MT_ERROR, {
    std::shared_ptr<void> owner(context, [release](void *c) { if (release) release(c); });
    T(t).register_hook([fn, owner](const at::Tensor &grad) -> at::Tensor {
      mt_tensor in = wrap(grad);
      mt_tensor out = fn(owner.get(), in);
      mt_free(in);
      if (out == nullptr) return at::Tensor();
      // Taken over without T(): an undefined result keeps the gradient, as NULL does, and must not throw
      // before the handle is freed.
      std::unique_ptr<at::Tensor> result(reinterpret_cast<at::Tensor *>(out));
      return *result;
    });
    return MT_OK;
  })
}

}  // extern "C"

// MARK: memory

void mt_reuse_freed_memory(void) {
#if defined(__GLIBC__)
  if (std::getenv("GLIBC_TUNABLES") != nullptr) return;
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

// MARK: autocast

extern "C" {

bool mt_autocast_enabled(mt_device_type device) {
  MT_GUARD(false, return at::autocast::is_autocast_enabled(device == MT_CUDA ? at::kCUDA : at::kCPU);)
}
void mt_set_autocast(mt_device_type device, bool enabled, mt_dtype dtype) {
  MT_GUARD(, {
    auto type = device == MT_CUDA ? at::kCUDA : at::kCPU;
    at::autocast::set_autocast_dtype(type, scalar_type(dtype));
    at::autocast::set_autocast_enabled(type, enabled);
  })
}
void mt_autocast_clear_cache(void) { MT_GUARD(, at::autocast::clear_cache();) }

}  // extern "C"
