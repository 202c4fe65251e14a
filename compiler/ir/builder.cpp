#include "ir/builder.hpp"

namespace anec::ir {

Builder::Builder(Kernel& kernel, const OpRegistry& registry)
    : kernel_(kernel), pos_(kernel.ops.end()), registry_(registry) {}

Builder::Builder(Kernel& kernel, std::list<std::unique_ptr<Op>>::iterator pos,
                 const OpRegistry& registry)
    : kernel_(kernel), pos_(pos), registry_(registry) {}

Expected<Op*> Builder::create(const std::string& kind, std::vector<Value*> operands, AttrMap attrs,
                              SourceLoc loc, std::string name) {
    const OpDef* def = registry_.find(kind);
    if (!def) return fail("unknown op '" + kind + "'");
    auto resultTypes = inferOp(*def, operands, attrs);
    if (!resultTypes) return fail(resultTypes.error());
    // Omitted trailing optional operands become explicit nullptrs, so that Op::operands always
    // follows the specs (conv's bias is operands[2], present or not).
    const bool variadic =
        !def->operands.empty() && def->operands.back().arity == OperandArity::Variadic;
    if (!variadic && operands.size() < def->operands.size())
        operands.resize(def->operands.size(), nullptr);

    auto op = std::make_unique<Op>(*def, loc);
    op->operands = std::move(operands);
    op->attrs = std::move(attrs);
    op->name = std::move(name);
    for (size_t i = 0; i < resultTypes->size(); ++i) {
        auto value = std::make_unique<Value>((*resultTypes)[i], op->name);
        value->definingOp = op.get();
        value->resultIndex = static_cast<unsigned>(i);
        op->results.push_back(std::move(value));
    }
    Op* raw = op.get();
    kernel_.insert(pos_, std::move(op));
    return raw;
}

Expected<Value*> Builder::createValue(const std::string& kind, std::vector<Value*> operands,
                                      AttrMap attrs, SourceLoc loc, std::string name) {
    auto op = create(kind, std::move(operands), std::move(attrs), loc, std::move(name));
    if (!op) return fail(op.error());
    if ((*op)->results.size() != 1) {
        // Keep the promise that a failure leaves the kernel unchanged.
        kernel_.ops.remove_if([raw = *op](const std::unique_ptr<Op>& o) { return o.get() == raw; });
        return fail(kind + " does not have exactly one result");
    }
    return (*op)->result();
}

Value* Builder::createConst(std::shared_ptr<const ConstData> data, SourceLoc loc,
                            std::string name) {
    auto op = std::make_unique<Op>(registry_.get("const"), loc);
    op->name = std::move(name);
    auto value = std::make_unique<Value>(data->type(), op->name);
    value->definingOp = op.get();
    op->results.push_back(std::move(value));
    op->constData = std::move(data);
    Op* raw = op.get();
    kernel_.insert(pos_, std::move(op));
    return raw->result();
}

} // namespace anec::ir
