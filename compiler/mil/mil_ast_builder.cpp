#include "mil/mil_ast_builder.hpp"

#include <array>
#include <charconv>
#include <string_view>

#include "fmt/format.h"

namespace anec::mil {

using grammar::MilParser;

namespace {

// Element types of MIL that anec has no IR type for.
constexpr std::array<std::string_view, 11> kUnsupportedElementTypes{
    "bf16",  "fp8",   "fp8e4m3fn", "fp8e5m2", "int4", "int2",
    "uint1", "uint2", "uint3",     "uint4",   "uint6"};

size_t codePointCount(std::string_view text) {
    size_t count = 0;
    for (char c : text)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
    return count;
}

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

class AstBuilder {
  public:
    AstBuilder(const frontend::TokenLocator& locator, DiagnosticEngine& diagnostics)
        : locator_(locator), diagnostics_(diagnostics) {}

    std::unique_ptr<syntax::Program> program(MilParser::ProgramContext& tree) {
        auto out = std::make_unique<syntax::Program>();
        MilParser::HeaderContext* header = tree.header();
        if (header != nullptr && header->version != nullptr) {
            out->version = header->version->getText();
            out->versionLoc = loc(header->version);
        }
        if (header != nullptr && header->attributes() != nullptr)
            out->attributes = attributes(*header->attributes());
        for (MilParser::FunctionContext* function : tree.function())
            out->functions.push_back(buildFunction(*function));
        return out;
    }

  private:
    SourceLoc loc(const antlr4::Token* token) const { return locator_.at(token); }
    SourceLoc loc(antlr4::ParserRuleContext* context) const {
        return locator_.at(context->getStart());
    }

    syntax::Function buildFunction(MilParser::FunctionContext& context) {
        syntax::Function function;
        function.name = context.name->getText();
        function.loc = loc(context.name);
        if (context.opset != nullptr) {
            function.opset = context.opset->getText();
            function.opsetLoc = loc(context.opset);
        }
        for (MilParser::ParamContext* param : context.param())
            function.params.push_back(declaration(*param->type(), param->name));
        if (context.attributes() != nullptr)
            function.attributes = attributes(*context.attributes());
        for (MilParser::StatementContext* statement : context.statement())
            function.statements.push_back(buildStatement(*statement));
        for (antlr4::Token* returned : context.returned)
            function.returns.push_back({returned->getText(), loc(returned)});
        if (context.ARROW() != nullptr) function.returnsLoc = loc(context.ARROW()->getSymbol());
        return function;
    }

    syntax::Declaration declaration(MilParser::TypeContext& type, antlr4::Token* name) {
        return {buildType(type), name->getText(), loc(name)};
    }

    syntax::Statement buildStatement(MilParser::StatementContext& context) {
        syntax::Statement statement;
        statement.loc = loc(&context);
        std::vector<MilParser::ResultContext*> results;
        if (auto* plain = dynamic_cast<MilParser::PlainResultsContext*>(context.results()))
            results = plain->result();
        else if (auto* paren = dynamic_cast<MilParser::ParenResultsContext*>(context.results()))
            results = paren->result();
        for (MilParser::ResultContext* result : results)
            statement.results.push_back(declaration(*result->type(), result->name));
        statement.op = context.op->getText();
        statement.opLoc = loc(context.op);
        for (MilParser::ArgumentContext* argument : context.argument())
            statement.arguments.push_back(buildArgument(*argument, false));
        if (context.attributes() != nullptr)
            for (syntax::Argument& argument : attributes(*context.attributes()))
                statement.arguments.push_back(std::move(argument));
        return statement;
    }

    std::vector<syntax::Argument> attributes(MilParser::AttributesContext& context) {
        std::vector<syntax::Argument> out;
        for (MilParser::ArgumentContext* argument : context.argument())
            out.push_back(buildArgument(*argument, true));
        return out;
    }

    syntax::Argument buildArgument(MilParser::ArgumentContext& context, bool inBrackets) {
        return {context.name->getText(), loc(context.name), argValue(*context.argValue()),
                inBrackets};
    }

    syntax::ArgValue argValue(MilParser::ArgValueContext& context) {
        syntax::ArgValue value;
        value.loc = loc(&context);
        if (auto* name = dynamic_cast<MilParser::NameArgContext*>(&context)) {
            value.kind = syntax::ArgValue::Kind::Name;
            value.name = name->IDENT()->getText();
        } else if (auto* literal = dynamic_cast<MilParser::LiteralArgContext*>(&context)) {
            value.kind = syntax::ArgValue::Kind::Literal;
            value.literal = typedValue(*literal->typedValue());
        } else if (auto* boolean = dynamic_cast<MilParser::BoolArgContext*>(&context)) {
            value.kind = syntax::ArgValue::Kind::Literal;
            value.literal = bareBool(*boolean);
        } else if (auto* tuple = dynamic_cast<MilParser::TupleArgContext*>(&context)) {
            value.kind = syntax::ArgValue::Kind::Tuple;
            for (MilParser::ArgValueContext* item : tuple->argValue())
                value.items.push_back(argValue(*item));
        }
        return value;
    }

    // A bare `true` or `false` argument (public ANE code writes `transpose_y = true`) means what
    // `bool(true)` does.
    std::shared_ptr<syntax::TypedValue> bareBool(MilParser::BoolArgContext& context) {
        auto value = std::make_shared<syntax::TypedValue>();
        value->loc = loc(&context);
        value->type.loc = value->loc;
        value->type.spelling = "bool";
        resolveElementType("bool", value->type);
        syntax::Literal literal;
        literal.kind = syntax::Literal::Kind::Bool;
        literal.loc = value->loc;
        literal.boolean = context.KW_TRUE() != nullptr;
        value->value = std::move(literal);
        return value;
    }

    std::shared_ptr<syntax::TypedValue> typedValue(MilParser::TypedValueContext& context) {
        auto value = std::make_shared<syntax::TypedValue>();
        value->loc = loc(&context);
        value->type = buildType(*context.type());
        if (context.literal() != nullptr) value->value = literal(*context.literal());
        return value;
    }

    syntax::Literal literal(MilParser::LiteralContext& context) {
        using Kind = syntax::Literal::Kind;
        syntax::Literal out;
        out.loc = loc(&context);
        if (auto* string = dynamic_cast<MilParser::StringLiteralContext*>(&context)) {
            out.kind = Kind::String;
            out.text = unescape(string->STRING()->getSymbol());
        } else if (auto* number = dynamic_cast<MilParser::NumberLiteralContext*>(&context)) {
            buildNumber(*number->number(), out);
        } else if (auto* boolean = dynamic_cast<MilParser::BoolLiteralContext*>(&context)) {
            out.kind = Kind::Bool;
            out.boolean = boolean->KW_TRUE() != nullptr;
        } else if (auto* list = dynamic_cast<MilParser::ListLiteralContext*>(&context)) {
            out.kind = Kind::List;
            out.items = literals(list->literal());
        } else if (auto* braces = dynamic_cast<MilParser::BraceLiteralContext*>(&context)) {
            out.kind = Kind::Braces;
            out.items = literals(braces->literal());
        } else if (auto* tuple = dynamic_cast<MilParser::TupleLiteralContext*>(&context)) {
            out.kind = Kind::Tuple;
            out.items = literals(tuple->literal());
        } else if (auto* blob = dynamic_cast<MilParser::BlobLiteralContext*>(&context)) {
            out.kind = Kind::BlobFile;
            for (MilParser::BlobArgContext* arg : blob->blobArg()) {
                out.blobArgs.emplace_back(arg->name->getText(), typedValue(*arg->typedValue()));
                out.blobArgLocs.push_back(loc(arg->name));
            }
        } else if (auto* typed = dynamic_cast<MilParser::TypedLiteralContext*>(&context)) {
            out.kind = Kind::Typed;
            out.typed = typedValue(*typed->typedValue());
        }
        return out;
    }

    std::vector<syntax::Literal> literals(const std::vector<MilParser::LiteralContext*>& items) {
        std::vector<syntax::Literal> out;
        out.reserve(items.size());
        for (MilParser::LiteralContext* item : items)
            out.push_back(literal(*item));
        return out;
    }

    void buildNumber(MilParser::NumberContext& context, syntax::Literal& out) {
        using NumberKind = syntax::Literal::NumberKind;
        out.kind = syntax::Literal::Kind::Number;
        out.negative = context.sign != nullptr && context.sign->getType() == MilParser::MINUS;
        antlr4::Token* token = context.getStop();
        out.text = (out.negative ? "-" : "") + token->getText();
        switch (token->getType()) {
        case MilParser::INT:
            out.numberKind = NumberKind::Decimal;
            break;
        case MilParser::HEX:
            out.numberKind = NumberKind::Hex;
            break;
        case MilParser::KW_INF:
            out.numberKind = NumberKind::Inf;
            break;
        case MilParser::KW_NAN:
            out.numberKind = NumberKind::NaN;
            break;
        default:
            out.numberKind = NumberKind::Float;
            break;
        }
    }

    syntax::Type buildType(MilParser::TypeContext& context) {
        syntax::Type type;
        type.loc = loc(&context);
        type.spelling = spell(context);
        std::string name = context.name->getText();
        std::vector<MilParser::TypeArgContext*> args = context.typeArg();
        if (args.empty()) {
            resolveElementType(name, type);
            return type;
        }
        if (name != "tensor") {
            type.unsupported = "type '" + type.spelling + "' is not supported";
            return type;
        }
        auto* element =
            args.size() == 2 ? dynamic_cast<MilParser::TypeTypeArgContext*>(args[0]) : nullptr;
        auto* shape =
            args.size() == 2 ? dynamic_cast<MilParser::ShapeTypeArgContext*>(args[1]) : nullptr;
        if (element == nullptr || shape == nullptr || !element->type()->typeArg().empty()) {
            type.unsupported =
                "malformed tensor type '" + type.spelling + "' (expected tensor<ELEMENT, [DIMS]>)";
            return type;
        }
        resolveElementType(element->type()->name->getText(), type);
        if (!type.tensor) return type;
        for (MilParser::DimContext* dim : shape->dim()) {
            if (dim->INT() == nullptr) {
                type.tensor->shape.push_back(ir::kDynamicDim);
                continue;
            }
            std::string digits = dim->INT()->getText();
            int64_t value = 0;
            auto [end, error] =
                std::from_chars(digits.data(), digits.data() + digits.size(), value);
            if (error != std::errc() || end != digits.data() + digits.size()) {
                diagnostics_.error(loc(dim), "dimension " + digits + " is too large");
                value = 0;
            }
            type.tensor->shape.push_back(value);
        }
        return type;
    }

    static void resolveElementType(const std::string& name, syntax::Type& type) {
        if (auto dtype = ir::parseDType(name)) {
            type.tensor = ir::TensorType{*dtype, {}};
            return;
        }
        bool known = false;
        for (std::string_view unsupported : kUnsupportedElementTypes)
            known = known || unsupported == name;
        type.unsupported = known ? "element type '" + name + "' is not supported by anec"
                                 : "unknown type '" + name + "'";
    }

    static std::string spell(MilParser::TypeContext& context) {
        std::string out = context.name->getText();
        std::vector<MilParser::TypeArgContext*> args = context.typeArg();
        if (args.empty()) return out;
        out += "<";
        for (size_t i = 0; i < args.size(); ++i) {
            if (i) out += ", ";
            if (auto* type = dynamic_cast<MilParser::TypeTypeArgContext*>(args[i])) {
                out += spell(*type->type());
            } else if (auto* shape = dynamic_cast<MilParser::ShapeTypeArgContext*>(args[i])) {
                out += "[";
                std::vector<MilParser::DimContext*> dims = shape->dim();
                for (size_t d = 0; d < dims.size(); ++d)
                    out += (d ? ", " : "") + dims[d]->getText();
                out += "]";
            } else {
                out += args[i]->getText();
            }
        }
        return out + ">";
    }

    // The value of a string token; reports malformed escapes at their position.
    std::string unescape(antlr4::Token* token) {
        std::string quoted = token->getText();
        std::string_view body = std::string_view(quoted).substr(1, quoted.size() - 2);
        std::string value;
        for (size_t i = 0; i < body.size(); ++i) {
            if (body[i] != '\\') {
                value += body[i];
                continue;
            }
            char escaped = i + 1 < body.size() ? body[i + 1] : '\\';
            size_t consumed = 1;
            switch (escaped) {
            case 'n':
                value += '\n';
                break;
            case 't':
                value += '\t';
                break;
            case 'r':
                value += '\r';
                break;
            case '0':
                value += '\0';
                break;
            case '\\':
                value += '\\';
                break;
            case '"':
                value += '"';
                break;
            case '\'':
                value += '\'';
                break;
            case 'x': {
                int high = i + 2 < body.size() ? hexValue(body[i + 2]) : -1;
                int low = i + 3 < body.size() ? hexValue(body[i + 3]) : -1;
                if (high < 0 || low < 0) {
                    escapeError(token, body, i, "'\\x' needs two hex digits");
                    break;
                }
                value += static_cast<char>(high * 16 + low);
                consumed = 3;
                break;
            }
            default: {
                size_t length = 1;
                while (i + 1 + length < body.size() &&
                       (static_cast<unsigned char>(body[i + 1 + length]) & 0xC0) == 0x80)
                    ++length;
                escapeError(token, body, i,
                            fmt::format("unknown escape sequence '\\{}' in string literal",
                                        body.substr(i + 1, length)));
                break;
            }
            }
            i += consumed;
        }
        return value;
    }

    void escapeError(antlr4::Token* token, std::string_view body, size_t backslash,
                     std::string message) {
        // The opening quote plus the code points before the backslash.
        diagnostics_.error(locator_.inside(token, 1 + codePointCount(body.substr(0, backslash))),
                           std::move(message));
    }

    const frontend::TokenLocator& locator_;
    DiagnosticEngine& diagnostics_;
};

} // namespace

std::unique_ptr<syntax::Program> buildMilAst(MilParser::ProgramContext& tree,
                                             const frontend::TokenLocator& locator,
                                             DiagnosticEngine& diagnostics) {
    return AstBuilder(locator, diagnostics).program(tree);
}

} // namespace anec::mil
