/* The anec embedding API for C (and Objective-C, Swift, Python ctypes, ...): compile .ane
 * source or load programs written by `anec build` (or any .mil file), inspect their kernels and
 * run them. Reference: docs/embedding.md. The C++ API is anec/anec.hpp.
 *
 * Conventions:
 * - Every function that can fail returns an anec_status; ANEC_OK is 0. After a failure,
 *   anec_last_error() returns the full message (for ANEC_ERROR_COMPILE every diagnostic). The
 *   message is per thread and stays valid until the next failing call on that thread.
 * - No function throws or aborts on bad input: NULL pointers, out-of-range indices and wrong
 *   sizes give ANEC_ERROR_INVALID_ARGUMENT.
 * - Strings and shapes returned by the library live as long as the program they came from.
 * - A program may be used from several threads; runs on one program are serialised.
 */
#ifndef ANEC_H
#define ANEC_H

#include <stddef.h>
#include <stdint.h>

#include "anec/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* In C++ the enums get a fixed underlying type: then every integer a C caller passes is a value
 * of the enum, which the library rejects by its range checks; without one, loading a value
 * outside the enumerators' range (77 as an anec_dtype) is undefined behaviour in C++. Both are
 * int-sized, so C and C++ callers share one ABI. */
#ifdef __cplusplus
#define ANEC_ENUM(name) enum name : int
#else
#define ANEC_ENUM(name) enum name
#endif

typedef ANEC_ENUM(anec_status){
    ANEC_OK = 0,
    ANEC_ERROR_INVALID_ARGUMENT = 1, /* bad argument: NULL, unknown/missing input, wrong size */
    ANEC_ERROR_NOT_FOUND = 2,        /* no such kernel */
    ANEC_ERROR_COMPILE = 3,          /* the source has errors (see anec_last_error) */
    ANEC_ERROR_LOAD = 4,             /* a file or directory could not be read or is no program */
    ANEC_ERROR_UNSUPPORTED = 5,      /* backend unavailable, or it cannot run the kernel */
    ANEC_ERROR_RUN = 6,              /* the kernel failed while running */
    ANEC_ERROR_OUT_OF_MEMORY = 7,
    ANEC_ERROR_INTERNAL = 8 /* a bug in anec */
} anec_status;

typedef ANEC_ENUM(anec_dtype){
    ANEC_DTYPE_BOOL = 0,    ANEC_DTYPE_INT8 = 1,     ANEC_DTYPE_INT16 = 2,
    ANEC_DTYPE_INT32 = 3,   ANEC_DTYPE_INT64 = 4,    ANEC_DTYPE_UINT8 = 5,
    ANEC_DTYPE_UINT16 = 6,  ANEC_DTYPE_UINT32 = 7,   ANEC_DTYPE_UINT64 = 8,
    ANEC_DTYPE_FLOAT16 = 9, ANEC_DTYPE_FLOAT32 = 10, ANEC_DTYPE_FLOAT64 = 11} anec_dtype;

typedef ANEC_ENUM(anec_backend){
    ANEC_BACKEND_AUTO = 0, /* the ANE where available, else the reference backend */
    ANEC_BACKEND_REFERENCE = 1, ANEC_BACKEND_ANE = 2,
    /* the ANE backend over a simulated device that reproduces the ANE's known rules, anywhere */
    ANEC_BACKEND_ANE_SIMULATOR = 3} anec_backend;

typedef struct anec_program anec_program;
/* How .ane sources are compiled (anec_compile_source_with_options, anec_load_with_options). */
typedef struct anec_compile_options anec_compile_options;

typedef struct anec_tensor_info {
    const char* name;
    anec_dtype dtype;
    size_t rank;
    const int64_t* shape; /* rank dimensions */
    size_t element_count;
    size_t byte_size; /* element_count * anec_dtype_size(dtype) */
} anec_tensor_info;

/* An input buffer. Float inputs (fp16/fp32) accept ANEC_DTYPE_FLOAT16, _FLOAT32 or _FLOAT64
 * data (converted, rounding to nearest even); other inputs need their declared dtype. The shape
 * is the declared one: byte_size must be element_count * anec_dtype_size(dtype). */
typedef struct anec_input {
    const char* name;
    anec_dtype dtype;
    const void* data;
    size_t byte_size;
} anec_input;

/* An output buffer, filled by anec_run. Float outputs can be read as FLOAT16, FLOAT32 or
 * FLOAT64; other outputs in their declared dtype. Outputs not asked for are discarded. */
typedef struct anec_output {
    const char* name;
    anec_dtype dtype;
    void* data;
    size_t byte_size;
} anec_output;

/* "0.1.0" */
ANEC_API const char* anec_version(void);
/* The message of the last failed call on this thread ("" when none failed yet). */
ANEC_API const char* anec_last_error(void);
/* "ANEC_OK", "ANEC_ERROR_COMPILE", ... ("unknown status" otherwise). */
ANEC_API const char* anec_status_name(anec_status status);
/* "fp16", "fp32", "int32", "bool", ... (NULL for a value outside the enum). */
ANEC_API const char* anec_dtype_name(anec_dtype dtype);
/* Bytes per element (0 for a value outside the enum). */
ANEC_API size_t anec_dtype_size(anec_dtype dtype);

/* The most memory one compilation or kernel run may take, for the whole process (see
 * anec::setMaxMemory in anec.hpp): a tensor over it fails with ANEC_ERROR_OUT_OF_MEMORY and a
 * message naming it. 0 restores the default (ANEC_MAX_MEMORY, else half the machine's memory). */
ANEC_API void anec_set_max_memory(uint64_t bytes);
/* The limit in force, in bytes (0 when ANEC_MAX_MEMORY holds no size; see anec_last_error). */
ANEC_API uint64_t anec_max_memory(void);

/* Compiles .ane source text. `name` (may be NULL: "source.ane") is the file name shown in
 * diagnostics; relative npy() paths resolve against its directory. `defines` are
 * define_count "NAME=VALUE" strings (as -D); opt_level is 0 or 1 (what `anec build` uses). */
ANEC_API anec_status anec_compile_source(const char* source, const char* name,
                                         const char* const* defines, size_t define_count,
                                         int opt_level, anec_program** program);
/* Compiles a .ane file with defines and opt_level as above. */
ANEC_API anec_status anec_compile_file(const char* path, const char* const* defines,
                                       size_t define_count, int opt_level, anec_program** program);
/* Loads a .mil file, a program directory written by `anec build`, a build output root (one
 * kernel per subdirectory) or a .ane file (default options). */
ANEC_API anec_status anec_load(const char* path, anec_program** program);

/* Compile options, created with the defaults: opt level 1, I/O packing on, no ANE target, no
 * defines. The setters mirror the CLI's -O, --no-pack-io, --target and -D; a bad value is
 * ANEC_ERROR_INVALID_ARGUMENT and leaves the options unchanged. An options object may be reused
 * for several compilations; it is not shared with the programs. */
ANEC_API anec_status anec_compile_options_create(anec_compile_options** options);
/* Frees options (NULL is allowed). */
ANEC_API void anec_compile_options_free(anec_compile_options* options);
/* The pass pipeline: opt_level 0 or 1 (`-O`), pack_io non-zero to pack inputs/outputs of equal
 * spatial size into one tensor each at opt level 1, zero for `--no-pack-io`. */
ANEC_API anec_status anec_compile_options_set_pipeline(anec_compile_options* options, int opt_level,
                                                       int pack_io);
/* The ANE target .ane sources are legalized for: "generic", "m1" ... "m5"; NULL or "" (the
 * default) for none (the ANE backends legalize for their chip in any case). */
ANEC_API anec_status anec_compile_options_set_target(anec_compile_options* options,
                                                     const char* target);
/* Replaces the constant overrides with define_count "NAME=VALUE" strings (as -D). */
ANEC_API anec_status anec_compile_options_set_defines(anec_compile_options* options,
                                                      const char* const* defines,
                                                      size_t define_count);
/* As anec_compile_source, with `options` (NULL: the defaults). */
ANEC_API anec_status anec_compile_source_with_options(const char* source, const char* name,
                                                      const anec_compile_options* options,
                                                      anec_program** program);
/* As anec_load, a .ane file compiled with `options` (NULL: the defaults). */
ANEC_API anec_status anec_load_with_options(const char* path, const anec_compile_options* options,
                                            anec_program** program);
/* Frees a program (NULL is allowed). */
ANEC_API void anec_program_free(anec_program* program);
/* The backend later runs use (default ANEC_BACKEND_AUTO). */
ANEC_API anec_status anec_program_set_backend(anec_program* program, anec_backend backend);
/* For the ANE backends, later runs: the target to legalize for ("generic", "m1" ... "m5"; NULL
 * or "" = the machine's chip, generic for the simulator, which simulates this chip) and, when
 * compile_budget is non-zero, the process's compile budget (default ANEC_COMPILE_BUDGET or 100).
 * An unknown target is ANEC_ERROR_INVALID_ARGUMENT. */
ANEC_API anec_status anec_program_set_ane_options(anec_program* program, const char* target,
                                                  size_t compile_budget);

ANEC_API size_t anec_kernel_count(const anec_program* program);
/* NULL when the index is out of range. */
ANEC_API const char* anec_kernel_name(const anec_program* program, size_t kernel);
ANEC_API anec_status anec_find_kernel(const anec_program* program, const char* name,
                                      size_t* kernel);
ANEC_API size_t anec_input_count(const anec_program* program, size_t kernel);
ANEC_API size_t anec_output_count(const anec_program* program, size_t kernel);
ANEC_API anec_status anec_input_info(const anec_program* program, size_t kernel, size_t input,
                                     anec_tensor_info* info);
ANEC_API anec_status anec_output_info(const anec_program* program, size_t kernel, size_t output,
                                      anec_tensor_info* info);

/* Runs `kernel` (NULL: the only kernel) with every declared input exactly once and fills the
 * given outputs. Dynamic weights may be omitted: their current value is used. The first run of a
 * kernel prepares it; later runs reuse it. */
ANEC_API anec_status anec_run(anec_program* program, const char* kernel, const anec_input* inputs,
                              size_t input_count, const anec_output* outputs, size_t output_count);

/* Dynamic weights (`dynamic weight W` in the source) are inputs of the kernels that use them
 * (also listed by anec_input_info) whose value the program keeps: anec_run uses the current
 * value when the caller omits them. */
ANEC_API size_t anec_dynamic_weight_count(const anec_program* program, size_t kernel);
ANEC_API anec_status anec_dynamic_weight_info(const anec_program* program, size_t kernel,
                                              size_t weight, anec_tensor_info* info);
/* Sets dynamic weight `name` for every kernel of the program that takes it, for all later runs,
 * without recompiling (a training loop's weight update). The buffer follows the rules of
 * anec_input (float weights accept FLOAT16, FLOAT32 or FLOAT64 data). An unknown name or a wrong
 * size gives ANEC_ERROR_INVALID_ARGUMENT. */
ANEC_API anec_status anec_set_weight(anec_program* program, const char* name, anec_dtype dtype,
                                     const void* data, size_t byte_size);

/* ---- Training (docs/training.md): a step declared with `train NAME { ... }` ---- */
typedef struct anec_trainer anec_trainer;

/* A .ane file holding a `train` declaration (compiled with `options`, NULL: the defaults) or a
 * build output directory holding step.json. `backend` runs the step's programs
 * (ANEC_BACKEND_AUTO: the ANE where available); `batch` is the sequences per step (0: the
 * declaration's; a build directory must have been built with it). */
ANEC_API anec_status anec_trainer_create(const char* path, const anec_compile_options* options,
                                         anec_backend backend, int64_t batch,
                                         anec_trainer** trainer);
ANEC_API void anec_trainer_free(anec_trainer* trainer);
/* Sequences per step, tokens per sequence, and the vocabulary (any pointer may be NULL). */
ANEC_API anec_status anec_trainer_shape(const anec_trainer* trainer, int64_t* sequences,
                                        int64_t* sequence_length, int64_t* vocabulary);
/* One step: `count` = sequences * sequence_length token ids and as many targets (the next
 * tokens), row-major. Writes the mean loss. */
ANEC_API anec_status anec_trainer_step(anec_trainer* trainer, const int32_t* tokens,
                                       const int32_t* targets, size_t count, double* loss);
/* Steps done (restored by anec_trainer_load_checkpoint); -1 for NULL. */
ANEC_API int64_t anec_trainer_steps_done(const anec_trainer* trainer);
/* The last step's dispatches and bytes between host and device; programs compiled so far. */
ANEC_API anec_status anec_trainer_counters(const anec_trainer* trainer, uint64_t* dispatches,
                                           uint64_t* bytes_to_device, uint64_t* bytes_from_device,
                                           size_t* compiles);
/* The trained weights, in the model's order; names live as long as the trainer. */
ANEC_API size_t anec_trainer_weight_count(const anec_trainer* trainer);
ANEC_API const char* anec_trainer_weight_name(const anec_trainer* trainer, size_t index);
ANEC_API anec_status anec_trainer_weight_info(const anec_trainer* trainer, const char* name,
                                              anec_tensor_info* info);
/* Reads (FLOAT16, FLOAT32 or FLOAT64 buffers) or replaces a weight, as anec_set_weight. */
ANEC_API anec_status anec_trainer_get_weight(const anec_trainer* trainer, const char* name,
                                             anec_dtype dtype, void* data, size_t byte_size);
ANEC_API anec_status anec_trainer_set_weight(anec_trainer* trainer, const char* name,
                                             anec_dtype dtype, const void* data, size_t byte_size);
/* Weights, optimizer state and step count as a safetensors file (written atomically). */
ANEC_API anec_status anec_trainer_save_checkpoint(const anec_trainer* trainer, const char* path);
ANEC_API anec_status anec_trainer_load_checkpoint(anec_trainer* trainer, const char* path);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ANEC_H */
