#pragma once
// Row-major GEMM through CBLAS (OpenBLAS): C[m, n] = op(A)[m, k] · op(B)[k, n], accumulating in
// the element type (sgemm for float, dgemm for double). lda/ldb/ldc are the row strides of the
// stored matrices.
#include <cstdint>

namespace anec::runtime::reference {

void gemm(bool transposeA, bool transposeB, int64_t m, int64_t n, int64_t k, const float* a,
          int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc);
void gemm(bool transposeA, bool transposeB, int64_t m, int64_t n, int64_t k, const double* a,
          int64_t lda, const double* b, int64_t ldb, double* c, int64_t ldc);

// Whether every GEMM dimension fits the BLAS integer type.
bool fitsBlas(int64_t value);

} // namespace anec::runtime::reference
