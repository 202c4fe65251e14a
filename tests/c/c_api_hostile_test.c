/* The C API called as a careless C program would: every enum parameter with values outside its
 * enumerators and every pointer parameter NULL. Each call must return a status code (or its
 * documented fallback) and never crash; under the sanitizer build UBSan and ASan watch the
 * library while it rejects them. Compiled as C, so the enums arrive as C passes them.
 * Usage: c_api_hostile_test TRAIN_SOURCE.ane */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "anec/anec.h"

static int failures = 0;

#define EXPECT(condition)                                                                          \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #condition);                \
            ++failures;                                                                            \
        }                                                                                          \
    } while (0)

/* A status that is an error with a message (not a crash, not ANEC_ERROR_INTERNAL). */
#define EXPECT_REJECTED(call, status)                                                              \
    do {                                                                                           \
        anec_status got_ = (call);                                                                 \
        if (got_ != (status)) {                                                                    \
            fprintf(stderr, "%s:%d: %s returned %s, expected %s (%s)\n", __FILE__, __LINE__,       \
                    #call, anec_status_name(got_), anec_status_name(status), anec_last_error());   \
            ++failures;                                                                            \
        } else if (anec_last_error()[0] == '\0') {                                                 \
            fprintf(stderr, "%s:%d: %s gave no message\n", __FILE__, __LINE__, #call);             \
            ++failures;                                                                            \
        }                                                                                          \
    } while (0)

static const int garbage[] = {-1, 12, 77, 9999, INT_MAX, INT_MIN};
#define GARBAGE_COUNT (sizeof garbage / sizeof garbage[0])

static const char* const kSource = "dynamic weight W: fp16[1, 4, 1, 1] = zeros()\n"
                                   "kernel k(x: fp16[1, 4, 1, 1]) -> (y: fp16[1, 4, 1, 1]) {\n"
                                   "    y = x * W\n"
                                   "}\n";

static void check_enum_functions(void) {
    size_t i;
    for (i = 0; i < GARBAGE_COUNT; ++i) {
        EXPECT(strcmp(anec_status_name((anec_status)garbage[i]), "unknown status") == 0);
        EXPECT(anec_dtype_name((anec_dtype)garbage[i]) == NULL);
        EXPECT(anec_dtype_size((anec_dtype)garbage[i]) == 0);
    }
}

static void check_null_everywhere(void) {
    const anec_status invalid = ANEC_ERROR_INVALID_ARGUMENT;
    anec_program* program = NULL;
    anec_compile_options* options = NULL;
    anec_tensor_info info;
    size_t index = 0;
    EXPECT(anec_version() != NULL);
    EXPECT(anec_last_error() != NULL);
    EXPECT_REJECTED(anec_compile_source(NULL, NULL, NULL, 0, 1, &program), invalid);
    EXPECT_REJECTED(anec_compile_source(kSource, NULL, NULL, 0, 1, NULL), invalid);
    EXPECT_REJECTED(anec_compile_source(kSource, NULL, NULL, 3, 1, &program), invalid);
    EXPECT_REJECTED(anec_compile_file(NULL, NULL, 0, 1, &program), invalid);
    EXPECT_REJECTED(anec_load(NULL, &program), invalid);
    EXPECT_REJECTED(anec_load("x.mil", NULL), invalid);
    EXPECT_REJECTED(anec_compile_options_create(NULL), invalid);
    EXPECT_REJECTED(anec_compile_options_set_pipeline(NULL, 1, 1), invalid);
    EXPECT_REJECTED(anec_compile_options_set_target(NULL, "m4"), invalid);
    EXPECT_REJECTED(anec_compile_options_set_defines(NULL, NULL, 0), invalid);
    EXPECT_REJECTED(anec_compile_source_with_options(NULL, NULL, NULL, &program), invalid);
    EXPECT_REJECTED(anec_load_with_options(NULL, NULL, &program), invalid);
    EXPECT_REJECTED(anec_program_set_backend(NULL, ANEC_BACKEND_REFERENCE), invalid);
    EXPECT_REJECTED(anec_program_set_ane_options(NULL, NULL, 0), invalid);
    EXPECT(anec_kernel_count(NULL) == 0);
    EXPECT(anec_kernel_name(NULL, 0) == NULL);
    EXPECT_REJECTED(anec_find_kernel(NULL, "k", &index), invalid);
    EXPECT(anec_input_count(NULL, 0) == 0);
    EXPECT(anec_output_count(NULL, 0) == 0);
    EXPECT_REJECTED(anec_input_info(NULL, 0, 0, &info), invalid);
    EXPECT_REJECTED(anec_output_info(NULL, 0, 0, &info), invalid);
    EXPECT_REJECTED(anec_run(NULL, "k", NULL, 0, NULL, 0), invalid);
    EXPECT(anec_dynamic_weight_count(NULL, 0) == 0);
    EXPECT_REJECTED(anec_dynamic_weight_info(NULL, 0, 0, &info), invalid);
    EXPECT_REJECTED(anec_set_weight(NULL, "W", ANEC_DTYPE_FLOAT32, NULL, 0), invalid);
    anec_compile_options_free(NULL);
    anec_program_free(NULL);
    (void)options;
}

static void check_trainer_nulls(void) {
    const anec_status invalid = ANEC_ERROR_INVALID_ARGUMENT;
    anec_trainer* trainer = NULL;
    anec_tensor_info info;
    int32_t tokens[1] = {0};
    double loss = 0;
    EXPECT_REJECTED(anec_trainer_create(NULL, NULL, ANEC_BACKEND_REFERENCE, 0, &trainer), invalid);
    EXPECT_REJECTED(anec_trainer_create("t.ane", NULL, ANEC_BACKEND_REFERENCE, 0, NULL), invalid);
    EXPECT_REJECTED(anec_trainer_shape(NULL, NULL, NULL, NULL), invalid);
    EXPECT_REJECTED(anec_trainer_step(NULL, tokens, tokens, 1, &loss), invalid);
    EXPECT(anec_trainer_steps_done(NULL) == -1);
    EXPECT_REJECTED(anec_trainer_counters(NULL, NULL, NULL, NULL, NULL), invalid);
    EXPECT(anec_trainer_weight_count(NULL) == 0);
    EXPECT(anec_trainer_weight_name(NULL, 0) == NULL);
    EXPECT_REJECTED(anec_trainer_weight_info(NULL, "W", &info), invalid);
    EXPECT_REJECTED(anec_trainer_get_weight(NULL, "W", ANEC_DTYPE_FLOAT32, NULL, 0), invalid);
    EXPECT_REJECTED(anec_trainer_set_weight(NULL, "W", ANEC_DTYPE_FLOAT32, NULL, 0), invalid);
    EXPECT_REJECTED(anec_trainer_save_checkpoint(NULL, "c.safetensors"), invalid);
    EXPECT_REJECTED(anec_trainer_load_checkpoint(NULL, "c.safetensors"), invalid);
    anec_trainer_free(NULL);
}

/* A real program, then every remaining pointer NULL and every enum garbage. */
static void check_program(void) {
    const anec_status invalid = ANEC_ERROR_INVALID_ARGUMENT;
    anec_program* program = NULL;
    anec_tensor_info info;
    float values[4] = {1, 2, 3, 4};
    float result[4] = {0};
    anec_input input = {"x", ANEC_DTYPE_FLOAT32, values, sizeof values};
    anec_output output = {"y", ANEC_DTYPE_FLOAT32, result, sizeof result};
    size_t index = 0;
    size_t i;
    if (anec_compile_source(kSource, "hostile.ane", NULL, 0, 1, &program) != ANEC_OK) {
        fprintf(stderr, "cannot compile the test kernel: %s\n", anec_last_error());
        ++failures;
        return;
    }
    EXPECT_REJECTED(anec_find_kernel(program, NULL, &index), invalid);
    EXPECT_REJECTED(anec_find_kernel(program, "k", NULL), invalid);
    EXPECT_REJECTED(anec_input_info(program, 0, 0, NULL), invalid);
    EXPECT_REJECTED(anec_output_info(program, 0, 0, NULL), invalid);
    EXPECT_REJECTED(anec_dynamic_weight_info(program, 0, 0, NULL), invalid);
    EXPECT_REJECTED(anec_input_info(program, (size_t)-1, 0, &info), invalid);
    EXPECT_REJECTED(anec_set_weight(program, NULL, ANEC_DTYPE_FLOAT32, values, sizeof values),
                    invalid);
    EXPECT_REJECTED(anec_set_weight(program, "W", ANEC_DTYPE_FLOAT32, NULL, sizeof values),
                    invalid);
    EXPECT_REJECTED(anec_run(program, "k", NULL, 1, &output, 1), invalid);
    EXPECT_REJECTED(anec_run(program, "k", &input, 1, NULL, 1), invalid);
    for (i = 0; i < GARBAGE_COUNT; ++i) {
        anec_input bad_input = input;
        anec_output bad_output = output;
        bad_input.dtype = (anec_dtype)garbage[i];
        bad_output.dtype = (anec_dtype)garbage[i];
        EXPECT_REJECTED(anec_program_set_backend(program, (anec_backend)garbage[i]), invalid);
        EXPECT_REJECTED(
            anec_set_weight(program, "W", (anec_dtype)garbage[i], values, sizeof values), invalid);
        EXPECT_REJECTED(anec_run(program, "k", &bad_input, 1, &output, 1), invalid);
        EXPECT_REJECTED(anec_run(program, "k", &input, 1, &bad_output, 1), invalid);
    }
    {
        anec_input unnamed = input;
        unnamed.name = NULL;
        EXPECT_REJECTED(anec_run(program, "k", &unnamed, 1, &output, 1), invalid);
    }
    {
        anec_output unnamed = output;
        unnamed.name = NULL;
        EXPECT_REJECTED(anec_run(program, "k", &input, 1, &unnamed, 1), invalid);
    }
    EXPECT(anec_program_set_backend(program, ANEC_BACKEND_REFERENCE) == ANEC_OK);
    /* Over the memory limit: a status and a message, not an allocation. */
    anec_set_max_memory(4);
    EXPECT(anec_max_memory() == 4);
    EXPECT_REJECTED(anec_run(program, "k", &input, 1, &output, 1), ANEC_ERROR_OUT_OF_MEMORY);
    anec_set_max_memory(0);
    EXPECT(anec_max_memory() > 4);
    EXPECT(anec_run(program, "k", &input, 1, &output, 1) == ANEC_OK);
    anec_program_free(program);
}

static void check_trainer(const char* train_source) {
    const anec_status invalid = ANEC_ERROR_INVALID_ARGUMENT;
    const char* const defines[] = {"SEQ=16", "LAYERS=1"};
    anec_compile_options* options = NULL;
    anec_trainer* trainer = NULL;
    anec_tensor_info info;
    float value = 0;
    size_t i;
    EXPECT(anec_compile_options_create(&options) == ANEC_OK);
    EXPECT(anec_compile_options_set_defines(options, defines, 2) == ANEC_OK);
    for (i = 0; i < GARBAGE_COUNT; ++i)
        EXPECT_REJECTED(
            anec_trainer_create(train_source, options, (anec_backend)garbage[i], 0, &trainer),
            invalid);
    if (anec_trainer_create(train_source, options, ANEC_BACKEND_REFERENCE, 0, &trainer) !=
        ANEC_OK) {
        fprintf(stderr, "cannot create the trainer: %s\n", anec_last_error());
        ++failures;
        anec_compile_options_free(options);
        return;
    }
    EXPECT_REJECTED(anec_trainer_step(trainer, NULL, NULL, 0, NULL), invalid);
    EXPECT_REJECTED(anec_trainer_weight_info(trainer, NULL, &info), invalid);
    EXPECT_REJECTED(anec_trainer_weight_info(trainer, anec_trainer_weight_name(trainer, 0), NULL),
                    invalid);
    EXPECT_REJECTED(anec_trainer_save_checkpoint(trainer, NULL), invalid);
    EXPECT_REJECTED(anec_trainer_load_checkpoint(trainer, NULL), invalid);
    for (i = 0; i < GARBAGE_COUNT; ++i) {
        const char* name = anec_trainer_weight_name(trainer, 0);
        EXPECT_REJECTED(
            anec_trainer_get_weight(trainer, name, (anec_dtype)garbage[i], &value, sizeof value),
            invalid);
        EXPECT_REJECTED(
            anec_trainer_set_weight(trainer, name, (anec_dtype)garbage[i], &value, sizeof value),
            invalid);
    }
    anec_trainer_free(trainer);
    anec_compile_options_free(options);
}

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s TRAIN_SOURCE.ane\n", argv[0]);
        return 2;
    }
    /* Both languages see int-sized enums: one ABI. */
    EXPECT(sizeof(anec_dtype) == sizeof(int) && sizeof(anec_backend) == sizeof(int));
    check_enum_functions();
    check_null_everywhere();
    check_trainer_nulls();
    check_program();
    check_trainer(argv[1]);
    if (failures) {
        fprintf(stderr, "c_api_hostile_test: %d failures\n", failures);
        return 1;
    }
    printf("c_api_hostile_test: ok\n");
    return 0;
}
