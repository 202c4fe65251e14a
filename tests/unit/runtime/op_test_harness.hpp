#pragma once
// Runs one op on the reference backend (both precisions) and compares it with a plain double
// implementation written in the tests. Operands become kernel inputs (or constants), results
// become kernel outputs.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "ir/builder.hpp"
#include "runtime_test_support.hpp"

namespace anec::test {

using runtime::Precision;

// ---- index helpers for the plain implementations ----

inline int64_t count(const ir::Shape& shape) {
    int64_t n = 1;
    for (int64_t d : shape)
        n *= d;
    return n;
}

inline std::vector<int64_t> unflatten(int64_t flat, const ir::Shape& shape) {
    std::vector<int64_t> index(shape.size());
    for (size_t d = shape.size(); d-- > 0;) {
        index[d] = flat % shape[d];
        flat /= shape[d];
    }
    return index;
}

inline int64_t flatten(const std::vector<int64_t>& index, const ir::Shape& shape) {
    int64_t flat = 0;
    for (size_t d = 0; d < shape.size(); ++d)
        flat = flat * shape[d] + index[d];
    return flat;
}

// The element of `from` that numpy broadcasting reads for result index `index`.
inline int64_t broadcastFlat(const std::vector<int64_t>& index, const ir::Shape& from) {
    size_t offset = index.size() - from.size();
    int64_t flat = 0;
    for (size_t d = 0; d < from.size(); ++d)
        flat = flat * from[d] + (from[d] == 1 ? 0 : index[offset + d]);
    return flat;
}

inline ir::Shape broadcast(const ir::Shape& a, const ir::Shape& b) {
    auto shape = ir::broadcastShapes(a, b);
    REQUIRE(shape);
    return *shape;
}

// ---- values ----

inline double roundTo(ir::DType dtype, double value) {
    switch (dtype) {
    case ir::DType::Fp16:
        return halfToFloat(doubleToHalf(value));
    case ir::DType::Fp32:
        return static_cast<float>(value);
    default:
        return value;
    }
}

class Random {
  public:
    explicit Random(uint32_t seed) : rng_(seed) {}
    int64_t integer(int64_t low, int64_t high) {
        return std::uniform_int_distribution<int64_t>(low, high)(rng_);
    }
    double real(double low, double high) {
        return std::uniform_real_distribution<double>(low, high)(rng_);
    }
    bool chance(double p) { return real(0, 1) < p; }
    // Values of `type` (already representable in it): floats in [low, high], int32 in
    // [-20, 20], bool 0/1.
    std::vector<double> values(const ir::TensorType& type, double low = -2, double high = 2) {
        std::vector<double> out(static_cast<size_t>(type.numElements()));
        for (double& v : out) {
            if (type.dtype == ir::DType::Int32)
                v = static_cast<double>(integer(-20, 20));
            else if (type.dtype == ir::DType::Bool)
                v = static_cast<double>(integer(0, 1));
            else
                v = roundTo(type.dtype, real(low, high));
        }
        return out;
    }
    ir::Shape shape(size_t rank, int64_t maxDim = 5) {
        ir::Shape shape(rank);
        for (int64_t& d : shape)
            d = integer(1, maxDim);
        return shape;
    }
    // Two shapes that broadcast: random rank difference, size-1 dims and scalars.
    std::pair<ir::Shape, ir::Shape> broadcastPair() {
        ir::Shape out = shape(static_cast<size_t>(integer(0, 4)), 4);
        auto derive = [&]() {
            ir::Shape s(out.begin() + integer(0, static_cast<int64_t>(out.size())), out.end());
            for (int64_t& d : s)
                if (chance(0.3)) d = 1;
            return s;
        };
        return {derive(), derive()};
    }

  private:
    std::mt19937 rng_;
};

// ---- comparison ----

struct Tolerance {
    double rtol = 0;
    double atol = 0;
};
constexpr Tolerance kExact{0, 0};

// Within one rounding to the dtype (what Float64 mode adds when it returns an fp16/fp32 output).
inline Tolerance oneRounding(ir::DType dtype) {
    if (dtype == ir::DType::Fp16) return {std::ldexp(1.0, -11), std::ldexp(1.0, -25)};
    if (dtype == ir::DType::Fp32) return {std::ldexp(1.0, -24), 1e-45};
    return kExact;
}

// Float64 rounds only the output to its dtype (the atol covers summation order near zero).
inline Tolerance float64Tolerance(ir::DType dtype) {
    Tolerance tolerance = oneRounding(dtype);
    tolerance.atol = std::max(tolerance.atol, 1e-12);
    return tolerance;
}

inline bool close(double actual, double expected, Tolerance tol) {
    if (std::isnan(expected)) return std::isnan(actual);
    if (std::isinf(expected)) return actual == expected;
    return std::fabs(actual - expected) <= tol.rtol * std::fabs(expected) + tol.atol;
}

inline void checkValues(const std::vector<double>& actual, const std::vector<double>& expected,
                        Tolerance tol, const std::string& what) {
    REQUIRE(actual.size() == expected.size());
    size_t bad = 0, first = 0;
    double worst = 0;
    for (size_t i = 0; i < actual.size(); ++i) {
        if (close(actual[i], expected[i], tol)) continue;
        if (bad++ == 0) first = i;
        worst = std::max(worst, std::fabs(actual[i] - expected[i]));
    }
    INFO(what << ": " << bad << " of " << actual.size() << " elements differ; first at " << first
              << ": got " << (bad ? actual[first] : 0) << ", expected "
              << (bad ? expected[first] : 0) << "; worst |diff| " << worst << " (rtol " << tol.rtol
              << ", atol " << tol.atol << ")");
    CHECK(bad == 0);
}

// ---- the op under test ----

class SingleOp {
  public:
    explicit SingleOp(std::string kind, ir::AttrMap attrs = {})
        : kind_(std::move(kind)), attrs_(std::move(attrs)) {}

    SingleOp& operand(ir::TensorType type, std::vector<double> values, bool constant = false) {
        operands_.push_back({std::move(type), std::move(values), constant, false});
        return *this;
    }
    SingleOp& absent() {
        operands_.push_back({{}, {}, false, true});
        return *this;
    }
    const std::vector<double>& values(size_t i) const { return operands_.at(i).values; }
    const ir::TensorType& type(size_t i) const { return operands_.at(i).type; }

    std::shared_ptr<const ir::Module> module() const {
        auto module = std::make_shared<ir::Module>();
        auto kernel = std::make_unique<ir::Kernel>();
        kernel->name = "k";
        ir::Builder builder(*kernel);
        std::vector<ir::Value*> values;
        for (size_t i = 0; i < operands_.size(); ++i) {
            const Operand& o = operands_[i];
            if (o.absent)
                values.push_back(nullptr);
            else if (o.constant)
                values.push_back(builder.createConst(
                    std::make_shared<ir::ConstData>(ir::ConstData::fromDoubles(o.type, o.values))));
            else
                values.push_back(kernel->addInput("in" + std::to_string(i), o.type));
        }
        auto op = builder.create(kind_, values, attrs_, SourceLoc{1, 7, 3});
        INFO("building " << kind_);
        if (!op) FAIL(op.error());
        for (size_t r = 0; r < (*op)->results.size(); ++r)
            kernel->outputs.push_back({"out" + std::to_string(r), (*op)->result(r), {}});
        module->kernels.push_back(std::move(kernel));
        return module;
    }

    std::vector<runtime::Tensor> runTensors(Precision precision) const {
        auto executable = runtime::createReferenceBackend(precision)->prepare(module(), "k");
        std::vector<runtime::Tensor> inputs;
        std::map<std::string, runtime::TensorView> views;
        for (size_t i = 0; i < operands_.size(); ++i)
            if (!operands_[i].absent && !operands_[i].constant)
                inputs.push_back(makeTensor(operands_[i].type, operands_[i].values));
        size_t next = 0;
        for (size_t i = 0; i < operands_.size(); ++i)
            if (!operands_[i].absent && !operands_[i].constant)
                views["in" + std::to_string(i)] = viewOf(inputs[next++]);
        auto outputs = executable->run(views);
        std::vector<runtime::Tensor> results;
        for (size_t r = 0; r < outputs.size(); ++r)
            results.push_back(outputs.at("out" + std::to_string(r)));
        return results;
    }

    std::vector<double> run(Precision precision, size_t result = 0) const {
        return toDoubles(runTensors(precision).at(result));
    }

    // Checks result `result` in both precisions against `expected` (exact double values):
    // Float64 must be within one rounding to the output dtype; Fp16Faithful within `faithful`.
    void check(const std::vector<double>& expected, Tolerance faithful, size_t result = 0) const {
        auto outputs64 = runTensors(Precision::Float64);
        const ir::DType dtype = outputs64.at(result).type().dtype;
        checkValues(toDoubles(outputs64.at(result)), expected, oneRounding(dtype),
                    describe() + " [float64]");
        checkValues(run(Precision::Fp16Faithful, result), expected, faithful,
                    describe() + " [fp16-faithful]");
    }

    std::string describe() const {
        std::ostringstream out;
        out << kind_ << "(";
        for (size_t i = 0; i < operands_.size(); ++i)
            out << (i ? ", " : "") << (operands_[i].absent ? "none" : operands_[i].type.str());
        out << ")";
        for (const auto& [name, value] : attrs_)
            out << " " << name << "=" << ir::attributeString(value);
        return out.str();
    }

  private:
    struct Operand {
        ir::TensorType type;
        std::vector<double> values;
        bool constant = false;
        bool absent = false;
    };
    std::string kind_;
    ir::AttrMap attrs_;
    std::vector<Operand> operands_;
};

// Runs the unary op `kind` on random values of x in [low, high] and checks it against f.
inline void checkUnary(const std::string& kind, const ir::AttrMap& attrs, const ir::TensorType& x,
                       Random& random, double low, double high,
                       const std::function<double(double)>& f, Tolerance faithful) {
    SingleOp op(kind, attrs);
    op.operand(x, random.values(x, low, high));
    std::vector<double> expected;
    for (double v : op.values(0))
        expected.push_back(f(v));
    op.check(expected, faithful);
}

// The faithful-mode tolerance of a single fp16 op: one fp16 rounding of a result computed in
// fp32 (at most one ulp away from the exact value); fp32 results: a few fp32 ulps.
inline Tolerance singleOp(ir::DType dtype) {
    if (dtype == ir::DType::Fp16) return {std::ldexp(1.0, -10), std::ldexp(1.0, -24)};
    if (dtype == ir::DType::Fp32) return {8 * std::ldexp(1.0, -24), 1e-38}; // libm: ~1-2 ulps
    return kExact;
}

// Composite ops (GEMMs, reductions, normalisation, softmax): fp32 accumulation plus the fp16
// rounding of the result; fp16 values ~O(1).
inline Tolerance composite(ir::DType dtype) {
    if (dtype == ir::DType::Fp16) return {std::ldexp(1.0, -10), 1e-3};
    if (dtype == ir::DType::Fp32) return {1e-5, 1e-5};
    return kExact;
}

} // namespace anec::test
