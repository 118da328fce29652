// profiler.cpp — libtorch's Kineto profiler (what torch.profiler.profile drives): every ATen op and autograd node the
// process runs between start and stop, saved as a Chrome trace (chrome://tracing, Perfetto, TensorBoard's profile).
#include <torch/csrc/autograd/profiler_kineto.h>

#include <set>

#include "internal.h"

namespace {

namespace impl = torch::profiler::impl;
namespace kineto = torch::autograd::profiler;

std::set<impl::ActivityType> activities() {
  std::set<impl::ActivityType> kinds{impl::ActivityType::CPU};
  if (at::hasCUDA()) kinds.insert(impl::ActivityType::CUDA);
  return kinds;
}

impl::ProfilerConfig configuration() {
  return impl::ProfilerConfig(impl::ProfilerState::KINETO, /*report_input_shapes=*/true);
}

}  // namespace

extern "C" {

mt_status mt_profiler_start(void) {
  MT_GUARD(MT_ERROR, {
    TORCH_CHECK(!impl::profilerEnabled(), "the profiler is already running");
    kineto::prepareProfiler(configuration(), activities());
    kineto::enableProfiler(configuration(), activities());
    return MT_OK;
  })
}

mt_status mt_profiler_stop(const char *trace_path) {
  MT_GUARD(MT_ERROR, {
    TORCH_CHECK(impl::profilerEnabled(), "the profiler is not running");
    auto result = kineto::disableProfiler();
    if (trace_path != nullptr) result->save(trace_path);
    return MT_OK;
  })
}

}  // extern "C"
