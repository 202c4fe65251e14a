// reduce_*, softmax and layer_norm against plain double loops.
#include "op_test_harness.hpp"

using namespace anec;
using namespace anec::test;

namespace {
// Groups the elements of x by their position in the non-reduced dims.
struct Grouping {
    ir::Shape kept;                  // result shape with keep_dims (reduced dims = 1)
    ir::Shape inner;                 // the reduced dims, in dimension order
    std::vector<int64_t> groupOf;    // per element of x
    std::vector<int64_t> positionOf; // per element: flat index within the reduced dims
    int64_t groups = 1, perGroup = 1;
};

Grouping groupBy(const ir::Shape& shape, const std::vector<int64_t>& axes) {
    std::vector<bool> reduced(shape.size(), axes.empty());
    for (int64_t a : axes)
        reduced[static_cast<size_t>(a < 0 ? a + int64_t(shape.size()) : a)] = true;
    Grouping g;
    for (size_t d = 0; d < shape.size(); ++d) {
        g.kept.push_back(reduced[d] ? 1 : shape[d]);
        if (reduced[d]) g.inner.push_back(shape[d]);
    }
    g.groups = count(g.kept);
    g.perGroup = count(g.inner);
    for (int64_t i = 0; i < count(shape); ++i) {
        auto index = unflatten(i, shape);
        std::vector<int64_t> outer = index, within;
        for (size_t d = 0; d < shape.size(); ++d) {
            if (!reduced[d]) continue;
            outer[d] = 0;
            within.push_back(index[d]);
        }
        g.groupOf.push_back(flatten(outer, g.kept));
        g.positionOf.push_back(flatten(within, g.inner));
    }
    return g;
}

ir::Shape resultShape(const ir::Shape& shape, const std::vector<int64_t>& axes, bool keepDims) {
    Grouping g = groupBy(shape, axes);
    if (keepDims) return g.kept;
    ir::Shape out;
    std::vector<bool> reduced(shape.size(), axes.empty());
    for (int64_t a : axes)
        reduced[static_cast<size_t>(a < 0 ? a + int64_t(shape.size()) : a)] = true;
    for (size_t d = 0; d < shape.size(); ++d)
        if (!reduced[d]) out.push_back(shape[d]);
    return out;
}

std::vector<int64_t> randomAxes(Random& random, size_t rank) {
    std::vector<int64_t> axes;
    for (size_t d = 0; d < rank; ++d)
        if (random.chance(0.5))
            axes.push_back(random.chance(0.3) ? int64_t(d) - int64_t(rank) : int64_t(d));
    std::shuffle(axes.begin(), axes.end(), std::mt19937(static_cast<uint32_t>(rank)));
    return axes;
}
} // namespace

TEST_CASE("reduce_sum, reduce_mean, reduce_max and reduce_min over axes", "[runtime][ops]") {
    Random random(30);
    for (const std::string kind : {"reduce_sum", "reduce_mean", "reduce_max", "reduce_min"}) {
        for (ir::DType dtype : {ir::DType::Fp16, ir::DType::Fp32, ir::DType::Int32}) {
            for (int trial = 0; trial < 8; ++trial) {
                ir::TensorType x{dtype, random.shape(static_cast<size_t>(random.integer(1, 4)), 5)};
                std::vector<int64_t> axes = randomAxes(random, x.rank());
                bool keepDims = random.chance(0.5);
                SingleOp op(kind, {{"axes", axes}, {"keep_dims", keepDims}});
                op.operand(x, random.values(x));
                Grouping g = groupBy(x.shape, axes);
                std::vector<double> expected(static_cast<size_t>(g.groups),
                                             kind == "reduce_max"   ? -INFINITY
                                             : kind == "reduce_min" ? INFINITY
                                                                    : 0.0);
                for (size_t i = 0; i < op.values(0).size(); ++i) {
                    double& e = expected[static_cast<size_t>(g.groupOf[i])];
                    double v = op.values(0)[i];
                    e = kind == "reduce_max"   ? std::max(e, v)
                        : kind == "reduce_min" ? std::min(e, v)
                                               : e + v;
                }
                if (kind == "reduce_mean")
                    for (double& e : expected)
                        e = dtype == ir::DType::Int32 ? std::trunc(e / double(g.perGroup))
                                                      : e / double(g.perGroup);
                INFO("result shape " << ir::shapeString(resultShape(x.shape, axes, keepDims)));
                op.check(expected,
                         kind == "reduce_max" || kind == "reduce_min" ? kExact : composite(dtype));
            }
        }
    }
}

TEST_CASE("softmax along any axis", "[runtime][ops]") {
    Random random(31);
    for (ir::DType dtype : {ir::DType::Fp16, ir::DType::Fp32}) {
        for (int trial = 0; trial < 10; ++trial) {
            ir::TensorType x{dtype, random.shape(static_cast<size_t>(random.integer(1, 4)), 6)};
            int64_t axis = random.integer(-int64_t(x.rank()), int64_t(x.rank()) - 1);
            SingleOp op("softmax", {{"axis", axis}});
            op.operand(x, random.values(x, -4, 4));
            Grouping g = groupBy(x.shape, {axis});
            std::vector<double> maxima(static_cast<size_t>(g.groups), -INFINITY),
                sums(static_cast<size_t>(g.groups), 0.0), expected;
            const auto& v = op.values(0);
            for (size_t i = 0; i < v.size(); ++i)
                maxima[g.groupOf[i]] = std::max(maxima[g.groupOf[i]], v[i]);
            for (size_t i = 0; i < v.size(); ++i)
                sums[g.groupOf[i]] += std::exp(v[i] - maxima[g.groupOf[i]]);
            for (size_t i = 0; i < v.size(); ++i)
                expected.push_back(std::exp(v[i] - maxima[g.groupOf[i]]) / sums[g.groupOf[i]]);
            op.check(expected, composite(dtype));
        }
    }
}

TEST_CASE("layer_norm over axes with optional gamma and beta", "[runtime][ops]") {
    Random random(32);
    for (ir::DType dtype : {ir::DType::Fp16, ir::DType::Fp32}) {
        for (int trial = 0; trial < 12; ++trial) {
            ir::TensorType x{dtype, random.shape(static_cast<size_t>(random.integer(1, 4)), 6)};
            std::vector<int64_t> axes = randomAxes(random, x.rank());
            Grouping g = groupBy(x.shape, axes);
            const ir::Shape scaleShape = g.inner; // gamma/beta: the normalised dims
            const bool withGamma = trial % 3 != 1, withBeta = trial % 3 != 2;
            const double epsilon = 0.0625;
            SingleOp op("layer_norm", {{"axes", axes}, {"epsilon", epsilon}});
            op.operand(x, random.values(x, -3, 3));
            ir::TensorType scale{dtype, scaleShape};
            std::vector<double> gamma(static_cast<size_t>(count(scaleShape)), 1.0),
                beta(gamma.size(), 0.0);
            if (withGamma) {
                gamma = random.values(scale, 0.5, 1.5);
                op.operand(scale, gamma, trial % 2 == 0);
            } else {
                op.absent();
            }
            if (withBeta) {
                beta = random.values(scale, -1, 1);
                op.operand(scale, beta, true);
            } else {
                op.absent();
            }
            const auto& v = op.values(0);
            std::vector<double> mean(static_cast<size_t>(g.groups), 0.0), var(mean.size(), 0.0);
            for (size_t i = 0; i < v.size(); ++i)
                mean[g.groupOf[i]] += v[i] / double(g.perGroup);
            for (size_t i = 0; i < v.size(); ++i)
                var[g.groupOf[i]] += std::pow(v[i] - mean[g.groupOf[i]], 2) / double(g.perGroup);
            std::vector<double> expected;
            for (size_t i = 0; i < v.size(); ++i) {
                size_t k = static_cast<size_t>(g.positionOf[i]);
                expected.push_back((v[i] - mean[g.groupOf[i]]) /
                                       std::sqrt(var[g.groupOf[i]] + epsilon) * gamma[k] +
                                   beta[k]);
            }
            INFO("axes " << axes.size() << " gamma " << withGamma << " beta " << withBeta);
            op.check(expected, composite(dtype));
        }
    }
}
