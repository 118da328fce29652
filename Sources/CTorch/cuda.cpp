// cuda.cpp — the CUDA backend, found at run time.
//
// The shim links libtorch_cpu and c10 only. CUDA kernels, the CUDA hooks (device count, generators,
// synchronisation) and the caching allocator live in libtorch_cuda.so, which registers them when it is loaded.
// So one binary runs on a CPU-only libtorch and on a CUDA one: when the program loads, this file opens
// libtorch_cuda.so from the folder the loaded libtorch_cpu.so came from (as `import torch` does through its
// own dependencies). A missing file or a library that cannot load (no CUDA runtime on this machine) leaves the
// program on the CPU; mt_cuda_backend_status says which. It must happen before anything asks ATen for the CUDA
// hooks, which ATen caches on first use — hence a load-time constructor, not a lazy call.
#include <ATen/Version.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/core/CachingDeviceAllocator.h>
#include <dlfcn.h>

#include <cstdlib>
#include <string>

#include "internal.h"

namespace {
// A function-local static: constructed on first use, so the load-time constructor below may set it safely.
std::string &backend_status() {
  static std::string status = "not tried";
  return status;
}

__attribute__((constructor)) void load_cuda_backend() {
  const char *env = std::getenv("MNEMO_CUDA");
  if (env != nullptr && std::string(env) == "0") {
    backend_status() = "skipped (MNEMO_CUDA=0)";
    return;
  }
  Dl_info info{};
  if (dladdr(reinterpret_cast<void *>(&at::show_config), &info) == 0 || info.dli_fname == nullptr) {
    backend_status() = "cannot tell where libtorch_cpu.so was loaded from";
    return;
  }
  std::string cpu_library = info.dli_fname;
  auto slash = cpu_library.find_last_of('/');
  std::string folder = slash == std::string::npos ? std::string(".") : cpu_library.substr(0, slash);
  std::string cuda_library = folder + "/libtorch_cuda.so";
  if (access(cuda_library.c_str(), R_OK) != 0) {
    backend_status() = "no libtorch_cuda.so in " + folder;
    return;
  }
  if (dlopen(cuda_library.c_str(), RTLD_NOW | RTLD_GLOBAL) == nullptr) {
    const char *why = dlerror();
    backend_status() = std::string("libtorch_cuda.so did not load: ") + (why ? why : "unknown loader error");
    return;
  }
  backend_status() = "loaded " + cuda_library;
}
}  // namespace

using namespace mt;

extern "C" {

const char *mt_cuda_backend_status(void) { return backend_status().c_str(); }

bool mt_cuda_is_available(void) {
  try { return at::detail::getCUDAHooks().hasCUDA(); } catch (...) { return false; }
}
int64_t mt_cuda_device_count(void) {
  try { return at::detail::getCUDAHooks().deviceCount(); } catch (...) { return 0; }
}
void mt_cuda_synchronize(void) {
  MT_GUARD(, {
    if (at::detail::getCUDAHooks().hasCUDA()) at::detail::getCUDAHooks().deviceSynchronize(-1);
  })
}

mt_status mt_cuda_memory_stats(int32_t device, mt_cuda_memory *out) {
  MT_GUARD(MT_ERROR, {
    TORCH_CHECK(at::detail::getCUDAHooks().hasCUDA(), "CUDA memory statistics asked for, but no CUDA device is present");
    auto stats = c10::getDeviceAllocator(c10::kCUDA)->getDeviceStats(static_cast<c10::DeviceIndex>(device));
    constexpr size_t all = static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE);
    out->allocated = stats.allocated_bytes[all].current;
    out->peak_allocated = stats.allocated_bytes[all].peak;
    out->reserved = stats.reserved_bytes[all].current;
    out->peak_reserved = stats.reserved_bytes[all].peak;
    return MT_OK;
  })
}

mt_status mt_cuda_reset_peak_memory(int32_t device) {
  MT_GUARD(MT_ERROR, {
    TORCH_CHECK(at::detail::getCUDAHooks().hasCUDA(), "CUDA memory statistics asked for, but no CUDA device is present");
    c10::getDeviceAllocator(c10::kCUDA)->resetPeakStats(static_cast<c10::DeviceIndex>(device));
    return MT_OK;
  })
}

}  // extern "C"
