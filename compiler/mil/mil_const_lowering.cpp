// `const` and constexpr_* statements: constants, which become const ops where a tensor operand
// uses them and attribute values where ops take them as parameters.
#include <algorithm>

#include "ir/builder.hpp"
#include "mil/mil_constexpr.hpp"
#include "mil/mil_function_lowering.hpp"

namespace anec::mil {

namespace {
using syntax::ArgValue;

constexpr std::string_view kNameArgument = "name";
} // namespace

void FunctionLowering::lowerConst(const syntax::Statement& statement) {
    if (statement.results.size() != 1) {
        error(statement.loc,
              "const has one result, not " + std::to_string(statement.results.size()));
        poison(statement.results);
        return;
    }
    std::string opName;
    const syntax::Argument* val = nullptr;
    bool ok = true;
    for (const syntax::Argument& argument : statement.arguments) {
        if (argument.name == kNameArgument) {
            opName = readOpName(argument).value_or("");
        } else if (argument.name != "val") {
            error(argument.loc,
                  "const has no argument '" + argument.name + "' (it takes val and name)");
            ok = false;
        } else if (val != nullptr) {
            error(argument.loc, "argument 'val' of const is given twice");
            ok = false;
        } else {
            val = &argument;
        }
    }
    if (val == nullptr && ok) error(statement.opLoc, "const needs a value: val = ...");
    std::optional<Constant> constant;
    if (val != nullptr && val->value.kind != ArgValue::Kind::Literal)
        error(val->value.loc, "the value of const '" + statement.results.front().name +
                                  "' must be a literal such as int32(1)");
    else if (val != nullptr)
        constant = values_.read(*val->value.literal);
    if (!constant || !ok) {
        poison(statement.results);
        return;
    }
    defineConstant(statement, *constant, opName);
}

// A constant computed at load time from constants: constexpr_affine_dequantize, ...
void FunctionLowering::lowerConstexpr(const syntax::Statement& statement) {
    const std::vector<std::string>* parameters = constexprParameters(statement.op);
    if (parameters == nullptr) {
        error(statement.opLoc, "constexpr op '" + statement.op + "' is not supported (anec " +
                                   "evaluates " + supportedConstexprOps() + ")");
        poison(statement.results);
        return;
    }
    if (statement.results.size() != 1) {
        error(statement.loc, "'" + statement.op + "' has one result, not " +
                                 std::to_string(statement.results.size()));
        poison(statement.results);
        return;
    }
    std::string opName;
    std::map<std::string, Constant> arguments;
    std::set<std::string> given;
    bool ok = true;
    for (const syntax::Argument& argument : statement.arguments) {
        std::string phrase = "argument '" + argument.name + "' of '" + statement.op + "'";
        bool known =
            std::find(parameters->begin(), parameters->end(), argument.name) != parameters->end();
        if (argument.name == kNameArgument && !known) {
            opName = readOpName(argument).value_or("");
        } else if (!known) {
            error(argument.loc, "'" + statement.op + "' has no argument '" + argument.name +
                                    "' (it takes " + joinNames(*parameters) + ")");
            ok = false;
        } else if (!given.insert(argument.name).second) {
            error(argument.loc, phrase + " is given twice");
            ok = false;
        } else if (auto constant = constantArgument(phrase, argument.value)) {
            arguments.emplace(argument.name, std::move(*constant));
        } else {
            ok = false;
        }
    }
    for (const std::string& parameter : *parameters) {
        if (given.count(parameter)) continue;
        error(statement.opLoc, "'" + statement.op + "' needs argument '" + parameter + "'");
        ok = false;
    }
    std::optional<Constant> constant;
    if (ok) {
        auto evaluated = evaluateConstexpr(statement.op, arguments);
        if (evaluated)
            constant = std::move(*evaluated);
        else
            error(statement.opLoc, evaluated.error());
    }
    if (!constant) {
        poison(statement.results);
        return;
    }
    defineConstant(statement, *constant, opName);
}

// Defines the result of a const-like statement; where a tensor operand uses it (or nothing does)
// it is also a const op at this position.
void FunctionLowering::defineConstant(const syntax::Statement& statement, const Constant& constant,
                                      const std::string& opName) {
    const syntax::Declaration& result = statement.results.front();
    auto declared = declaredType(result);
    if (!declared) {
        poison(statement.results);
        return;
    }
    if (!matchesDeclared(*declared, constant.type))
        error(result.type.loc, "'" + result.name + "' is declared as " + result.type.spelling +
                                   " but its value has type " + constant.type.milStr());
    Symbol symbol{result.loc, nullptr, constant};
    bool operand = usedAsOperand_.count(result.name) || !used_.count(result.name);
    if (operand && !constant.isString() && !symbols_.count(result.name)) {
        ir::Builder builder(*kernel_);
        symbol.value = builder.createConst(constant.data, statement.loc, opName);
        symbol.value->name = result.name;
    }
    define(result.name, std::move(symbol));
}

// The constant an argument binds to: an inline literal or a const variable. `phrase` names the
// argument in messages ("argument 'axis' of 'softmax'").
std::optional<Constant> FunctionLowering::constantArgument(const std::string& phrase,
                                                           const ArgValue& value) {
    switch (value.kind) {
    case ArgValue::Kind::Literal:
        return values_.read(*value.literal);
    case ArgValue::Kind::Tuple:
        error(value.loc, phrase + " must be a constant, not a tuple");
        return std::nullopt;
    case ArgValue::Kind::Name:
        break;
    }
    Symbol* symbol = lookup(value.name, value.loc);
    if (symbol == nullptr) return std::nullopt;
    if (!symbol->constant) {
        const ir::Value* source = symbol->value;
        std::string origin = source == nullptr || source->isKernelInput()
                                 ? "an input"
                                 : "computed by '" + source->definingOp->kind() + "'";
        error(value.loc, phrase + " must be a constant, but '" + value.name + "' is " + origin);
        return std::nullopt;
    }
    return symbol->constant;
}

// A constant whose tensor use was not foreseen becomes a const op where it is used.
void FunctionLowering::materialize(const std::string& name, Symbol& symbol) {
    ir::Builder builder(*kernel_);
    symbol.value = builder.createConst(symbol.constant->data, symbol.loc, name);
    symbol.value->name = name;
}

} // namespace anec::mil
