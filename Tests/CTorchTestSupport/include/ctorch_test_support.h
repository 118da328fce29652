// ctorch_test_support.h — for the Torch tests only: tensors in states that no Mnemo op produces, made with
// libtorch directly and handed over as ordinary shim handles (owned by the caller, released with mt_free).
// Not part of the shim: nothing outside Tests/ may depend on it.
#ifndef CTORCH_TEST_SUPPORT_H
#define CTORCH_TEST_SUPPORT_H

#ifdef __cplusplus
extern "C" {
#endif

// libtorch dtypes that mt_dtype has no value for.
typedef enum { MT_TEST_COMPLEX64 = 0, MT_TEST_UINT16 = 1, MT_TEST_FLOAT8_E4M3FN = 2 } mt_test_dtype;

// A 1-D CPU tensor of two zeros of `dtype` (NULL and mt_last_error on failure). The result is an mt_tensor,
// spelled out because this header cannot include ctorch.h: the CTorch module owns it.
struct mt_tensor_s *mt_test_tensor_of_unsupported_dtype(mt_test_dtype dtype);

#ifdef __cplusplus
}
#endif
#endif
