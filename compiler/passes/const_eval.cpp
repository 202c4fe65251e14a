#include "passes/const_eval.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <numeric>

#include "ir/op_registry.hpp"
#include "ir/ops/slicing.hpp"
#include "ir/ops/unary_math.hpp"
#include "support/memory_limit.hpp"

namespace anec::passes {

using ir::ConstData;
using ir::Shape;
using ir::TensorType;

namespace {
using Values = std::vector<double>;

// Ops that make more elements than their operands hold (fill, tile, broadcasting, ...) fold only
// up to this many (a 4096 x 4096 causal mask); larger results stay ops of the program.
constexpr int64_t kMaxGeneratedElements = int64_t(1) << 24;

// One op being folded: its constant operands, its attributes (defaults filled in) and its type.
struct Fold {
    const std::vector<const ConstData*>& operands;
    const ir::AttrMap& attrs;
    const TensorType& type;

    const ConstData& x() const { return *operands[0]; }
    const Shape& xShape() const { return operands[0]->type().shape; }
    bool xIsFloat() const { return ir::isFloat(operands[0]->type().dtype); }
    int64_t intAttr(const std::string& name) const { return std::get<int64_t>(attrs.at(name)); }
    bool boolAttr(const std::string& name) const { return std::get<bool>(attrs.at(name)); }
    double floatAttr(const std::string& name) const { return std::get<double>(attrs.at(name)); }
    const std::string& stringAttr(const std::string& name) const {
        return std::get<std::string>(attrs.at(name));
    }
    const std::vector<int64_t>& intList(const std::string& name) const {
        return std::get<std::vector<int64_t>>(attrs.at(name));
    }
    size_t axis(const std::string& name = "axis") const {
        return *ir::normalizeAxis(intAttr(name), xShape().size()); // inference checked it
    }
};

using Folder = std::function<std::optional<Values>(const Fold&)>;

std::vector<int64_t> rowMajorStrides(const Shape& shape) {
    std::vector<int64_t> strides(shape.size(), 1);
    for (size_t i = shape.size(); i-- > 1;)
        strides[i - 1] = strides[i] * shape[i];
    return strides;
}

int64_t countOf(const Shape& shape) {
    return TensorType{ir::DType::Fp64, shape}.numElements();
}

// Calls visit(outIndex, multiIndex) for every element of `shape` in row-major order.
void forEachIndex(const Shape& shape,
                  const std::function<void(int64_t, const std::vector<int64_t>&)>& visit) {
    const int64_t count = countOf(shape);
    std::vector<int64_t> index(shape.size(), 0);
    for (int64_t flat = 0; flat < count; ++flat) {
        visit(flat, index);
        for (size_t d = shape.size(); d-- > 0;) {
            if (++index[d] < shape[d]) break;
            index[d] = 0;
        }
    }
}

// Flat index into `from` for an element of the broadcast result at `index` (numpy rules).
int64_t broadcastSource(const Shape& from, const std::vector<int64_t>& strides,
                        const std::vector<int64_t>& index) {
    size_t offset = index.size() - from.size();
    int64_t flat = 0;
    for (size_t d = 0; d < from.size(); ++d)
        if (from[d] != 1) flat += index[offset + d] * strides[d];
    return flat;
}

// result[i] = x[source(i)]: `source(index, xIndex)` fills x's multi-index for the result element
// at `index`, or returns false for `fill` (pad's border).
Values
mapValues(const Fold& fold,
          const std::function<bool(const std::vector<int64_t>&, std::vector<int64_t>&)>& source,
          double fill = 0) {
    const Values in = fold.x().toDoubles();
    const std::vector<int64_t> strides = rowMajorStrides(fold.xShape());
    Values result(static_cast<size_t>(fold.type.numElements()), fill);
    std::vector<int64_t> from(fold.xShape().size());
    forEachIndex(fold.type.shape, [&](int64_t flat, const std::vector<int64_t>& index) {
        if (!source(index, from)) return;
        int64_t at = 0;
        for (size_t d = 0; d < from.size(); ++d)
            at += from[d] * strides[d];
        result[static_cast<size_t>(flat)] = in[static_cast<size_t>(at)];
    });
    return result;
}

// ---- data movement ----

std::optional<Values> sameElements(const Fold& fold) {
    return fold.x().toDoubles();
}

std::optional<Values> transposeValues(const Fold& fold) {
    const std::vector<int64_t>& perm = fold.intList("perm");
    return mapValues(fold, [&](const std::vector<int64_t>& index, std::vector<int64_t>& from) {
        for (size_t i = 0; i < perm.size(); ++i)
            from[*ir::normalizeAxis(perm[i], perm.size())] = index[i];
        return true;
    });
}

std::optional<Values> sliceValues(const Fold& fold, bool byIndex) {
    auto slices = byIndex ? ir::resolveSliceByIndex(fold.x().type(), fold.attrs)
                          : ir::resolveSliceBySize(fold.x().type(), fold.attrs);
    if (!slices) return std::nullopt;
    const Values in = fold.x().toDoubles();
    const std::vector<int64_t> inStrides = rowMajorStrides(fold.xShape());
    Shape walk; // the selection including squeezed axes (count 1), same order as the result
    for (const ir::AxisSlice& slice : *slices)
        walk.push_back(slice.count);
    Values result;
    forEachIndex(walk, [&](int64_t, const std::vector<int64_t>& index) {
        int64_t source = 0;
        for (size_t d = 0; d < slices->size(); ++d)
            source += ((*slices)[d].start + index[d] * (*slices)[d].stride) * inStrides[d];
        result.push_back(in[static_cast<size_t>(source)]);
    });
    return result;
}

std::optional<Values> concatValues(const Fold& fold) {
    const size_t axis = fold.axis();
    const bool interleave = fold.boolAttr("interleave");
    const auto& values = fold.operands;
    std::vector<Values> inputs;
    for (const ConstData* value : values)
        inputs.push_back(value->toDoubles());
    Values result(static_cast<size_t>(fold.type.numElements()));
    forEachIndex(fold.type.shape, [&](int64_t flat, const std::vector<int64_t>& index) {
        // Which input holds this element, and where along the axis.
        size_t which = 0;
        int64_t along = index[axis];
        if (interleave) {
            which = static_cast<size_t>(along % static_cast<int64_t>(values.size()));
            along /= static_cast<int64_t>(values.size());
        } else {
            while (along >= values[which]->type().shape[axis])
                along -= values[which++]->type().shape[axis];
        }
        const Shape& shape = values[which]->type().shape;
        int64_t source = 0;
        for (size_t d = 0; d < shape.size(); ++d)
            source = source * shape[d] + (d == axis ? along : index[d]);
        result[static_cast<size_t>(flat)] = inputs[which][static_cast<size_t>(source)];
    });
    return result;
}

std::optional<Values> stackValues(const Fold& fold) {
    const size_t axis = *ir::normalizeAxis(fold.intAttr("axis"), fold.xShape().size() + 1);
    std::vector<Values> inputs;
    for (const ConstData* value : fold.operands)
        inputs.push_back(value->toDoubles());
    Values result(static_cast<size_t>(fold.type.numElements()));
    forEachIndex(fold.type.shape, [&](int64_t flat, const std::vector<int64_t>& index) {
        int64_t source = 0;
        for (size_t d = 0; d < index.size(); ++d)
            if (d != axis) source = source * fold.type.shape[d] + index[d];
        result[static_cast<size_t>(flat)] =
            inputs[static_cast<size_t>(index[axis])][static_cast<size_t>(source)];
    });
    return result;
}

std::optional<Values> tileValues(const Fold& fold) {
    const Shape& x = fold.xShape();
    return mapValues(fold, [&](const std::vector<int64_t>& index, std::vector<int64_t>& from) {
        for (size_t d = 0; d < x.size(); ++d)
            from[d] = index[d] % x[d];
        return true;
    });
}

std::optional<Values> reverseValues(const Fold& fold) {
    const Shape& x = fold.xShape();
    const std::vector<int64_t>& axes = fold.intList("axes");
    std::vector<bool> reversed(x.size(), axes.empty());
    for (int64_t axis : axes)
        reversed[*ir::normalizeAxis(axis, x.size())] = true;
    return mapValues(fold, [&](const std::vector<int64_t>& index, std::vector<int64_t>& from) {
        for (size_t d = 0; d < x.size(); ++d)
            from[d] = reversed[d] ? x[d] - 1 - index[d] : index[d];
        return true;
    });
}

std::optional<Values> padValues(const Fold& fold) {
    const Shape& x = fold.xShape();
    const std::vector<int64_t>& pad = fold.intList("pad");
    const std::string& mode = fold.stringAttr("mode");
    const size_t first = x.size() - pad.size() / 2;
    auto source = [&](const std::vector<int64_t>& index, std::vector<int64_t>& from) {
        for (size_t d = 0; d < x.size(); ++d) {
            int64_t at = index[d] - (d >= first ? pad[2 * (d - first)] : 0);
            if (at < 0 || at >= x[d]) {
                if (mode == "constant") return false;
                at = mode == "replicate" ? std::clamp<int64_t>(at, 0, x[d] - 1)
                                         : (at < 0 ? -at : 2 * (x[d] - 1) - at); // reflect
            }
            from[d] = at;
        }
        return true;
    };
    return mapValues(fold, source, fold.floatAttr("constant_val"));
}

std::optional<Values> bandPartValues(const Fold& fold) {
    const int64_t lower = fold.intAttr("lower"), upper = fold.intAttr("upper");
    const Shape& x = fold.xShape();
    Values values = fold.x().toDoubles();
    const int64_t rows = x[x.size() - 2], columns = x.back();
    for (size_t i = 0; i < values.size(); ++i) {
        const int64_t n = static_cast<int64_t>(i) % columns;
        const int64_t m = static_cast<int64_t>(i) / columns % rows;
        if (!((lower < 0 || m - n <= lower) && (upper < 0 || n - m <= upper))) values[i] = 0;
    }
    return values;
}

std::optional<Values> fillValues(const Fold& fold) {
    return Values(static_cast<size_t>(fold.type.numElements()), fold.x().at(0));
}

std::optional<Values> rangeValues(const Fold& fold) {
    const double start = fold.operands[0]->at(0), step = fold.operands[2]->at(0);
    Values values(static_cast<size_t>(fold.type.numElements()));
    for (size_t i = 0; i < values.size(); ++i)
        values[i] = start + static_cast<double>(i) * step;
    return values;
}

std::optional<Values> gatherValues(const Fold& fold) {
    const Shape& x = fold.xShape();
    const size_t axis = fold.axis(), batch = static_cast<size_t>(fold.intAttr("batch_dims"));
    const Shape& indicesShape = fold.operands[1]->type().shape;
    const std::vector<int64_t> indices = fold.operands[1]->toInts();
    const std::vector<int64_t> indexStrides = rowMajorStrides(indicesShape);
    const size_t indexRank = indicesShape.size() - batch;
    return mapValues(fold, [&](const std::vector<int64_t>& index, std::vector<int64_t>& from) {
        // index = x[:axis] + indices[batch:] + x[axis+1:]; the batch dims lead both.
        int64_t at = 0;
        for (size_t d = 0; d < batch; ++d)
            at += index[d] * indexStrides[d];
        for (size_t d = 0; d < indexRank; ++d)
            at += index[axis + d] * indexStrides[batch + d];
        for (size_t d = 0; d < x.size(); ++d)
            from[d] = d < axis    ? index[d]
                      : d == axis ? indices[static_cast<size_t>(at)]
                                  : index[d - 1 + indexRank];
        return true;
    });
}

std::optional<Values> gatherAlongAxisValues(const Fold& fold) {
    const size_t axis = fold.axis();
    const std::vector<int64_t> indices = fold.operands[1]->toInts();
    int64_t flat = 0;
    return mapValues(fold, [&](const std::vector<int64_t>& index, std::vector<int64_t>& from) {
        from = index;
        from[axis] = indices[static_cast<size_t>(flat++)]; // visited in row-major order
        return true;
    });
}

std::optional<Values> pixelShuffleValues(const Fold& fold) {
    const int64_t f = fold.intAttr("upscale_factor");
    return mapValues(fold, [f](const std::vector<int64_t>& index, std::vector<int64_t>& from) {
        from = {index[0], index[1] * f * f + index[2] % f * f + index[3] % f, index[2] / f,
                index[3] / f};
        return true;
    });
}

std::optional<Values> upsampleValues(const Fold& fold) {
    const int64_t sh = fold.intAttr("scale_factor_height"), sw = fold.intAttr("scale_factor_width");
    return mapValues(fold, [&](const std::vector<int64_t>& index, std::vector<int64_t>& from) {
        from = index;
        from[from.size() - 2] /= sh;
        from.back() /= sw;
        return true;
    });
}

// Updates apply in row-major order; an integer division by zero is not folded.
std::optional<Values> scatterAlongAxisValues(const Fold& fold) {
    const size_t axis = fold.axis();
    const std::string& mode = fold.stringAttr("mode");
    const Shape& indicesShape = fold.operands[1]->type().shape;
    const std::vector<int64_t> indices = fold.operands[1]->toInts();
    const Values updates = fold.operands[2]->toDoubles();
    const std::vector<int64_t> strides = rowMajorStrides(fold.xShape());
    const bool integer = !fold.xIsFloat();
    Values result = fold.x().toDoubles();
    bool divisionByZero = false;
    forEachIndex(indicesShape, [&](int64_t flat, const std::vector<int64_t>& index) {
        int64_t at = 0;
        for (size_t d = 0; d < index.size(); ++d)
            at += (d == axis ? indices[size_t(flat)] : index[d]) * strides[d];
        double& a = result[static_cast<size_t>(at)];
        const double u = updates[static_cast<size_t>(flat)];
        if (mode == "update") a = u;
        if (mode == "add") a += u;
        if (mode == "sub") a -= u;
        if (mode == "mul") a *= u;
        if (mode == "max") a = std::max(a, u);
        if (mode == "min") a = std::min(a, u);
        if (mode == "div") {
            divisionByZero = divisionByZero || (integer && u == 0);
            a = integer && u != 0 ? std::trunc(a / u) : a / u;
        }
    });
    if (divisionByZero) return std::nullopt;
    return result;
}

std::optional<Values> cumsumValues(const Fold& fold) {
    const size_t axis = fold.axis();
    const Shape& x = fold.xShape();
    const bool exclusive = fold.boolAttr("exclusive"), reverse = fold.boolAttr("reverse");
    const Values in = fold.x().toDoubles();
    const int64_t stride = rowMajorStrides(x)[axis], length = x[axis];
    Values result(in.size());
    for (size_t start = 0; start < in.size(); ++start) {
        const int64_t along = static_cast<int64_t>(start) / stride % length;
        if (along != 0) continue; // each line once, from its first element
        double sum = 0;
        for (int64_t step = 0; step < length; ++step) {
            const int64_t l = reverse ? length - 1 - step : step;
            const size_t at = start + static_cast<size_t>(l * stride);
            if (!exclusive) sum += in[at];
            result[at] = sum;
            if (exclusive) sum += in[at];
        }
    }
    return result;
}

// ---- elementwise ----

// numpy broadcasting of every operand to the result; f gets the operands' values.
std::optional<Values> broadcastValues(const Fold& fold,
                                      const std::function<double(const double*)>& f) {
    std::vector<Values> inputs;
    std::vector<std::vector<int64_t>> strides;
    for (const ConstData* operand : fold.operands) {
        inputs.push_back(operand->toDoubles());
        strides.push_back(rowMajorStrides(operand->type().shape));
    }
    Values result(static_cast<size_t>(fold.type.numElements()));
    std::vector<double> args(inputs.size());
    forEachIndex(fold.type.shape, [&](int64_t flat, const std::vector<int64_t>& index) {
        for (size_t i = 0; i < inputs.size(); ++i)
            args[i] = inputs[i][static_cast<size_t>(
                broadcastSource(fold.operands[i]->type().shape, strides[i], index))];
        result[static_cast<size_t>(flat)] = f(args.data());
    });
    return result;
}

Folder binary(std::function<double(double, double)> f) {
    return [f](const Fold& fold) {
        return broadcastValues(fold, [&f](const double* v) { return f(v[0], v[1]); });
    };
}

// Float only: the integer versions truncate (real_div) or overflow (pow) at run time.
Folder floatBinary(std::function<double(double, double)> f) {
    return [f](const Fold& fold) -> std::optional<Values> {
        if (!fold.xIsFloat()) return std::nullopt;
        return binary(f)(fold);
    };
}

// Integer division by zero is an error at run time, not a fold.
Folder division(std::function<double(double, double)> f) {
    return [f](const Fold& fold) -> std::optional<Values> {
        if (!fold.xIsFloat())
            for (double v : fold.operands[1]->toDoubles())
                if (v == 0) return std::nullopt;
        return binary(f)(fold);
    };
}

double floorMod(double a, double b) {
    const double r = std::fmod(a, b);
    return (r != 0 && (r < 0) != (b < 0)) ? r + b : r;
}

Folder unary(std::function<double(double)> f) {
    return [f](const Fold& fold) -> std::optional<Values> {
        if (!fold.xIsFloat()) return std::nullopt;
        Values values = fold.x().toDoubles();
        for (double& v : values)
            v = f(v);
        return values;
    };
}

// A unary op whose function depends on its attributes (epsilon, alpha, ...).
Folder unaryWith(std::function<std::function<double(double)>(const Fold&)> make) {
    return [make](const Fold& fold) { return unary(make(fold))(fold); };
}

// ---- reductions over axes ----

struct ReduceRule {
    double initial;
    std::function<double(double, double)> combine;
    std::function<double(double, int64_t)> finish; // (accumulated, count)
};

// `shift` (one value per result element, or empty) is subtracted from each element first.
std::optional<Values> reduceValues(const Fold& fold, const ReduceRule& rule,
                                   const Values& shift = {}) {
    const Shape& x = fold.xShape();
    const std::vector<int64_t>& axes = fold.intList("axes");
    std::vector<bool> reduced(x.size(), axes.empty());
    for (int64_t axis : axes)
        reduced[*ir::normalizeAxis(axis, x.size())] = true;
    Shape kept = x;
    int64_t count = 1;
    for (size_t d = 0; d < x.size(); ++d)
        if (reduced[d]) {
            count *= x[d];
            kept[d] = 1;
        }
    const std::vector<int64_t> keptStrides = rowMajorStrides(kept);
    const Values in = fold.x().toDoubles();
    Values acc(static_cast<size_t>(countOf(kept)), rule.initial);
    forEachIndex(x, [&](int64_t flat, const std::vector<int64_t>& index) {
        int64_t group = 0;
        for (size_t d = 0; d < x.size(); ++d)
            if (!reduced[d]) group += index[d] * keptStrides[d];
        double& target = acc[static_cast<size_t>(group)];
        const double value = in[static_cast<size_t>(flat)];
        target = rule.combine(target, shift.empty() ? value : value - shift[size_t(group)]);
    });
    for (double& v : acc)
        v = rule.finish(v, count);
    return acc;
}

Folder reduction(ReduceRule rule, bool floatOnly = false) {
    return [rule, floatOnly](const Fold& fold) -> std::optional<Values> {
        if (floatOnly && !fold.xIsFloat()) return std::nullopt;
        return reduceValues(fold, rule);
    };
}

double keep(double v, int64_t) {
    return v;
}

// max + log(sum(exp(x - max))): exp(x) alone overflows double for x > 709.
std::optional<Values> logSumExpValues(const Fold& fold) {
    if (!fold.xIsFloat()) return std::nullopt;
    auto maxima =
        reduceValues(fold, {-INFINITY, [](double a, double b) { return std::max(a, b); }, keep});
    if (!maxima) return std::nullopt;
    Values finiteMaxima = *maxima;
    for (double& m : finiteMaxima)
        if (!std::isfinite(m)) m = 0;
    auto sums = reduceValues(fold, {0, [](double a, double b) { return a + std::exp(b); }, keep},
                             finiteMaxima);
    if (!sums) return std::nullopt;
    for (size_t i = 0; i < sums->size(); ++i)
        (*sums)[i] = std::isfinite((*maxima)[i]) ? (*maxima)[i] + std::log((*sums)[i])
                                                 : (*maxima)[i]; // all -inf, or an inf
    return sums;
}

const std::map<std::string, Folder>& folders() {
    static const std::map<std::string, Folder> table = [] {
        std::map<std::string, Folder> t;
        for (const char* kind : {"reshape", "expand_dims", "squeeze", "identity", "cast"})
            t[kind] = sameElements;
        t["transpose"] = transposeValues;
        t["slice_by_size"] = [](const Fold& f) { return sliceValues(f, false); };
        t["slice_by_index"] = [](const Fold& f) { return sliceValues(f, true); };
        t["concat"] = concatValues;
        t["stack"] = stackValues;
        t["tile"] = tileValues;
        t["reverse"] = reverseValues;
        t["pad"] = padValues;
        t["band_part"] = bandPartValues;
        t["fill"] = fillValues;
        t["range_1d"] = rangeValues;
        t["gather"] = gatherValues;
        t["gather_along_axis"] = gatherAlongAxisValues;
        t["cumsum"] = cumsumValues;
        t["pixel_shuffle"] = pixelShuffleValues;
        t["upsample_nearest_neighbor"] = upsampleValues;
        t["scatter_along_axis"] = scatterAlongAxisValues;

        t["add"] = binary(std::plus<>());
        t["sub"] = binary(std::minus<>());
        t["mul"] = binary(std::multiplies<>());
        t["maximum"] = binary([](double a, double b) { return std::max(a, b); });
        t["minimum"] = binary([](double a, double b) { return std::min(a, b); });
        t["real_div"] = floatBinary(std::divides<>());
        t["pow"] = floatBinary([](double a, double b) { return std::pow(a, b); });
        t["floor_div"] = division([](double a, double b) { return std::floor(a / b); });
        t["mod"] = division(floorMod);
        t["less"] = binary([](double a, double b) { return double(a < b); });
        t["less_equal"] = binary([](double a, double b) { return double(a <= b); });
        t["greater"] = binary([](double a, double b) { return double(a > b); });
        t["greater_equal"] = binary([](double a, double b) { return double(a >= b); });
        t["equal"] = binary([](double a, double b) { return double(a == b); });
        t["not_equal"] = binary([](double a, double b) { return double(a != b); });
        t["logical_and"] = binary([](double a, double b) { return double(a != 0 && b != 0); });
        t["logical_or"] = binary([](double a, double b) { return double(a != 0 || b != 0); });
        t["logical_xor"] = binary([](double a, double b) { return double((a != 0) != (b != 0)); });
        t["logical_not"] = [](const Fold& f) -> std::optional<Values> {
            Values values = f.x().toDoubles();
            for (double& v : values)
                v = v == 0;
            return values;
        };
        t["select"] = [](const Fold& f) {
            return broadcastValues(f, [](const double* v) { return v[0] != 0 ? v[1] : v[2]; });
        };

        for (const auto& [name, def] : ir::OpRegistry::builtin().all())
            if (ir::UnaryMathFn f = ir::unaryMathFunction(name)) t[name] = unary(f);
        // rsqrt, log and inverse add epsilon first, with the registry's semantics.
        t["rsqrt"] = unaryWith([](const Fold& f) {
            return [eps = f.floatAttr("epsilon")](double v) { return 1.0 / std::sqrt(v + eps); };
        });
        t["log"] = unaryWith([](const Fold& f) {
            return [eps = f.floatAttr("epsilon")](double v) { return std::log(v + eps); };
        });
        t["inverse"] = unaryWith([](const Fold& f) {
            return [eps = f.floatAttr("epsilon")](double v) { return 1.0 / (v + eps); };
        });
        t["clip"] = unaryWith([](const Fold& f) {
            return [lo = f.floatAttr("alpha"), hi = f.floatAttr("beta")](double v) {
                return std::min(std::max(v, lo), hi);
            };
        });
        t["leaky_relu"] = unaryWith([](const Fold& f) {
            return [alpha = f.floatAttr("alpha")](double v) { return v >= 0 ? v : alpha * v; };
        });
        t["elu"] = unaryWith([](const Fold& f) {
            return [alpha = f.floatAttr("alpha")](double v) {
                return v > 0 ? v : alpha * std::expm1(v);
            };
        });
        t["sigmoid_hard"] = unaryWith([](const Fold& f) {
            return [alpha = f.floatAttr("alpha"), beta = f.floatAttr("beta")](double v) {
                return std::clamp(alpha * v + beta, 0.0, 1.0);
            };
        });

        auto add = [](double a, double b) { return a + b; };
        t["reduce_sum"] = reduction({0, add, keep});
        t["reduce_mean"] = reduction({0, add, [](double v, int64_t n) { return v / double(n); }});
        t["reduce_max"] =
            reduction({-INFINITY, [](double a, double b) { return std::max(a, b); }, keep});
        t["reduce_min"] =
            reduction({INFINITY, [](double a, double b) { return std::min(a, b); }, keep});
        t["reduce_prod"] = reduction({1, std::multiplies<>(), keep});
        t["reduce_l1_norm"] =
            reduction({0, [](double a, double b) { return a + std::fabs(b); }, keep});
        t["reduce_sum_square"] = reduction({0, [](double a, double b) { return a + b * b; }, keep});
        t["reduce_l2_norm"] = reduction({0, [](double a, double b) { return a + b * b; },
                                         [](double v, int64_t) { return std::sqrt(v); }},
                                        true);
        t["reduce_log_sum"] =
            reduction({0, add, [](double v, int64_t) { return std::log(v); }}, true);
        t["reduce_log_sum_exp"] = logSumExpValues;
        return t;
    }();
    return table;
}

// Integers must hold the exact value: otherwise the conversion would be undefined or lossy.
bool representable(ir::DType dtype, const Values& values) {
    if (!ir::isInteger(dtype)) return true;
    size_t bits = ir::dtypeSize(dtype) * 8;
    bool isSigned = dtype == ir::DType::Int8 || dtype == ir::DType::Int16 ||
                    dtype == ir::DType::Int32 || dtype == ir::DType::Int64;
    double high = std::ldexp(1.0, static_cast<int>(isSigned ? bits - 1 : bits));
    double low = isSigned ? -high : 0.0;
    for (double v : values)
        if (!std::isfinite(v) || v < low || v >= high) return false;
    return true;
}

// Folding may make at most kMaxGeneratedElements more than the largest operand holds.
bool affordable(const TensorType& result, const std::vector<const ConstData*>& operands) {
    int64_t largest = 0;
    for (const ConstData* operand : operands)
        largest = std::max(largest, operand->numElements());
    if (result.numElements() > std::max(largest, kMaxGeneratedElements)) return false;
    // Folding works in double: a result whose doubles exceed the memory limit stays an op.
    return static_cast<uint64_t>(result.numElements()) * sizeof(double) <= memoryLimit();
}
} // namespace

bool isConstEvaluable(const std::string& kind) {
    return folders().count(kind) > 0;
}

std::optional<ConstData> evaluateConstOp(const ir::Op& op,
                                         const std::vector<const ConstData*>& operands) {
    auto folder = folders().find(op.kind());
    if (folder == folders().end() || op.results.size() != 1 || operands.empty())
        return std::nullopt;
    for (const ConstData* operand : operands)
        if (!operand || operand->type().dtype == ir::DType::String) return std::nullopt;
    // Re-run inference on a copy of the attributes: fills defaults and re-checks them.
    std::vector<const TensorType*> types;
    for (const ConstData* operand : operands)
        types.push_back(&operand->type());
    ir::AttrMap attrs = op.attrs;
    auto inferred = ir::inferOp(op.def(), types, attrs, nullptr, operands);
    if (!inferred || inferred->size() != 1) return std::nullopt;
    const TensorType& type = inferred->front();
    if (!affordable(type, operands)) return std::nullopt;
    std::optional<Values> values = folder->second(Fold{operands, attrs, type});
    if (!values || static_cast<int64_t>(values->size()) != type.numElements() ||
        !representable(type.dtype, *values))
        return std::nullopt;
    return ConstData::fromDoubles(type, *values);
}

} // namespace anec::passes
