#include "runtime/reference/gemm.hpp"

#include <cblas.h>
#include <limits>

namespace anec::runtime::reference {

namespace {
blasint toBlas(int64_t value) {
    return static_cast<blasint>(value);
}
CBLAS_TRANSPOSE transposeFlag(bool transpose) {
    return transpose ? CblasTrans : CblasNoTrans;
}
} // namespace

bool fitsBlas(int64_t value) {
    return value >= 0 && value <= static_cast<int64_t>(std::numeric_limits<blasint>::max());
}

void gemm(bool transposeA, bool transposeB, int64_t m, int64_t n, int64_t k, const float* a,
          int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc) {
    cblas_sgemm(CblasRowMajor, transposeFlag(transposeA), transposeFlag(transposeB), toBlas(m),
                toBlas(n), toBlas(k), 1.0f, a, toBlas(lda), b, toBlas(ldb), 0.0f, c, toBlas(ldc));
}

void gemm(bool transposeA, bool transposeB, int64_t m, int64_t n, int64_t k, const double* a,
          int64_t lda, const double* b, int64_t ldb, double* c, int64_t ldc) {
    cblas_dgemm(CblasRowMajor, transposeFlag(transposeA), transposeFlag(transposeB), toBlas(m),
                toBlas(n), toBlas(k), 1.0, a, toBlas(lda), b, toBlas(ldb), 0.0, c, toBlas(ldc));
}

} // namespace anec::runtime::reference
