// distributed.cpp — c10d from the pinned wheel's libtorch_cpu: the TCPStore rendezvous that torchrun and
// init_process_group("gloo", "env://") use, and ProcessGroupGloo's collectives. No transport of our own.
//
// ProcessGroupGloo.hpp needs gloo's headers, which the wheel does not ship (its gloo is linked into libtorch_cpu);
// Debian's libgloo-dev provides them (`make setup` installs it where it can). Without them this file compiles to
// stubs that say what is missing, and everything else builds as before. USE_C10D_GLOO is defined for this file only:
// the header guards its contents with it.
#include "internal.h"

#if __has_include(<gloo/config.h>)
#define USE_C10D_GLOO 1
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#define MT_HAVE_GLOO 1
#else
#define MT_HAVE_GLOO 0
#endif

#include <chrono>

#if MT_HAVE_GLOO
struct mt_process_group_s {
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
  std::chrono::milliseconds timeout;
};

namespace {
void wait(const c10::intrusive_ptr<c10d::Work> &work, std::chrono::milliseconds timeout) {
  if (!work->wait(timeout)) TORCH_CHECK(false, "collective did not complete");
}
}  // namespace
#else
struct mt_process_group_s {};
#define MT_NO_GLOO                                                                                           \
  mt::set_error("this mnemo was built without gloo's headers (Debian package libgloo-dev), so it has no "    \
                "c10d process group; install libgloo-dev and rebuild (make setup does it where apt-get works)")
#endif

extern "C" {

bool mt_dist_gloo_available(void) { return MT_HAVE_GLOO; }

mt_process_group mt_dist_init(const char *host, int32_t port, int32_t rank, int32_t world, bool host_store,
                              const char *prefix, double timeout_seconds) {
#if MT_HAVE_GLOO
  MT_GUARD(nullptr, {
    TORCH_CHECK(host != nullptr && prefix != nullptr, "NULL host or prefix");
    TORCH_CHECK(port > 0 && port < 65536, "port ", port, " is not a TCP port");
    TORCH_CHECK(world >= 1 && rank >= 0 && rank < world, "rank ", rank, " is not in 0 ..< ", world);
    auto timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000));
    c10d::TCPStoreOptions options;
    options.port = static_cast<uint16_t>(port);
    options.isServer = host_store;
    if (host_store) options.numWorkers = static_cast<size_t>(world);
    options.waitWorkers = false;  // the group's own rendezvous waits for everyone
    options.timeout = timeout;
    auto store = c10::make_intrusive<c10d::TCPStore>(std::string(host), options);
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>(std::string(prefix), store);
    auto gloo = c10d::ProcessGroupGloo::Options::create_default(timeout);
    gloo->timeout = timeout;
    auto group = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, rank, world, gloo);
    return new mt_process_group_s{group, timeout};
  })
#else
  (void)host, (void)port, (void)rank, (void)world, (void)host_store, (void)prefix, (void)timeout_seconds;
  MT_NO_GLOO;
  return nullptr;
#endif
}

mt_status mt_dist_allreduce_sum_(mt_process_group g, mt_tensor t) {
#if MT_HAVE_GLOO
  MT_GUARD(MT_ERROR, {
    TORCH_CHECK(g != nullptr, "NULL process group");
    std::vector<at::Tensor> tensors{mt::T(t)};
    c10d::AllreduceOptions options;
    options.reduceOp = c10d::ReduceOp::SUM;
    wait(g->group->allreduce(tensors, options), g->timeout);
    return MT_OK;
  })
#else
  (void)g, (void)t;
  MT_NO_GLOO;
  return MT_ERROR;
#endif
}

mt_status mt_dist_broadcast_(mt_process_group g, mt_tensor t, int32_t root) {
#if MT_HAVE_GLOO
  MT_GUARD(MT_ERROR, {
    TORCH_CHECK(g != nullptr, "NULL process group");
    std::vector<at::Tensor> tensors{mt::T(t)};
    c10d::BroadcastOptions options;
    options.rootRank = root;
    wait(g->group->broadcast(tensors, options), g->timeout);
    return MT_OK;
  })
#else
  (void)g, (void)t, (void)root;
  MT_NO_GLOO;
  return MT_ERROR;
#endif
}

mt_status mt_dist_barrier(mt_process_group g) {
#if MT_HAVE_GLOO
  MT_GUARD(MT_ERROR, {
    TORCH_CHECK(g != nullptr, "NULL process group");
    wait(g->group->barrier(c10d::BarrierOptions()), g->timeout);
    return MT_OK;
  })
#else
  (void)g;
  MT_NO_GLOO;
  return MT_ERROR;
#endif
}

void mt_dist_free(mt_process_group g) {
  try {
    delete g;
  } catch (...) {
  }
}

}  // extern "C"
