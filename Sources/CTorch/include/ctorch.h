// ctorch.h — the C ABI between Swift and libtorch (ATen + autograd).
//
// Rules of this header (tch-rs style):
// - Pure C. Tensors are opaque handles (`mt_tensor`), each one a fresh heap object owned by the caller and
//   released with mt_free. Handles may move between threads but must not be used from two at once.
// - No C++ exception ever crosses this boundary. A function that fails returns NULL (handle results),
//   -1 (counts and sizes), MT_ERROR (status results), false (predicates) or the failure value its comment
//   names, and the error message (libtorch's, without the C++ backtrace) is kept per thread: read it with
//   mt_last_error() straight after the failing call. Every call that can fail clears it first, so where the
//   failure value is also a valid answer (false, 0.0) a set message is what tells a failure apart.
// - A NULL handle, where the comment does not allow one, or a handle to an undefined tensor (mt_undefined_tensor)
//   fails the call ("undefined tensor"): metadata included, so no handle can make a call throw.
// - dtype and device are this header's own enums, not c10's.
#ifndef CTORCH_H
#define CTORCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mt_tensor_s *mt_tensor;
typedef struct mt_generator_s *mt_generator;

typedef enum { MT_OK = 0, MT_ERROR = 1 } mt_status;

// MT_DTYPE_UNKNOWN is mt_get_dtype's failure value: an undefined tensor, or a libtorch dtype with no value here
// (complex, uint16/32/64, float8 …; the message names it). No function accepts it.
typedef enum {
  MT_DTYPE_UNKNOWN = -1,
  MT_FLOAT32 = 0, MT_FLOAT64 = 1, MT_BFLOAT16 = 2, MT_FLOAT16 = 3,
  MT_INT64 = 4, MT_INT32 = 5, MT_UINT8 = 6, MT_BOOL = 7, MT_INT16 = 8, MT_INT8 = 9,
} mt_dtype;

typedef enum { MT_CPU = 0, MT_CUDA = 1 } mt_device_type;

typedef struct { mt_device_type type; int32_t index; } mt_device;

// MARK: errors, versions, runtime

const char *mt_last_error(void);            // NULL if the last call on this thread succeeded
const char *mt_compiled_version(void);      // torch version of the headers the shim was built with
const char *mt_runtime_version(void);       // torch version reported by the loaded library ("" if unknown)
const char *mt_runtime_config(void);        // at::show_config()
bool mt_cuda_is_available(void);
int64_t mt_cuda_device_count(void);
void mt_cuda_synchronize(void);
// How the CUDA backend was found: the shim links libtorch_cpu only and, when the program loads, opens
// libtorch_cuda.so from the folder the loaded libtorch_cpu.so came from (MNEMO_CUDA=0 skips it). The text says
// what happened ("loaded /…/libtorch_cuda.so", "no libtorch_cuda.so in /…", or the loader's error).
const char *mt_cuda_backend_status(void);
// The CUDA caching allocator's figures for one device, in bytes (torch.cuda.memory_allocated,
// max_memory_allocated, memory_reserved, max_memory_reserved). MT_ERROR when there is no CUDA.
typedef struct { int64_t allocated, peak_allocated, reserved, peak_reserved; } mt_cuda_memory;
mt_status mt_cuda_memory_stats(int32_t device, mt_cuda_memory *out);
mt_status mt_cuda_reset_peak_memory(int32_t device);
int32_t mt_get_num_threads(void);          // -1 on failure
void mt_set_num_threads(int32_t n);
// glibc: blocks up to 256 MiB from the heap, which is trimmed only above 1 GiB free (mallopt), so freed tensors'
// memory is reused instead of page-faulted afresh. Nothing where GLIBC_TUNABLES is set or off glibc.
void mt_reuse_freed_memory(void);

// MARK: lifetime and metadata

void mt_free(mt_tensor t);
mt_tensor mt_shallow_clone(mt_tensor t);     // a new handle to the same tensor (shares storage and autograd)
// A handle to an undefined tensor (libtorch's `at::Tensor()`, no storage, no dtype): every function that reads a
// tensor fails when given one. mt_defined tells it apart. The Swift side returns one as the result of a failed
// call inside withError: unlike any tensor with values, nothing can compute with it.
mt_tensor mt_undefined_tensor(void);
int64_t mt_ndim(mt_tensor t);
mt_status mt_shape(mt_tensor t, int64_t *out);    // out has mt_ndim entries
mt_status mt_strides(mt_tensor t, int64_t *out);
int64_t mt_numel(mt_tensor t);
mt_dtype mt_get_dtype(mt_tensor t);         // MT_DTYPE_UNKNOWN on failure
mt_device mt_get_device(mt_tensor t);       // index -1 on failure
bool mt_is_contiguous(mt_tensor t);
bool mt_defined(mt_tensor t);               // false for NULL and undefined tensors; never fails
const void *mt_data_ptr(mt_tensor t);       // CPU tensors only; NULL otherwise
int64_t mt_element_size(mt_dtype dtype);
bool mt_same_tensor(mt_tensor a, mt_tensor b);

// MARK: creation (shape = pointer + count)

mt_tensor mt_from_data(const void *data, const int64_t *shape, int64_t ndim, mt_dtype dtype, mt_device device);
mt_status mt_copy_to(mt_tensor t, void *dst, size_t nbytes);  // any device/layout → dense bytes
mt_tensor mt_empty(const int64_t *shape, int64_t ndim, mt_dtype dtype, mt_device device);
mt_tensor mt_zeros(const int64_t *shape, int64_t ndim, mt_dtype dtype, mt_device device);
mt_tensor mt_ones(const int64_t *shape, int64_t ndim, mt_dtype dtype, mt_device device);
mt_tensor mt_full(const int64_t *shape, int64_t ndim, double value, mt_dtype dtype, mt_device device);
mt_tensor mt_scalar(double value, mt_dtype dtype, mt_device device);
mt_tensor mt_arange(double start, double end, double step, mt_dtype dtype, mt_device device);
mt_tensor mt_linspace(double start, double end, int64_t steps, mt_dtype dtype, mt_device device);
mt_tensor mt_eye(int64_t n, mt_dtype dtype, mt_device device);
mt_tensor mt_zeros_like(mt_tensor t);
mt_tensor mt_ones_like(mt_tensor t);
double mt_item_double(mt_tensor t);         // check mt_last_error
int64_t mt_item_int64(mt_tensor t);

// MARK: random (gen may be NULL for the default generator of the device)

void mt_manual_seed(uint64_t seed);          // CPU and every CUDA device
mt_generator mt_generator_new(uint64_t seed, mt_device device);
mt_generator mt_default_generator(mt_device device);   // a handle to the device's default generator
mt_device mt_generator_device(mt_generator g);          // index -1 on failure
void mt_generator_free(mt_generator g);
uint64_t mt_generator_seed(mt_generator g);             // 0 on failure: check mt_last_error
mt_tensor mt_generator_get_state(mt_generator g);      // NULL g = default CPU generator
mt_status mt_generator_set_state(mt_generator g, mt_tensor state);
mt_tensor mt_randn(const int64_t *shape, int64_t ndim, mt_dtype dtype, mt_device device, mt_generator g);
mt_tensor mt_rand(const int64_t *shape, int64_t ndim, mt_dtype dtype, mt_device device, mt_generator g);
mt_tensor mt_randint(int64_t low, int64_t high, const int64_t *shape, int64_t ndim, mt_dtype dtype,
                     mt_device device, mt_generator g);
mt_tensor mt_randperm(int64_t n, mt_dtype dtype, mt_device device, mt_generator g);
mt_status mt_normal_(mt_tensor t, double mean, double std, mt_generator g);
mt_status mt_uniform_(mt_tensor t, double low, double high, mt_generator g);
mt_tensor mt_multinomial(mt_tensor probs, int64_t n, bool replacement, mt_generator g);
mt_tensor mt_dropout(mt_tensor t, double p, bool train);  // default generator, as PyTorch's

// MARK: autograd

bool mt_requires_grad(mt_tensor t);
// The name of the autograd node that made t (grad_fn.name()), "" for a leaf; valid until this thread's next call.
const char *mt_grad_fn_name(mt_tensor t);
mt_status mt_set_requires_grad(mt_tensor t, bool on);
mt_tensor mt_grad(mt_tensor t);             // NULL (and no error) when there is no gradient
mt_status mt_set_grad(mt_tensor t, mt_tensor grad);     // grad NULL clears it
mt_status mt_backward(mt_tensor t, mt_tensor grad, bool retain_graph);  // grad may be NULL for scalars
mt_tensor mt_detach(mt_tensor t);
// Replaces t's data (storage, dtype, device) with src's, keeping t's identity and autograd leaf status (Module.to).
mt_status mt_set_data(mt_tensor t, mt_tensor src);
bool mt_is_leaf(mt_tensor t);
bool mt_grad_enabled(void);
void mt_set_grad_enabled(bool enabled);
// Registers a hook called with each gradient of t during backward; it returns a replacement gradient
// (a new handle, owned by the shim afterwards) or NULL to keep the gradient. `release` is called with
// `context` when the hook is destroyed.
typedef mt_tensor (*mt_hook_fn)(void *context, mt_tensor grad);
mt_status mt_register_hook(mt_tensor t, mt_hook_fn fn, void *context, void (*release)(void *context));

// MARK: autocast (mixed precision; thread-local like grad mode)

bool mt_autocast_enabled(mt_device_type device);
// Turns autocast on/off for a device type with the given lower-precision dtype (bfloat16 / float16).
// Leaving an autocast region should call mt_autocast_clear_cache.
void mt_set_autocast(mt_device_type device, bool enabled, mt_dtype dtype);
void mt_autocast_clear_cache(void);

// MARK: element-wise ops

typedef enum {
  MT_NEG, MT_EXP, MT_LOG, MT_LOG1P, MT_EXPM1, MT_SQRT, MT_RSQRT, MT_ABS, MT_SIN, MT_COS, MT_TANH,
  MT_SIGMOID, MT_RELU, MT_SILU, MT_GELU, MT_GELU_TANH, MT_SQUARE, MT_RECIPROCAL, MT_ERF, MT_SIGN,
  MT_FLOOR, MT_CEIL, MT_ROUND, MT_LOGICAL_NOT, MT_ISNAN, MT_ISINF, MT_ISFINITE, MT_SOFTPLUS, MT_LOG2,
  MT_BITWISE_NOT, MT_TRUNC,
} mt_unary_op;

typedef enum {
  MT_ADD, MT_SUB, MT_MUL, MT_DIV, MT_POW, MT_MAXIMUM, MT_MINIMUM, MT_REMAINDER, MT_FLOOR_DIVIDE,
  MT_EQ, MT_NE, MT_LT, MT_LE, MT_GT, MT_GE, MT_LOGICAL_AND, MT_LOGICAL_OR, MT_LOGICAL_XOR, MT_ATAN2,
  MT_BITWISE_AND, MT_BITWISE_OR, MT_BITWISE_XOR,
} mt_binary_op;

typedef struct { double value; bool is_integer; } mt_scalar_value;  // integer scalars keep integer dtypes

mt_tensor mt_unary(mt_unary_op op, mt_tensor a);
mt_status mt_unary_(mt_unary_op op, mt_tensor a);                   // in place
mt_tensor mt_binary(mt_binary_op op, mt_tensor a, mt_tensor b);
mt_tensor mt_binary_scalar(mt_binary_op op, mt_tensor a, mt_scalar_value s, bool scalar_first);
mt_status mt_binary_(mt_binary_op op, mt_tensor a, mt_tensor b);    // a op= b
mt_status mt_binary_scalar_(mt_binary_op op, mt_tensor a, mt_scalar_value s);
mt_status mt_add_scaled_(mt_tensor a, mt_tensor b, double alpha);  // a += alpha * b
mt_tensor mt_clamp(mt_tensor a, double min, double max, bool has_min, bool has_max);
mt_tensor mt_where(mt_tensor cond, mt_tensor a, mt_tensor b);
mt_tensor mt_where_scalar(mt_tensor cond, mt_tensor a, double b);
mt_tensor mt_masked_fill(mt_tensor a, mt_tensor mask, mt_scalar_value value);
mt_tensor mt_lerp(mt_tensor a, mt_tensor b, double weight);
mt_status mt_copy_(mt_tensor dst, mt_tensor src);
mt_status mt_fill_(mt_tensor t, mt_scalar_value value);
mt_status mt_zero_(mt_tensor t);
mt_tensor mt_to(mt_tensor t, mt_dtype dtype, mt_device device, bool copy);
mt_tensor mt_clone(mt_tensor t);
bool mt_equal(mt_tensor a, mt_tensor b);                            // same shape and values
bool mt_allclose(mt_tensor a, mt_tensor b, double rtol, double atol, bool equal_nan);

// MARK: linear algebra

mt_tensor mt_matmul(mt_tensor a, mt_tensor b);
mt_tensor mt_bmm(mt_tensor a, mt_tensor b);
mt_tensor mt_linear(mt_tensor x, mt_tensor weight, mt_tensor bias);  // bias may be NULL
// onednn.cpp: while on, mt_linear and causal mt_scaled_dot_product_attention up to 256 positions on float32 CPU
// tensors (outside autocast) run oneDNN's matmuls, forward and backward, instead of libtorch's BLAS mm and its flash
// attention kernel. Off by default; process-wide.
void mt_set_cpu_onednn(bool enabled);
bool mt_cpu_onednn(void);
mt_tensor mt_outer(mt_tensor a, mt_tensor b);

// MARK: reductions (dims NULL / ndims 0 = over every element)

typedef enum { MT_SUM, MT_MEAN, MT_PROD, MT_AMAX, MT_AMIN, MT_LOGSUMEXP, MT_ALL, MT_ANY } mt_reduce_op;

mt_tensor mt_reduce(mt_reduce_op op, mt_tensor t, const int64_t *dims, int64_t ndims, bool keepdim);
mt_tensor mt_sum_to_dtype(mt_tensor t, mt_dtype dtype);
mt_tensor mt_var(mt_tensor t, const int64_t *dims, int64_t ndims, double correction, bool keepdim);
mt_tensor mt_std(mt_tensor t, const int64_t *dims, int64_t ndims, double correction, bool keepdim);
mt_tensor mt_norm(mt_tensor t, double p, const int64_t *dims, int64_t ndims, bool keepdim);
mt_status mt_max_dim(mt_tensor t, int64_t dim, bool keepdim, mt_tensor *values, mt_tensor *indices);
mt_status mt_min_dim(mt_tensor t, int64_t dim, bool keepdim, mt_tensor *values, mt_tensor *indices);
mt_tensor mt_argmax(mt_tensor t, int64_t dim, bool has_dim, bool keepdim);
mt_tensor mt_argmin(mt_tensor t, int64_t dim, bool has_dim, bool keepdim);
mt_tensor mt_cumsum(mt_tensor t, int64_t dim);

// MARK: shape

mt_tensor mt_reshape(mt_tensor t, const int64_t *shape, int64_t ndim);
mt_tensor mt_view(mt_tensor t, const int64_t *shape, int64_t ndim);
mt_tensor mt_permute(mt_tensor t, const int64_t *dims, int64_t ndim);
mt_tensor mt_transpose(mt_tensor t, int64_t d0, int64_t d1);
mt_tensor mt_contiguous(mt_tensor t);
mt_tensor mt_squeeze(mt_tensor t, int64_t dim, bool has_dim);
mt_tensor mt_unsqueeze(mt_tensor t, int64_t dim);
mt_tensor mt_flatten(mt_tensor t, int64_t start, int64_t end);
mt_tensor mt_expand(mt_tensor t, const int64_t *shape, int64_t ndim);
mt_tensor mt_repeat(mt_tensor t, const int64_t *repeats, int64_t ndim);
mt_tensor mt_cat(const mt_tensor *ts, int64_t n, int64_t dim);
mt_tensor mt_stack(const mt_tensor *ts, int64_t n, int64_t dim);
int64_t mt_split(mt_tensor t, int64_t size, int64_t dim, mt_tensor *out, int64_t capacity);
int64_t mt_split_sizes(mt_tensor t, const int64_t *sizes, int64_t n, int64_t dim, mt_tensor *out);
int64_t mt_chunk(mt_tensor t, int64_t chunks, int64_t dim, mt_tensor *out, int64_t capacity);
mt_tensor mt_tril(mt_tensor t, int64_t diagonal);
mt_tensor mt_triu(mt_tensor t, int64_t diagonal);
mt_tensor mt_flip(mt_tensor t, const int64_t *dims, int64_t ndims);

// MARK: indexing

mt_tensor mt_select(mt_tensor t, int64_t dim, int64_t index);
mt_tensor mt_slice(mt_tensor t, int64_t dim, int64_t start, int64_t end, int64_t step);
mt_tensor mt_narrow(mt_tensor t, int64_t dim, int64_t start, int64_t length);
mt_tensor mt_index_select(mt_tensor t, int64_t dim, mt_tensor index);
mt_tensor mt_index(mt_tensor t, const mt_tensor *indices, int64_t n);   // NULL entries mean ":"
mt_status mt_index_put_(mt_tensor t, const mt_tensor *indices, int64_t n, mt_tensor values, bool accumulate);
mt_tensor mt_gather(mt_tensor t, int64_t dim, mt_tensor index);
mt_tensor mt_scatter(mt_tensor t, int64_t dim, mt_tensor index, mt_tensor src);
mt_tensor mt_scatter_add(mt_tensor t, int64_t dim, mt_tensor index, mt_tensor src);
mt_tensor mt_index_add(mt_tensor t, int64_t dim, mt_tensor index, mt_tensor src, double alpha);
mt_tensor mt_embedding(mt_tensor weight, mt_tensor indices, int64_t padding_idx);
typedef enum { MT_BAG_SUM = 0, MT_BAG_MEAN = 1, MT_BAG_MAX = 2 } mt_bag_mode;
mt_tensor mt_embedding_bag(mt_tensor weight, mt_tensor indices, mt_tensor offsets, mt_bag_mode mode,
                           mt_tensor per_sample_weights);
mt_status mt_topk(mt_tensor t, int64_t k, int64_t dim, bool largest, bool sorted, mt_tensor *values,
                  mt_tensor *indices);
mt_status mt_sort(mt_tensor t, int64_t dim, bool descending, bool stable, mt_tensor *values, mt_tensor *indices);
mt_tensor mt_argsort(mt_tensor t, int64_t dim, bool descending, bool stable);
mt_status mt_unique(mt_tensor t, bool sorted, mt_tensor *values, mt_tensor *counts);
mt_tensor mt_bincount(mt_tensor t, mt_tensor weights, int64_t minlength);
mt_tensor mt_one_hot(mt_tensor t, int64_t num_classes);
mt_tensor mt_nonzero(mt_tensor t);

// MARK: neural-network functions

mt_tensor mt_softmax(mt_tensor t, int64_t dim);
mt_tensor mt_log_softmax(mt_tensor t, int64_t dim);
mt_tensor mt_layer_norm(mt_tensor x, const int64_t *shape, int64_t ndim, mt_tensor weight, mt_tensor bias,
                        double eps);
mt_tensor mt_rms_norm(mt_tensor x, const int64_t *shape, int64_t ndim, mt_tensor weight, double eps,
                      bool has_eps);
// attn_mask may be NULL; scale NaN = 1/sqrt(head_dim); dropout uses the default generator.
mt_tensor mt_scaled_dot_product_attention(mt_tensor q, mt_tensor k, mt_tensor v, mt_tensor attn_mask,
                                          double dropout_p, bool is_causal, double scale, bool enable_gqa);

typedef enum { MT_REDUCTION_NONE = 0, MT_REDUCTION_MEAN = 1, MT_REDUCTION_SUM = 2 } mt_reduction;
mt_tensor mt_cross_entropy(mt_tensor logits, mt_tensor target, mt_tensor weight, mt_reduction reduction,
                           int64_t ignore_index, double label_smoothing);
mt_tensor mt_nll_loss(mt_tensor log_probs, mt_tensor target, mt_tensor weight, mt_reduction reduction,
                      int64_t ignore_index);
mt_tensor mt_kl_div(mt_tensor input, mt_tensor target, mt_reduction reduction, bool log_target);
mt_tensor mt_mse_loss(mt_tensor a, mt_tensor b, mt_reduction reduction);
// fused.cpp: mean cross-entropy of hidden (N, C) · weight (V, C)ᵀ against targets (N) (ignore_index skipped), in
// chunks of chunk_rows rows: the (N, V) logits are never held whole; gradients for hidden and weight.
mt_tensor mt_linear_cross_entropy(mt_tensor hidden, mt_tensor weight, mt_tensor targets, int64_t ignore_index,
                                  int64_t chunk_rows);

// MARK: optimizer kernels (lists of n tensors; libtorch's fused / foreach implementations)

// AdamW on n parameters, one step for all (state_steps are float32 0-d tensors, incremented here first).
mt_status mt_fused_adamw_(const mt_tensor *params, const mt_tensor *grads, const mt_tensor *exp_avgs,
                          const mt_tensor *exp_avg_sqs, const mt_tensor *state_steps, int64_t n, double lr,
                          double beta1, double beta2, double weight_decay, double eps, bool maximize);
mt_status mt_fused_sgd_(const mt_tensor *params, const mt_tensor *grads, const mt_tensor *momentum_buffers,
                        int64_t n, double weight_decay, double momentum, double lr, double dampening,
                        bool nesterov, bool maximize, bool is_first_step);
// Total p-norm of the n gradients taken together (as torch.nn.utils.get_total_norm). NaN on error.
double mt_total_norm(const mt_tensor *grads, int64_t n, double p);
mt_status mt_foreach_mul_scalar_(const mt_tensor *ts, int64_t n, double s);
mt_status mt_foreach_zero_(const mt_tensor *ts, int64_t n);

// MARK: distributed (c10d: TCPStore rendezvous + ProcessGroupGloo; distributed.cpp)

// A process group: one per process, shared by every collective. Built only where the gloo headers were present at
// compile time (Debian's libgloo-dev); elsewhere mt_dist_gloo_available() is false and mt_dist_init fails saying so.
typedef struct mt_process_group_s *mt_process_group;

bool mt_dist_gloo_available(void);
// Connects to the TCPStore at host:port (hosting it when host_store), under key prefix `prefix`, and builds a Gloo
// group of `world` ranks. The Gloo device: the interfaces named in GLOO_SOCKET_IFNAME, else the host's default.
// Every wait (rendezvous, collectives) gives up after timeout_seconds with an error. NULL on failure.
mt_process_group mt_dist_init(const char *host, int32_t port, int32_t rank, int32_t world, bool host_store,
                              const char *prefix, double timeout_seconds);
// In-place sum of `t` over all ranks (one dense CPU tensor; AVG is sum / world, done by the caller).
mt_status mt_dist_allreduce_sum_(mt_process_group g, mt_tensor t);
// In-place copy of root's `t` to every rank.
mt_status mt_dist_broadcast_(mt_process_group g, mt_tensor t, int32_t root);
mt_status mt_dist_barrier(mt_process_group g);
void mt_dist_free(mt_process_group g);

// MARK: profiler (profiler.cpp): libtorch's Kineto profiler, as torch.profiler.profile. Stop saves a Chrome trace of
// every op and autograd node run since start to trace_path (NULL: discards it).
mt_status mt_profiler_start(void);
mt_status mt_profiler_stop(const char *trace_path);

#ifdef __cplusplus
}
#endif
#endif
