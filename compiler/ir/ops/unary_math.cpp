#include "ir/ops/unary_math.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace anec::ir {

UnaryMathFn unaryMathFunction(const std::string& kind) {
    static const std::map<std::string, UnaryMathFn> functions = {
        {"sqrt", [](double v) { return std::sqrt(v); }},
        {"exp", [](double v) { return std::exp(v); }},
        {"exp2", [](double v) { return std::exp2(v); }},
        {"tanh", [](double v) { return std::tanh(v); }},
        {"sigmoid", [](double v) { return 1.0 / (1.0 + std::exp(-v)); }},
        {"silu", [](double v) { return v / (1.0 + std::exp(-v)); }},
        {"relu", [](double v) { return v > 0 ? v : 0.0; }},
        {"relu6", [](double v) { return std::clamp(v, 0.0, 6.0); }},
        {"abs", [](double v) { return std::fabs(v); }},
        {"sign", [](double v) { return v > 0   ? 1.0
                                       : v < 0 ? -1.0
                                               : v; }}, // keeps ±0 and NaN
        {"square", [](double v) { return v * v; }},
        {"floor", [](double v) { return std::floor(v); }},
        {"ceil", [](double v) { return std::ceil(v); }},
        {"round", [](double v) { return std::nearbyint(v); }}, // halves to even
        {"erf", [](double v) { return std::erf(v); }},
        {"sin", [](double v) { return std::sin(v); }},
        {"cos", [](double v) { return std::cos(v); }},
        {"tan", [](double v) { return std::tan(v); }},
        {"asin", [](double v) { return std::asin(v); }},
        {"acos", [](double v) { return std::acos(v); }},
        {"atan", [](double v) { return std::atan(v); }},
        {"sinh", [](double v) { return std::sinh(v); }},
        {"cosh", [](double v) { return std::cosh(v); }},
        {"atanh", [](double v) { return std::atanh(v); }},
        {"softplus",
         [](double v) { return std::log1p(std::exp(-std::fabs(v))) + std::max(v, 0.0); }},
        {"softsign", [](double v) { return v / (1 + std::fabs(v)); }},
    };
    auto it = functions.find(kind);
    return it == functions.end() ? nullptr : it->second;
}

} // namespace anec::ir
