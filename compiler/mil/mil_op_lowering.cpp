// Op statements: the registry's op, each named argument bound to an operand or converted to an
// attribute, the results checked against their declared types.
#include <algorithm>

#include "ir/builder.hpp"
#include "mil/mil_function_lowering.hpp"

namespace anec::mil {

namespace {
using syntax::ArgValue;

constexpr std::string_view kNameArgument = "name";

std::string argumentNames(const ir::OpDef& def) {
    std::vector<std::string> names;
    for (const ir::OperandSpec& spec : def.operands)
        names.push_back(spec.name);
    for (const ir::AttrSpec& spec : def.attrs)
        names.push_back(spec.name);
    std::sort(names.begin(), names.end());
    return joinNames(names);
}

std::string needsArgument(const ir::OpDef& def, const std::string& name) {
    return "'" + def.name + "' needs argument '" + name + "'";
}
} // namespace

void FunctionLowering::lowerOp(const syntax::Statement& statement) {
    const ir::OpDef* def = registry_.find(statement.op);
    if (def == nullptr) {
        error(statement.opLoc, "unknown op '" + statement.op + "'");
        poison(statement.results);
        return;
    }
    OpCall call{*def, statement};
    bool ok = bindArguments(call);
    ok = collectOperands(call) && ok;
    ok = checkAttributes(call) && ok;
    if (!ok) {
        poison(statement.results);
        return;
    }
    ir::Builder builder(*kernel_);
    auto op = builder.create(def->name, std::move(call.operands), std::move(call.attrs),
                             statement.opLoc, call.opName);
    if (!op) {
        error(statement.opLoc, op.error());
        poison(statement.results);
        return;
    }
    defineResults(statement, **op);
}

// Binds every argument in the order written, so that problems are reported in that order.
bool FunctionLowering::bindArguments(OpCall& call) {
    bool ok = true;
    for (const syntax::Argument& argument : call.statement.arguments) {
        const ir::OperandSpec* operand = call.def.findOperand(argument.name);
        const ir::AttrSpec* attr = call.def.findAttr(argument.name);
        if (argument.name == kNameArgument && !operand && !attr) {
            call.opName = readOpName(argument).value_or("");
        } else if (!operand && !attr) {
            error(argument.loc, "'" + call.def.name + "' has no argument '" + argument.name +
                                    "' (it takes " + argumentNames(call.def) + ")");
            ok = false;
        } else if (!call.given.insert(argument.name).second) {
            error(argument.loc, call.argumentPhrase(argument.name) + " is given twice");
            ok = false;
        } else if (operand) {
            ok = bindOperand(call, *operand, argument.value) && ok;
        } else {
            ok = bindAttribute(call, *attr, argument.value) && ok;
        }
    }
    return ok;
}

bool FunctionLowering::bindOperand(OpCall& call, const ir::OperandSpec& spec,
                                   const ArgValue& value) {
    std::vector<ir::Value*>& values = call.operandValues[spec.name];
    std::vector<const ArgValue*> items{&value};
    if (spec.arity == ir::OperandArity::Variadic && value.kind == ArgValue::Kind::Tuple) {
        // `values = (a, b)`; a single variable is a tuple of one.
        items.clear();
        for (const ArgValue& item : value.items)
            items.push_back(&item);
    } else if (value.kind == ArgValue::Kind::Tuple) {
        error(value.loc, call.argumentPhrase(spec.name) + " takes one value, not a tuple");
        return false;
    }
    bool ok = true;
    for (const ArgValue* item : items) {
        ir::Value* operand = operandValue(call, spec.name, *item);
        ok = ok && operand != nullptr;
        values.push_back(operand);
    }
    return ok;
}

bool FunctionLowering::bindAttribute(OpCall& call, const ir::AttrSpec& spec,
                                     const ArgValue& value) {
    std::optional<Constant> constant = constantArgument(call.argumentPhrase(spec.name), value);
    if (!constant) return false;
    auto attribute = toAttribute(*constant, spec.kind);
    if (!attribute) {
        error(value.loc, call.argumentPhrase(spec.name) + " must be " + attribute.error() +
                             ", got " + constant->type.milStr());
        return false;
    }
    call.attrs.emplace(spec.name, std::move(*attribute));
    return true;
}

// The operands in the order of the op's specs; reports missing required ones.
bool FunctionLowering::collectOperands(OpCall& call) {
    bool ok = true;
    for (const ir::OperandSpec& spec : call.def.operands) {
        auto given = call.operandValues.find(spec.name);
        if (given != call.operandValues.end()) {
            call.operands.insert(call.operands.end(), given->second.begin(), given->second.end());
        } else if (spec.arity == ir::OperandArity::Optional) {
            call.operands.push_back(nullptr);
        } else if (!call.given.count(spec.name)) {
            error(call.statement.opLoc, needsArgument(call.def, spec.name));
            ok = false;
        }
    }
    return ok;
}

// Reports required attributes that are missing (the registry fills in the defaults).
bool FunctionLowering::checkAttributes(const OpCall& call) {
    bool ok = true;
    for (const ir::AttrSpec& spec : call.def.attrs) {
        if (spec.defaultValue || spec.optional || call.given.count(spec.name)) continue;
        error(call.statement.opLoc, needsArgument(call.def, spec.name));
        ok = false;
    }
    return ok;
}

// The tensor an operand argument binds to; nullptr after reporting why there is none.
ir::Value* FunctionLowering::operandValue(const OpCall& call, const std::string& argument,
                                          const ArgValue& value) {
    if (value.kind == ArgValue::Kind::Tuple) {
        error(value.loc, call.argumentPhrase(argument) + " cannot hold a nested tuple");
        return nullptr;
    }
    if (value.kind == ArgValue::Kind::Literal) {
        std::optional<Constant> constant = values_.read(*value.literal);
        if (!constant) return nullptr;
        if (constant->isString()) {
            error(value.loc, call.argumentPhrase(argument) + " takes a tensor, not a string");
            return nullptr;
        }
        std::string hint = call.statement.results.empty()
                               ? argument
                               : call.statement.results.front().name + "_" + argument;
        ir::Builder builder(*kernel_);
        ir::Value* constantValue = builder.createConst(constant->data, value.loc, hint);
        constantValue->name = hint;
        return constantValue;
    }
    Symbol* symbol = lookup(value.name, value.loc);
    if (symbol == nullptr) return nullptr;
    if (symbol->value == nullptr && symbol->constant) {
        if (symbol->constant->isString()) {
            error(value.loc, call.argumentPhrase(argument) + " takes a tensor, but '" + value.name +
                                 "' is a string");
            return nullptr;
        }
        materialize(value.name, *symbol);
    }
    return symbol->value;
}

void FunctionLowering::defineResults(const syntax::Statement& statement, ir::Op& op) {
    if (op.results.size() != statement.results.size()) {
        error(statement.loc, "'" + op.kind() + "' produces " + std::to_string(op.results.size()) +
                                 " result" + (op.results.size() == 1 ? "" : "s") + ", but " +
                                 std::to_string(statement.results.size()) +
                                 (statement.results.size() == 1 ? " is" : " are") + " declared");
        poison(statement.results);
        return;
    }
    for (size_t i = 0; i < op.results.size(); ++i) {
        const syntax::Declaration& result = statement.results[i];
        ir::Value* value = op.result(i);
        value->name = result.name;
        if (auto declared = declaredType(result);
            declared && !matchesDeclared(*declared, value->type))
            error(result.type.loc, "declared type " + result.type.spelling + " of '" + result.name +
                                       "' does not match the type " + value->type.milStr() +
                                       " inferred for '" + op.kind() + "'");
        define(result.name, Symbol{result.loc, value});
    }
}

} // namespace anec::mil
