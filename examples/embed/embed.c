/* Compiles a small .ane kernel from a string with the C API, inspects it, runs it on known
 * inputs and checks the outputs. Exit status 0 when every value is as expected. */
#include <stdio.h>
#include <string.h>

#include <anec/anec.h>

static const char* kSource =
    "const N = 2\n"
    "kernel axpy(a: fp32[N, 3], x: fp16[N, 3], y: fp16[N, 3]) -> (out: fp32[N, 3]) {\n"
    "    out = a * x + y\n"
    "}\n";

static int fail(const char* what, anec_status status) {
    fprintf(stderr, "embed_c: %s failed: %s\n%s\n", what, anec_status_name(status),
            anec_last_error());
    return 1;
}

int main(void) {
    const char* defines[] = {"N=4"}; /* as -D N=4: a [4, 3] problem */
    anec_program* program = NULL;
    anec_status status = anec_compile_source(kSource, "axpy.ane", defines, 1, 1, &program);
    if (status != ANEC_OK) return fail("anec_compile_source", status);

    size_t kernel = 0;
    status = anec_find_kernel(program, "axpy", &kernel);
    if (status != ANEC_OK) return fail("anec_find_kernel", status);
    for (size_t i = 0; i < anec_input_count(program, kernel); ++i) {
        anec_tensor_info info;
        anec_input_info(program, kernel, i, &info);
        printf("input %s: %s [%lld, %lld], %zu bytes\n", info.name, anec_dtype_name(info.dtype),
               (long long)info.shape[0], (long long)info.shape[1], info.byte_size);
    }

    /* Every input as float32 data: the library converts to the declared fp16. */
    float a[12], x[12], y[12], out[12];
    for (int i = 0; i < 12; ++i) {
        a[i] = 2.0f;
        x[i] = (float)i;
        y[i] = 0.25f * (float)i;
    }
    anec_input inputs[3] = {
        {"a", ANEC_DTYPE_FLOAT32, a, sizeof a},
        {"x", ANEC_DTYPE_FLOAT32, x, sizeof x},
        {"y", ANEC_DTYPE_FLOAT32, y, sizeof y},
    };
    anec_output outputs[1] = {{"out", ANEC_DTYPE_FLOAT32, out, sizeof out}};
    status = anec_run(program, "axpy", inputs, 3, outputs, 1);
    if (status != ANEC_OK) return fail("anec_run", status);

    int wrong = 0;
    for (int i = 0; i < 12; ++i) {
        float expected = 2.0f * (float)i + 0.25f * (float)i;
        printf("out[%d] = %g\n", i, out[i]);
        if (out[i] != expected) ++wrong;
    }

    /* A wrong buffer size is reported, not a crash. */
    inputs[0].byte_size = 4;
    status = anec_run(program, "axpy", inputs, 3, outputs, 1);
    printf("expected error: %s: %s\n", anec_status_name(status), anec_last_error());
    if (status != ANEC_ERROR_INVALID_ARGUMENT) ++wrong;

    anec_program_free(program);
    if (wrong != 0) {
        printf("embed_c: %d wrong values\n", wrong);
        return 1;
    }
    printf("embed_c: ok\n");
    return 0;
}
