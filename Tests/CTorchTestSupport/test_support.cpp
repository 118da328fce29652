// test_support.cpp — see ctorch_test_support.h. Built with the shim's internal.h so that its handles are the
// shim's own (the same wrap, the same exception guard).
#include "ctorch_test_support.h"
#include "internal.h"

using namespace mt;

extern "C" {

mt_tensor mt_test_tensor_of_unsupported_dtype(mt_test_dtype dtype) {
  MT_GUARD(nullptr, {
    at::ScalarType type = at::kComplexFloat;
    switch (dtype) {
      case MT_TEST_COMPLEX64: type = at::kComplexFloat; break;
      case MT_TEST_UINT16: type = at::kUInt16; break;
      case MT_TEST_FLOAT8_E4M3FN: type = at::kFloat8_e4m3fn; break;
    }
    return wrap(at::zeros({2}, at::TensorOptions().dtype(type)));
  })
}

}  // extern "C"
