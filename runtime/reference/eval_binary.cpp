// Broadcasting binary ops (add, sub, mul, real_div, pow, maximum, minimum, floor_div, mod),
// logical ops, comparisons and select. Floats compute in T; int32 computes exactly in int64 and
// wraps like int32 arithmetic; bool operands are 0/1 integers whose result is "!= 0".
#include <cmath>
#include <functional>

#include "runtime/reference/element_math.hpp"
#include "runtime/reference/evaluator.hpp"
#include "runtime/reference/strided_loop.hpp"

namespace anec::runtime::reference {

namespace {
// The inner loop of a broadcasting op: each operand row has stride 1 or 0 (broadcast).
template <typename In, typename Out, typename F>
void broadcastBinary(const StridedLoop& loop, const In* x, const In* y, Out* out, F f) {
    const int64_t n = loop.inner;
    const bool xRow = loop.innerStride(0) != 0, yRow = loop.innerStride(1) != 0;
    forEachRow(loop, [&](int64_t outOffset, const int64_t* offsets) {
        const In* a = x + offsets[0];
        const In* b = y + offsets[1];
        Out* r = out + outOffset;
        if (xRow && yRow) {
            for (int64_t i = 0; i < n; ++i)
                r[i] = f(a[i], b[i]);
        } else if (xRow) {
            const In bv = *b;
            for (int64_t i = 0; i < n; ++i)
                r[i] = f(a[i], bv);
        } else if (yRow) {
            const In av = *a;
            for (int64_t i = 0; i < n; ++i)
                r[i] = f(av, b[i]);
        } else {
            const Out value = f(*a, *b);
            for (int64_t i = 0; i < n; ++i)
                r[i] = value;
        }
    });
}

// Each arithmetic op (op: for messages): `real` for floats, `integer` (exact, in int64) for int32
// and bool.
struct Add {
    const ir::Op* op;
    template <typename V> V real(V a, V b) const { return a + b; }
    int64_t integer(int64_t a, int64_t b) const { return a + b; }
};
struct Sub {
    const ir::Op* op;
    template <typename V> V real(V a, V b) const { return a - b; }
    int64_t integer(int64_t a, int64_t b) const { return a - b; }
};
struct Mul {
    const ir::Op* op;
    template <typename V> V real(V a, V b) const { return a * b; }
    int64_t integer(int64_t a, int64_t b) const { return a * b; }
};
struct Maximum {
    const ir::Op* op;
    template <typename V> V real(V a, V b) const { return nanMax(a, b); }
    int64_t integer(int64_t a, int64_t b) const { return a > b ? a : b; }
};
struct Minimum {
    const ir::Op* op;
    template <typename V> V real(V a, V b) const { return nanMin(a, b); }
    int64_t integer(int64_t a, int64_t b) const { return a < b ? a : b; }
};
// Integer division: numpy true division, then truncation toward zero (astype); / 0 is an error.
struct RealDiv {
    const ir::Op* op;
    template <typename V> V real(V a, V b) const { return a / b; }
    int64_t integer(int64_t a, int64_t b) const {
        if (b == 0) opError(*op, "integer division by zero");
        return saturateToInt32(static_cast<double>(a) / static_cast<double>(b));
    }
};
struct Pow {
    const ir::Op* op;
    template <typename V> V real(V a, V b) const { return std::pow(a, b); }
    int64_t integer(int64_t a, int64_t b) const {
        return saturateToInt32(std::pow(static_cast<double>(a), static_cast<double>(b)));
    }
};

// numpy floor_divide and mod: the quotient rounds down, the remainder takes the sign of y.
struct FloorDiv {
    const ir::Op* op;
    template <typename V> V real(V a, V b) const { return std::floor(a / b); }
    int64_t integer(int64_t a, int64_t b) const {
        if (b == 0) opError(*op, "integer division by zero");
        const int64_t q = a / b;
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
    }
};
struct Mod {
    const ir::Op* op;
    template <typename V> V real(V a, V b) const {
        const V r = std::fmod(a, b);
        return (r != V(0) && (r < V(0)) != (b < V(0))) ? r + b : r;
    }
    int64_t integer(int64_t a, int64_t b) const {
        if (b == 0) opError(*op, "integer modulo by zero");
        const int64_t r = a % b;
        return (r != 0 && (r < 0) != (b < 0)) ? r + b : r;
    }
};
// Logical ops take bool (0/1) operands only; `real` exists for the shared dispatch.
struct LogicalAnd {
    const ir::Op* op;
    template <typename V> V real(V a, V b) const { return V(a != V(0) && b != V(0)); }
    int64_t integer(int64_t a, int64_t b) const { return a != 0 && b != 0; }
};
struct LogicalOr {
    const ir::Op* op;
    template <typename V> V real(V a, V b) const { return V(a != V(0) || b != V(0)); }
    int64_t integer(int64_t a, int64_t b) const { return a != 0 || b != 0; }
};
struct LogicalXor {
    const ir::Op* op;
    template <typename V> V real(V a, V b) const { return V((a != V(0)) != (b != V(0))); }
    int64_t integer(int64_t a, int64_t b) const { return (a != 0) != (b != 0); }
};

template <typename T, typename F> Kernel prepareArithmetic(const OpContext<T>& ctx) {
    const ir::TensorType& x = *ctx.operandType(0);
    const ir::TensorType& y = *ctx.operandType(1);
    const StridedLoop loop = planBroadcast(ctx.resultType().shape, {x.shape, y.shape});
    const F f{&ctx.op()};
    return visitElement<T>(x.dtype, [&](auto tag) -> Kernel {
        using E = typename decltype(tag)::type;
        return [loop, f](const Operands& in, Results& results) {
            results[0] = allocate<E>(results[0].type);
            const E* a = in[0]->in<E>();
            const E* b = in[1]->in<E>();
            E* out = results[0].out<E>();
            if constexpr (std::is_floating_point_v<E>) {
                broadcastBinary(loop, a, b, out, [&f](E u, E v) { return f.real(u, v); });
            } else if constexpr (std::is_same_v<E, int32_t>) {
                broadcastBinary(loop, a, b, out, [&f](E u, E v) {
                    return static_cast<int32_t>(f.integer(u, v)); // wraps (C++20: modular)
                });
            } else {
                broadcastBinary(loop, a, b, out,
                                [&f](E u, E v) { return uint8_t(f.integer(u, v) != 0); });
            }
        };
    });
}

template <typename Compare, typename T> Kernel prepareComparison(const OpContext<T>& ctx) {
    const ir::TensorType& x = *ctx.operandType(0);
    const ir::TensorType& y = *ctx.operandType(1);
    const StridedLoop loop = planBroadcast(ctx.resultType().shape, {x.shape, y.shape});
    return visitElement<T>(x.dtype, [&](auto tag) -> Kernel {
        using E = typename decltype(tag)::type;
        return [loop](const Operands& in, Results& results) {
            results[0] = allocate<uint8_t>(results[0].type);
            broadcastBinary(loop, in[0]->in<E>(), in[1]->in<E>(), results[0].out<uint8_t>(),
                            [](E u, E v) { return uint8_t(Compare{}(u, v)); });
        };
    });
}

template <typename T> Kernel prepareLogicalNot(const OpContext<T>&) {
    return [](const Operands& in, Results& results) {
        results[0] = allocate<uint8_t>(results[0].type);
        const uint8_t* x = in[0]->in<uint8_t>();
        uint8_t* y = results[0].out<uint8_t>();
        for (size_t i = 0; i < results[0].size(); ++i)
            y[i] = x[i] == 0;
    };
}

template <typename T> Kernel prepareSelect(const OpContext<T>& ctx) {
    const StridedLoop loop =
        planBroadcast(ctx.resultType().shape, {ctx.operandType(0)->shape, ctx.operandType(1)->shape,
                                               ctx.operandType(2)->shape});
    return visitElement<T>(ctx.operandType(1)->dtype, [&](auto tag) -> Kernel {
        using E = typename decltype(tag)::type;
        return [loop](const Operands& in, Results& results) {
            results[0] = allocate<E>(results[0].type);
            const uint8_t* cond = in[0]->in<uint8_t>();
            const E* a = in[1]->in<E>();
            const E* b = in[2]->in<E>();
            E* out = results[0].out<E>();
            const int64_t n = loop.inner, sc = loop.innerStride(0), sa = loop.innerStride(1),
                          sb = loop.innerStride(2);
            forEachRow(loop, [&](int64_t o, const int64_t* off) {
                for (int64_t i = 0; i < n; ++i)
                    out[o + i] = cond[off[0] + i * sc] ? a[off[1] + i * sa] : b[off[2] + i * sb];
            });
        };
    });
}

} // namespace

template <typename T> void addBinaryEvaluators(EvaluatorTable<T>& table) {
    table["add"] = {prepareArithmetic<T, Add>};
    table["sub"] = {prepareArithmetic<T, Sub>};
    table["mul"] = {prepareArithmetic<T, Mul>};
    table["real_div"] = {prepareArithmetic<T, RealDiv>};
    table["pow"] = {prepareArithmetic<T, Pow>};
    table["maximum"] = {prepareArithmetic<T, Maximum>};
    table["minimum"] = {prepareArithmetic<T, Minimum>};
    table["floor_div"] = {prepareArithmetic<T, FloorDiv>};
    table["mod"] = {prepareArithmetic<T, Mod>};
    table["logical_and"] = {prepareArithmetic<T, LogicalAnd>};
    table["logical_or"] = {prepareArithmetic<T, LogicalOr>};
    table["logical_xor"] = {prepareArithmetic<T, LogicalXor>};
    table["logical_not"] = {prepareLogicalNot<T>};
    table["less"] = {prepareComparison<std::less<>, T>};
    table["less_equal"] = {prepareComparison<std::less_equal<>, T>};
    table["greater"] = {prepareComparison<std::greater<>, T>};
    table["greater_equal"] = {prepareComparison<std::greater_equal<>, T>};
    table["equal"] = {prepareComparison<std::equal_to<>, T>};
    table["not_equal"] = {prepareComparison<std::not_equal_to<>, T>};
    // Selecting elements needs no rounding, but the result is a new buffer.
    table["select"] = {prepareSelect<T>, true};
}

ANEC_INSTANTIATE_EVALUATORS(addBinaryEvaluators);

} // namespace anec::runtime::reference
