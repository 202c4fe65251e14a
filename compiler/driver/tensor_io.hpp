#pragma once
// Runtime tensors to and from .npy arrays, random inputs, summaries and error measures: the
// numeric plumbing of `anec run` and `anec compare`.
#include <cstdint>
#include <string>
#include <vector>

#include "ir/types.hpp"
#include "runtime/core/tensor.hpp"
#include "support/npy.hpp"

namespace anec::driver {

// The array as a tensor of `type`. Float arrays (float16/32/64) fill fp16 and fp32 tensors,
// rounded to nearest even; int32 and bool tensors need int32 and bool arrays. The shape must be
// exactly `type.shape`. Throws anec::Error naming `what` (e.g. "input 'x' ('x.npy')") and, for
// a wrong shape, both shapes.
runtime::Tensor tensorFromNpy(const npy::Array& array, const ir::TensorType& type,
                              const std::string& what);

// The tensor as an array of the same dtype; throws for dtypes .npy output does not support.
npy::Array npyFromTensor(const runtime::Tensor& tensor, const std::string& what);

// Every element as a double (fp16 exactly); works for every numeric dtype.
std::vector<double> tensorValues(const runtime::Tensor& tensor);

// Deterministic uniform values in [-1, 1): SplitMix64 seeded with `seed`, one draw per element
// in row-major order, value = 2u - 1 with u = (z >> 11) * 2^-53 (the language's random() with
// scale 1), rounded to the dtype. int32 tensors get floor(value) (-1 or 0), bool value >= 0.
runtime::Tensor randomTensor(const ir::TensorType& type, uint64_t seed);

struct ValueSummary {
    int64_t count = 0;
    int64_t nanCount = 0;
    int64_t infCount = 0;
    // Over the finite elements; NaN when there are none.
    double min = 0, max = 0, mean = 0;
};
ValueSummary summarize(const std::vector<double>& values);

// `actual` against `expected` (same length): the largest |a - e|, the largest |a - e| / |e| over
// the elements with e != 0 (an element with e == 0 and a != 0 counts as infinite), and how many
// elements lie outside |a - e| <= atol + rtol * |e| (numpy.allclose). A NaN equals a NaN and an
// infinity the same infinity; any other pairing with a NaN or an infinity is a mismatch with
// infinite error.
struct Difference {
    int64_t count = 0;
    double maxAbs = 0;
    double maxRel = 0;
    int64_t mismatches = 0;
};
Difference compareValues(const std::vector<double>& actual, const std::vector<double>& expected,
                         double atol, double rtol);

// An output against its float64 reference (--reference-check): the largest |a - r| over the
// elements finite in both, that error relative to the largest finite |r| (the figure to compare
// with fp16's 2^-11 per rounding; 0 when both are 0, inf when only the reference is all zeros),
// and each side's NaN and infinity counts.
struct ReferenceError {
    int64_t count = 0;
    double maxAbs = 0;
    double maxReference = 0;
    double relative = 0;
    ValueSummary actual, reference; // for their nanCount and infCount
};
ReferenceError measureAgainstReference(const std::vector<double>& actual,
                                       const std::vector<double>& reference);

// "%.6g"-style text of a number ("nan", "inf", "-inf" included), or with fewer digits.
std::string formatNumber(double value, int significantDigits = 6);

} // namespace anec::driver
