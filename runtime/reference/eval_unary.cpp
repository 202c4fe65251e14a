// Unary float ops and activations (and logical_not), computed in T (fp32 in the fp16-faithful
// model; composite activations such as gelu are rounded once, at the end, like every fp16 result).
#include <cmath>

#include "runtime/reference/element_math.hpp"
#include "runtime/reference/evaluator.hpp"

namespace anec::runtime::reference {

namespace {
template <typename T, typename F> Kernel unaryKernel(F f) {
    return [f](const Operands& in, Results& results) {
        results[0] = allocate<T>(results[0].type);
        const T* x = in[0]->in<T>();
        T* y = results[0].out<T>();
        const size_t n = results[0].size();
        for (size_t i = 0; i < n; ++i)
            y[i] = f(x[i]);
    };
}

template <typename T> T sigmoid(T x) {
    return T(1) / (T(1) + std::exp(-x));
}

// A unary op without attributes: F is a stateless callable template on T.
template <typename T, typename F> Evaluator<T> simple(F f) {
    return {[f](const OpContext<T>&) { return unaryKernel<T>(f); }};
}

template <typename T> Kernel prepareRsqrt(const OpContext<T>& ctx) {
    const T epsilon = ctx.floatAttr("epsilon");
    return unaryKernel<T>([epsilon](T x) { return T(1) / std::sqrt(x + epsilon); });
}

template <typename T> Kernel prepareLog(const OpContext<T>& ctx) {
    const T epsilon = ctx.floatAttr("epsilon");
    return unaryKernel<T>([epsilon](T x) { return std::log(x + epsilon); });
}

template <typename T> Kernel prepareInverse(const OpContext<T>& ctx) {
    const T epsilon = ctx.floatAttr("epsilon");
    return unaryKernel<T>([epsilon](T x) { return T(1) / (x + epsilon); });
}

template <typename T> Kernel prepareLeakyRelu(const OpContext<T>& ctx) {
    const T alpha = ctx.floatAttr("alpha");
    return unaryKernel<T>([alpha](T x) { return x >= T(0) ? x : alpha * x; });
}

template <typename T> Kernel prepareElu(const OpContext<T>& ctx) {
    const T alpha = ctx.floatAttr("alpha");
    return unaryKernel<T>([alpha](T x) { return x > T(0) ? x : alpha * std::expm1(x); });
}

template <typename T> Kernel prepareSigmoidHard(const OpContext<T>& ctx) {
    const T alpha = ctx.floatAttr("alpha"), beta = ctx.floatAttr("beta");
    return unaryKernel<T>(
        [alpha, beta](T x) { return nanMin(nanMax(alpha * x + beta, T(0)), T(1)); });
}

// -1, 0 or 1; signed zeros and NaN are returned as they are.
template <typename T> T sign(T x) {
    return x > T(0) ? T(1) : x < T(0) ? T(-1) : x;
}

// log(1 + exp(x)) without overflow for large x.
template <typename T> T softplus(T x) {
    return std::log1p(std::exp(-std::abs(x))) + (x > T(0) ? x : T(0));
}

template <typename T> Kernel prepareClip(const OpContext<T>& ctx) {
    const T alpha = ctx.floatAttr("alpha"), beta = ctx.floatAttr("beta");
    return unaryKernel<T>([alpha, beta](T x) { return nanMin(nanMax(x, alpha), beta); });
}

// The three MIL gelu modes.
template <typename T> Kernel prepareGelu(const OpContext<T>& ctx) {
    const std::string& mode = ctx.stringAttr("mode");
    if (mode == "TANH_APPROXIMATION") {
        return unaryKernel<T>([](T x) {
            const T k = static_cast<T>(0.7978845608028654); // sqrt(2 / pi)
            return T(0.5) * x * (T(1) + std::tanh(k * (x + T(0.044715) * x * x * x)));
        });
    }
    if (mode == "SIGMOID_APPROXIMATION")
        return unaryKernel<T>([](T x) { return x * sigmoid(T(1.702) * x); });
    if (mode != "EXACT") ctx.error("unknown gelu mode \"" + mode + "\"");
    return unaryKernel<T>(
        [](T x) { return T(0.5) * x * (T(1) + std::erf(x * static_cast<T>(0.7071067811865476))); });
}
} // namespace

template <typename T> void addUnaryEvaluators(EvaluatorTable<T>& table) {
    table["sqrt"] = simple<T>([](T x) { return std::sqrt(x); });
    table["exp"] = simple<T>([](T x) { return std::exp(x); });
    table["tanh"] = simple<T>([](T x) { return std::tanh(x); });
    table["sigmoid"] = simple<T>([](T x) { return sigmoid(x); });
    table["relu"] = simple<T>([](T x) { return x < T(0) ? T(0) : x; }); // NaN stays NaN
    table["silu"] = simple<T>([](T x) { return x * sigmoid(x); });
    table["abs"] = simple<T>([](T x) { return std::abs(x); });
    table["exp2"] = simple<T>([](T x) { return std::exp2(x); });
    table["sign"] = simple<T>([](T x) { return sign(x); });
    table["square"] = simple<T>([](T x) { return x * x; });
    table["floor"] = simple<T>([](T x) { return std::floor(x); });
    table["ceil"] = simple<T>([](T x) { return std::ceil(x); });
    table["round"] = simple<T>([](T x) { return std::nearbyint(x); }); // halves to even
    table["erf"] = simple<T>([](T x) { return std::erf(x); });
    table["sin"] = simple<T>([](T x) { return std::sin(x); });
    table["cos"] = simple<T>([](T x) { return std::cos(x); });
    table["tan"] = simple<T>([](T x) { return std::tan(x); });
    table["asin"] = simple<T>([](T x) { return std::asin(x); });
    table["acos"] = simple<T>([](T x) { return std::acos(x); });
    table["atan"] = simple<T>([](T x) { return std::atan(x); });
    table["sinh"] = simple<T>([](T x) { return std::sinh(x); });
    table["cosh"] = simple<T>([](T x) { return std::cosh(x); });
    table["atanh"] = simple<T>([](T x) { return std::atanh(x); });
    table["relu6"] = simple<T>([](T x) { return x < T(0) ? T(0) : x > T(6) ? T(6) : x; });
    table["softplus"] = simple<T>([](T x) { return softplus(x); });
    table["softsign"] = simple<T>([](T x) { return x / (T(1) + std::abs(x)); });
    table["inverse"] = {prepareInverse<T>};
    table["leaky_relu"] = {prepareLeakyRelu<T>};
    table["elu"] = {prepareElu<T>};
    table["sigmoid_hard"] = {prepareSigmoidHard<T>};
    table["rsqrt"] = {prepareRsqrt<T>};
    table["log"] = {prepareLog<T>};
    table["clip"] = {prepareClip<T>};
    table["gelu"] = {prepareGelu<T>};
}

ANEC_INSTANTIATE_EVALUATORS(addUnaryEvaluators);

} // namespace anec::runtime::reference
