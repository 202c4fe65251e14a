#pragma once
// Gradient checks: a forward kernel built from named tensors (kernel inputs, or constants such as
// weights), differentiated with autodiff::gradKernel, both run in float64 on the reference
// backend, and every gradient element compared with central finite differences of
// L = sum_k <d_out_k, out_k> (random cotangents d_out), computed in float64 too.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "autodiff/grad.hpp"
#include "ir/builder.hpp"
#include "ir/clone.hpp"
#include "ir/verifier.hpp"
#include "runtime/reference/executable.hpp"

namespace anec::test {

struct GradTensor {
    std::string name;
    ir::TensorType type;
    std::vector<double> values; // empty: uniform random in [low, high)
    bool constant = false;      // a const op named `name` (a weight) instead of a kernel input
    bool wrt = true;            // checked (float tensors only)
    bool absent = false;        // an omitted optional operand (opCase only)
    double low = -1, high = 1;
};

struct GradCase {
    std::vector<GradTensor> tensors;
    // Appends the forward ops to the kernel (one value per tensor, nullptr if absent) and adds
    // its outputs.
    std::function<void(ir::Builder&, const std::vector<ir::Value*>&)> body;
};

// The backward kernel `bwd` of `forward` with respect to `wrt` (outputs `names`), required to be
// built and to pass the IR verifier.
inline std::unique_ptr<ir::Kernel> verifiedBackward(const ir::Kernel& forward,
                                                    const std::vector<std::string>& wrt,
                                                    const std::vector<std::string>& names) {
    autodiff::GradResult grad = autodiff::gradKernel(forward, {"bwd", wrt, names, {}, 1, {}});
    INFO("gradKernel: " << grad.error);
    REQUIRE(grad.backward);
    SourceManager sources;
    DiagnosticEngine diagnostics(sources);
    bool verified = ir::verifyKernel(*grad.backward, diagnostics);
    INFO("verifier: " << diagnostics.errorSummary());
    REQUIRE(verified);
    return std::move(grad.backward);
}

// The text of examples/NAME.
inline std::string exampleSource(const std::string& name) {
    std::ifstream in(std::string(ANEC_SOURCE_DIR) + "/examples/" + name);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// The two points a central difference at x evaluates, step * max(1, |x|) either side: exactly
// for a kernel input (held in double), and for a constant stored in `dtype` the values it holds,
// at least that far apart (fp16 needs a step of a few ulps). Divide by their distance.
struct CentralPoints {
    double above, below;
};
inline CentralPoints centralPoints(double x, double step, std::optional<ir::DType> dtype) {
    double h = step * std::max(1.0, std::fabs(x));
    if (!dtype) return {x + h, x - h};
    auto stored = [&](double v) {
        return ir::ConstData::fromDoubles({*dtype, {}}, std::span<const double>(&v, 1)).at(0);
    };
    while (stored(x + h) - stored(x - h) < h)
        h *= 2;
    return {stored(x + h), stored(x - h)};
}

struct GradTolerance {
    // |analytic - numeric| <= rtol * max(1, max |numeric| of that tensor) for every element.
    double rtol = 1e-6;
    double step = 1e-5; // central differences at x +- step * max(1, |x|)
};

// One op over the tensors, in operand order, with the given attributes; every result is an
// output ("out0", ...).
inline GradCase opCase(const std::string& kind, std::vector<GradTensor> tensors,
                       ir::AttrMap attrs = {}) {
    GradCase c;
    c.tensors = std::move(tensors);
    c.body = [kind, attrs](ir::Builder& builder, const std::vector<ir::Value*>& values) {
        auto op = builder.create(kind, values, attrs);
        INFO(kind << ": " << (op ? "" : op.error()));
        REQUIRE(op);
        for (size_t i = 0; i < (*op)->results.size(); ++i)
            if (ir::isFloat((*op)->result(i)->type.dtype))
                builder.kernel().outputs.push_back(
                    {"out" + std::to_string(i), (*op)->result(i), {}});
    };
    return c;
}

class GradChecker {
  public:
    explicit GradChecker(GradCase gradCase, uint32_t seed = 1)
        : case_(std::move(gradCase)), rng_(seed) {
        for (GradTensor& t : case_.tensors) {
            if (t.absent || !t.values.empty()) continue;
            t.values.resize(static_cast<size_t>(t.type.numElements()));
            for (double& v : t.values)
                v = ir::isFloat(t.type.dtype)
                        ? std::uniform_real_distribution<double>(t.low, t.high)(rng_)
                        : static_cast<double>(std::uniform_int_distribution<int64_t>(
                              static_cast<int64_t>(t.low), static_cast<int64_t>(t.high))(rng_));
        }
    }

    // Checks the gradient of every tensor marked wrt.
    void check(GradTolerance tolerance = {}) {
        auto forward = build(case_.tensors);
        std::vector<std::string> wrt, names;
        for (const GradTensor& t : case_.tensors)
            if (t.wrt && !t.absent && ir::isFloat(t.type.dtype)) {
                wrt.push_back(t.name);
                names.push_back("d_" + t.name);
            }
        REQUIRE(!wrt.empty());
        std::unique_ptr<ir::Kernel> backward = verifiedBackward(*forward, wrt, names);

        cotangents_.clear();
        for (const ir::KernelOutput& output : forward->outputs) {
            std::vector<double> d(static_cast<size_t>(output.value->type.numElements()));
            for (double& v : d)
                v = std::uniform_real_distribution<double>(-1, 1)(rng_);
            cotangents_.push_back(std::move(d));
        }
        std::vector<std::vector<double>> backwardInputs = inputValues(case_.tensors);
        for (const auto& d : cotangents_)
            backwardInputs.push_back(d);
        std::vector<std::vector<double>> analytic = runKernel(std::move(backward), backwardInputs);

        size_t gradient = 0;
        for (size_t t = 0; t < case_.tensors.size(); ++t) {
            const GradTensor& tensor = case_.tensors[t];
            if (!tensor.wrt || tensor.absent || !ir::isFloat(tensor.type.dtype)) continue;
            compare(t, analytic.at(gradient++), tolerance);
        }
    }

  private:
    void compare(size_t t, const std::vector<double>& analytic, GradTolerance tolerance) {
        const GradTensor& tensor = case_.tensors[t];
        std::vector<double> numeric(tensor.values.size());
        for (size_t i = 0; i < numeric.size(); ++i) {
            std::vector<GradTensor> shifted = case_.tensors;
            auto [above, below] =
                centralPoints(tensor.values[i], tolerance.step,
                              tensor.constant ? std::optional(tensor.type.dtype) : std::nullopt);
            shifted[t].values[i] = above;
            double up = loss(shifted);
            shifted[t].values[i] = below;
            double down = loss(shifted);
            numeric[i] = (up - down) / (above - below);
        }
        double scale = 1;
        for (double v : numeric)
            scale = std::max(scale, std::fabs(v));
        REQUIRE(analytic.size() == numeric.size());
        double worst = 0;
        size_t worstAt = 0;
        for (size_t i = 0; i < numeric.size(); ++i) {
            double error = std::fabs(analytic[i] - numeric[i]);
            if (!(error <= worst)) {
                worst = error;
                worstAt = i;
            }
        }
        INFO("d_" << tensor.name << " " << tensor.type.str() << ": worst |analytic - numeric| "
                  << worst << " at element " << worstAt << " (analytic " << analytic[worstAt]
                  << ", numeric " << numeric[worstAt] << "), allowed " << tolerance.rtol * scale);
        CHECK(worst <= tolerance.rtol * scale);
    }

    double loss(const std::vector<GradTensor>& tensors) {
        std::vector<std::vector<double>> outputs = runKernel(build(tensors), inputValues(tensors));
        double total = 0;
        for (size_t k = 0; k < outputs.size(); ++k)
            for (size_t i = 0; i < outputs[k].size(); ++i)
                total += cotangents_.at(k)[i] * outputs[k][i];
        return total;
    }

    std::unique_ptr<ir::Kernel> build(const std::vector<GradTensor>& tensors) const {
        auto kernel = std::make_unique<ir::Kernel>();
        kernel->name = "fwd";
        ir::Builder builder(*kernel);
        std::vector<ir::Value*> values;
        for (const GradTensor& t : tensors) {
            if (t.absent)
                values.push_back(nullptr);
            else if (t.constant)
                values.push_back(builder.createConst(
                    std::make_shared<ir::ConstData>(ir::ConstData::fromDoubles(t.type, t.values)),
                    {}, t.name));
            else
                values.push_back(kernel->addInput(t.name, t.type));
        }
        case_.body(builder, values);
        return kernel;
    }

    static std::vector<std::vector<double>> inputValues(const std::vector<GradTensor>& tensors) {
        std::vector<std::vector<double>> values;
        for (const GradTensor& t : tensors)
            if (!t.absent && !t.constant) values.push_back(t.values);
        return values;
    }

  public:
    // Runs a kernel in float64: inputs in declaration order, outputs in declaration order.
    static std::vector<std::vector<double>>
    runKernel(std::unique_ptr<ir::Kernel> kernel, const std::vector<std::vector<double>>& inputs) {
        auto module = std::make_shared<ir::Module>();
        module->kernels.push_back(std::move(kernel));
        const ir::Kernel& k = *module->kernels.back();
        runtime::reference::ReferenceExecutable<double> executable(module, k);
        REQUIRE(inputs.size() == k.inputs.size());
        std::vector<runtime::reference::Buffer> buffers;
        for (size_t i = 0; i < inputs.size(); ++i)
            buffers.push_back(toBuffer(k.inputs[i]->type, inputs[i]));
        std::vector<std::vector<double>> outputs;
        for (const runtime::reference::Buffer& b : executable.runBuffers(std::move(buffers)))
            outputs.push_back(fromBuffer(b));
        return outputs;
    }

    static runtime::reference::Buffer toBuffer(const ir::TensorType& type,
                                               const std::vector<double>& values) {
        using namespace runtime::reference;
        return visitElement<double>(type.dtype, [&](auto tag) {
            using E = typename decltype(tag)::type;
            Buffer b = allocate<E>(type);
            for (size_t i = 0; i < values.size(); ++i)
                b.out<E>()[i] = static_cast<E>(values[i]);
            return b;
        });
    }

    static std::vector<double> fromBuffer(const runtime::reference::Buffer& b) {
        using namespace runtime::reference;
        return visitElement<double>(b.type.dtype, [&](auto tag) {
            using E = typename decltype(tag)::type;
            return std::vector<double>(b.in<E>(), b.in<E>() + b.size());
        });
    }

    GradCase case_;
    std::mt19937 rng_;
    std::vector<std::vector<double>> cotangents_;
};

// The common case: one op, its float operands checked.
inline void checkOpGradient(const std::string& kind, std::vector<GradTensor> tensors,
                            ir::AttrMap attrs = {}, GradTolerance tolerance = {},
                            uint32_t seed = 1) {
    GradChecker(opCase(kind, std::move(tensors), std::move(attrs)), seed).check(tolerance);
}

// A backward kernel (from `grad` in .ane source, or gradKernel) against central differences of
// its forward kernel: the backward's outputs are the gradients of `wrt` (forward inputs or
// weights, i.e. const ops of that name), in order; its inputs are the forward's, then one
// cotangent per forward output (no taps). Float inputs are uniform in [-1, 1), int inputs in
// [0, intHigh). Each wrt tensor is checked at up to `maxElements` elements spread over it.
struct KernelGradOptions {
    double rtol = 1e-6;
    double step = 1e-5;
    int64_t intHigh = 2;
    size_t maxElements = 64;
    uint32_t seed = 1;
};

class KernelGradChecker {
  public:
    KernelGradChecker(const ir::Kernel& forward, const ir::Kernel& backward,
                      KernelGradOptions options)
        : forward_(forward), backward_(backward), options_(options), rng_(options.seed) {
        for (const auto& input : forward.inputs)
            inputs_.push_back(randomValues(input->type));
        for (const ir::KernelOutput& output : forward.outputs)
            cotangents_.push_back(randomValues({ir::DType::Fp32, output.value->type.shape}));
    }

    // Returns the worst error relative to max |numeric| per wrt tensor (CHECKed against rtol).
    std::vector<double> check(const std::vector<std::string>& wrt) {
        std::vector<std::vector<double>> backwardInputs = inputs_;
        for (const auto& d : cotangents_)
            backwardInputs.push_back(d);
        auto copy = ir::cloneKernel(backward_);
        REQUIRE(copy);
        std::vector<std::vector<double>> analytic =
            GradChecker::runKernel(std::move(*copy), backwardInputs);
        REQUIRE(analytic.size() == wrt.size());
        std::vector<double> errors;
        for (size_t w = 0; w < wrt.size(); ++w)
            errors.push_back(compare(wrt[w], analytic[w]));
        return errors;
    }

  private:
    double compare(const std::string& name, const std::vector<double>& analytic) {
        double worst = 0, scale = 0;
        size_t stride = std::max<size_t>(1, analytic.size() / options_.maxElements);
        for (size_t i = 0; i < analytic.size(); i += stride) {
            double numeric = numericAt(name, i);
            scale = std::max(scale, std::fabs(numeric));
            worst = std::max(worst, std::fabs(numeric - analytic[i]));
        }
        double relative = worst / std::max(scale, 1e-300);
        INFO("d_" << name << ": worst |analytic - numeric| " << worst << ", max |numeric| " << scale
                  << ", relative " << relative << " (allowed " << options_.rtol << ")");
        CHECK(relative <= options_.rtol);
        return relative;
    }

    double numericAt(const std::string& name, size_t i) {
        for (size_t k = 0; k < forward_.inputs.size(); ++k) {
            if (forward_.inputs[k]->name != name) continue;
            auto [above, below] = centralPoints(inputs_[k][i], options_.step, std::nullopt);
            std::vector<std::vector<double>> shifted = inputs_;
            shifted[k][i] = above;
            double up = loss(forwardCopy(), shifted);
            shifted[k][i] = below;
            double down = loss(forwardCopy(), shifted);
            return (up - down) / (above - below);
        }
        const ir::Op* weight = nullptr;
        for (const auto& op : forward_.ops)
            if (op->isConst() && op->name == name) weight = op.get();
        INFO(name);
        REQUIRE(weight);
        std::vector<double> values = weight->constData->toDoubles();
        const ir::TensorType& type = weight->constData->type();
        auto [above, below] = centralPoints(values[i], options_.step, type.dtype);
        values[i] = above;
        double up = loss(withWeight(name, type, values), inputs_);
        values[i] = below;
        double down = loss(withWeight(name, type, values), inputs_);
        return (up - down) / (above - below);
    }

    std::unique_ptr<ir::Kernel> forwardCopy() const {
        auto copy = ir::cloneKernel(forward_);
        REQUIRE(copy);
        return std::move(*copy);
    }

    std::unique_ptr<ir::Kernel> withWeight(const std::string& name, const ir::TensorType& type,
                                           const std::vector<double>& values) const {
        auto kernel = forwardCopy();
        auto data = std::make_shared<ir::ConstData>(ir::ConstData::fromDoubles(type, values));
        for (auto& op : kernel->ops)
            if (op->isConst() && op->name == name) op->constData = data;
        return kernel;
    }

    double loss(std::unique_ptr<ir::Kernel> kernel,
                const std::vector<std::vector<double>>& inputs) const {
        std::vector<std::vector<double>> outputs =
            GradChecker::runKernel(std::move(kernel), inputs);
        double total = 0;
        for (size_t k = 0; k < outputs.size(); ++k)
            for (size_t i = 0; i < outputs[k].size(); ++i)
                total += cotangents_[k][i] * outputs[k][i];
        return total;
    }

    std::vector<double> randomValues(const ir::TensorType& type) {
        std::vector<double> values(static_cast<size_t>(type.numElements()));
        for (double& v : values)
            v = ir::isFloat(type.dtype)
                    ? std::uniform_real_distribution<double>(-1, 1)(rng_)
                    : static_cast<double>(
                          std::uniform_int_distribution<int64_t>(0, options_.intHigh - 1)(rng_));
        return values;
    }

    const ir::Kernel& forward_;
    const ir::Kernel& backward_;
    KernelGradOptions options_;
    std::mt19937 rng_;
    std::vector<std::vector<double>> inputs_;
    std::vector<std::vector<double>> cotangents_;
};

} // namespace anec::test
