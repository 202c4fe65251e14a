// Python-style subscripts: x[:, 0:HIDDEN], x[..., -64:], x[:, ::2], x[0]. Every bound is checked
// against the dimension; the result is a slice_by_size (unit steps, no index) or slice_by_index.
#include "frontend/lowering.hpp"

namespace anec::frontend {

namespace {
struct DimSlice {
    int64_t begin = 0, end = 0, step = 1;
    bool index = false; // x[i]: removes the dimension
    bool full = true;   // `:` or not mentioned
};

std::string rangeText(const std::optional<int64_t>& start, const std::optional<int64_t>& stop,
                      const std::optional<int64_t>& step) {
    std::string text =
        (start ? std::to_string(*start) : "") + ":" + (stop ? std::to_string(*stop) : "");
    if (step) text += ":" + std::to_string(*step);
    return text;
}

class SubscriptResolver {
  public:
    SubscriptResolver(BodyLowerer& lowerer, const ir::TensorType& type)
        : lowerer_(lowerer), type_(type), shape_(type.shape) {}

    // One DimSlice per dimension, or nullopt after reporting the problems.
    std::optional<std::vector<DimSlice>> resolve(const ast::Expr& expr,
                                                 const std::vector<ast::SliceItem>& items) {
        size_t ellipses = 0, explicitItems = 0;
        for (const ast::SliceItem& item : items) {
            if (item.kind != ast::SliceItem::Kind::Ellipsis) {
                ++explicitItems;
            } else if (++ellipses == 2) {
                lowerer_.reporter().error(item.loc, "only one '...' is allowed in a subscript");
                return std::nullopt;
            }
        }
        if (explicitItems > shape_.size()) {
            lowerer_.reporter().error(expr.loc, "too many subscripts for " + type_.str() + ": " +
                                                    std::to_string(explicitItems) + " given");
            return std::nullopt;
        }
        std::vector<DimSlice> dims;
        bool ok = true;
        for (const ast::SliceItem& item : items) {
            if (item.kind == ast::SliceItem::Kind::Ellipsis) {
                for (size_t i = 0; i < shape_.size() - explicitItems; ++i)
                    dims.push_back(fullDim(dims.size()));
                continue;
            }
            auto dim = item.kind == ast::SliceItem::Kind::Index ? resolveIndex(item, dims.size())
                                                                : resolveRange(item, dims.size());
            ok = ok && dim.has_value();
            dims.push_back(dim.value_or(DimSlice{}));
        }
        while (dims.size() < shape_.size())
            dims.push_back(fullDim(dims.size()));
        if (!ok) return std::nullopt;
        return dims;
    }

  private:
    DimSlice fullDim(size_t d) const { return DimSlice{0, shape_[d], 1, false, true}; }

    std::optional<int64_t> evalPart(const ast::ExprPtr& part, bool& ok) {
        if (!part) return std::nullopt;
        auto value = lowerer_.evaluator().evalInt(*part, &lowerer_.scope());
        if (!value) ok = false;
        return value;
    }

    std::optional<DimSlice> resolveIndex(const ast::SliceItem& item, size_t d) {
        bool ok = true;
        auto index = evalPart(item.index, ok);
        if (!ok || !index) return std::nullopt;
        int64_t size = shape_[d];
        if (*index < -size || *index >= size) {
            lowerer_.reporter().error(
                item.loc, "index " + std::to_string(*index) + " is out of range for dimension " +
                              std::to_string(d) + " of size " + std::to_string(size));
            return std::nullopt;
        }
        int64_t begin = *index < 0 ? *index + size : *index;
        return DimSlice{begin, begin + 1, 1, true, false};
    }

    std::optional<DimSlice> resolveRange(const ast::SliceItem& item, size_t d) {
        bool ok = true;
        auto start = evalPart(item.start, ok);
        auto stop = evalPart(item.stop, ok);
        auto step = evalPart(item.step, ok);
        if (!ok) return std::nullopt;
        int64_t size = shape_[d];
        Reporter& reporter = lowerer_.reporter();
        if (step && *step <= 0) {
            reporter.error(item.step->loc,
                           "slice step must be positive, got " + std::to_string(*step));
            return std::nullopt;
        }
        for (const auto& bound : {start, stop}) {
            if (bound && (*bound < -size || *bound > size)) {
                reporter.error(item.loc, "slice " + rangeText(start, stop, step) +
                                             " is out of range for dimension " + std::to_string(d) +
                                             " of size " + std::to_string(size));
                return std::nullopt;
            }
        }
        int64_t begin = start ? (*start < 0 ? *start + size : *start) : 0;
        int64_t end = stop ? (*stop < 0 ? *stop + size : *stop) : size;
        if (begin >= end) {
            reporter.error(item.loc, "slice " + rangeText(start, stop, step) + " of dimension " +
                                         std::to_string(d) + " (size " + std::to_string(size) +
                                         ") is empty");
            return std::nullopt;
        }
        int64_t stride = step.value_or(1);
        return DimSlice{begin, end, stride, false, begin == 0 && end == size && stride == 1};
    }

    BodyLowerer& lowerer_;
    const ir::TensorType& type_;
    const ir::Shape& shape_;
};
} // namespace

Operand BodyLowerer::lowerSubscript(const ast::Expr& expr, const ast::IndexExpr& index) {
    if (!index.base) return Operand::error();
    if (auto element = lowerArrayElement(expr, index)) return *element;
    if (const auto* member = index.base->as<ast::MemberExpr>();
        member && member->member == "shape") {
        auto dim = evaluator().evalInt(expr, &scope_);
        return dim ? Operand::numberOf(static_cast<double>(*dim), true) : Operand::error();
    }
    ir::Value* base = lowerTensor(*index.base);
    if (!base) return Operand::error();
    auto dims = SubscriptResolver(*this, base->type).resolve(expr, index.items);
    if (!dims) return Operand::error();

    bool allFull = true, simple = true;
    for (const DimSlice& dim : *dims) {
        allFull = allFull && dim.full;
        simple = simple && !dim.index && dim.step == 1;
    }
    if (allFull) return Operand::tensor(base);

    std::vector<int64_t> begin, end, size, stride, squeeze;
    for (const DimSlice& dim : *dims) {
        begin.push_back(dim.begin);
        end.push_back(dim.end);
        size.push_back(dim.end - dim.begin);
        stride.push_back(dim.step);
        squeeze.push_back(dim.index ? 1 : 0);
    }
    if (simple)
        return createOp("slice_by_size", {base}, {{"begin", begin}, {"size", size}}, expr.loc);
    std::vector<int64_t> noMask(dims->size(), 0);
    return createOp("slice_by_index", {base},
                    {{"begin", begin},
                     {"end", end},
                     {"stride", stride},
                     {"begin_mask", noMask},
                     {"end_mask", noMask},
                     {"squeeze_mask", squeeze}},
                    expr.loc);
}

} // namespace anec::frontend
