// cast and identity.
#include <algorithm>
#include <cstring>

#include "runtime/reference/element_math.hpp"
#include "runtime/reference/evaluator.hpp"
#include "support/fp16.hpp"

namespace anec::runtime::reference {

namespace {
// A cast is a conversion, so it rounds in both precisions: the fp16-faithful model rounds it
// like any fp16 result (after the kernel); Float64 rounds a cast to fp16 or fp32 here. Float64
// thus computes exactly on the data the program converts (e.g. an fp32 input cast to fp16).
template <typename T> void roundToDType(ir::DType dtype, T* values, size_t count) {
    if constexpr (std::is_same_v<T, double>) {
        if (dtype == ir::DType::Fp16)
            for (size_t i = 0; i < count; ++i)
                values[i] = anec::halfToFloat(doubleToHalf(values[i]));
        if (dtype == ir::DType::Fp32)
            for (size_t i = 0; i < count; ++i)
                values[i] = static_cast<float>(values[i]);
    }
}

// int8/uint8 results are held widened in int32_t: saturate them to their range.
void saturateToDType(ir::DType dtype, int32_t* values, size_t count) {
    if (dtype != ir::DType::Int8 && dtype != ir::DType::UInt8) return;
    const int32_t low = dtype == ir::DType::Int8 ? -128 : 0;
    const int32_t high = dtype == ir::DType::Int8 ? 127 : 255;
    for (size_t i = 0; i < count; ++i)
        values[i] = std::clamp(values[i], low, high);
}

// Converts every element (see element_math.hpp for the integer and bool rules).
template <typename T> Kernel prepareCast(const OpContext<T>& ctx) {
    return visitElement<T>(ctx.operandType(0)->dtype, [&](auto fromTag) -> Kernel {
        using From = typename decltype(fromTag)::type;
        return visitElement<T>(ctx.resultType().dtype, [&](auto toTag) -> Kernel {
            using To = typename decltype(toTag)::type;
            return [](const Operands& in, Results& results) {
                results[0] = allocate<To>(results[0].type);
                const From* x = in[0]->in<From>();
                To* y = results[0].out<To>();
                const size_t n = results[0].size();
                if constexpr (std::is_same_v<From, To>) {
                    std::memcpy(y, x, n * sizeof(To));
                } else {
                    for (size_t i = 0; i < n; ++i)
                        y[i] = convertElement<To>(x[i]);
                }
                if constexpr (std::is_same_v<To, T>) roundToDType(results[0].type.dtype, y, n);
                if constexpr (std::is_same_v<To, int32_t>)
                    saturateToDType(results[0].type.dtype, y, n);
            };
        });
    });
}

template <typename T> Kernel prepareIdentity(const OpContext<T>&) {
    return [](const Operands& in, Results& results) { results[0].storage = in[0]->storage; };
}
} // namespace

template <typename T> void addCastEvaluators(EvaluatorTable<T>& table) {
    table["cast"] = {prepareCast<T>};
    table["identity"] = {prepareIdentity<T>, true};
}

ANEC_INSTANTIATE_EVALUATORS(addCastEvaluators);

} // namespace anec::runtime::reference
