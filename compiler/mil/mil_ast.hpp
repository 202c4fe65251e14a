#pragma once
// The syntax of a MIL text program, as read by mil_ast_builder.cpp from the ANTLR parse tree of
// grammar/Mil.g4: nothing is resolved yet except types (which are turned into IR tensor types
// where anec can represent them) and string escapes. mil_lowering.cpp gives it a meaning.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ir/types.hpp"
#include "support/diagnostics.hpp"

namespace anec::mil::syntax {

// A type as written: `fp16`, `tensor<fp16, [1, ?, 4]>`, `dict<string, string>`, `state<...>`.
struct Type {
    SourceLoc loc;
    std::string spelling; // normalised MIL spelling, for messages
    // The IR type when anec can represent it (a dynamic dimension is ir::kDynamicDim).
    std::optional<ir::TensorType> tensor;
    std::string unsupported; // why not, when `tensor` is empty
};

struct TypedValue;

// A literal inside a typed value's parentheses.
struct Literal {
    enum class Kind { Number, String, Bool, List, Braces, Tuple, BlobFile, Typed };
    enum class NumberKind { Decimal, Float, Hex, Inf, NaN };

    Kind kind = Kind::Number;
    SourceLoc loc;
    // Number: the token text with its sign ("-0x1p-3"); String: the unescaped value.
    std::string text;
    NumberKind numberKind = NumberKind::Decimal;
    bool negative = false;
    bool boolean = false;
    std::vector<Literal> items; // List `[...]`, Braces `{...}`, Tuple `(...)`
    // BlobFile: BLOBFILE(path = string("..."), offset = uint64(64)), by name; Typed: the value.
    std::vector<std::pair<std::string, std::shared_ptr<TypedValue>>> blobArgs;
    std::vector<SourceLoc> blobArgLocs;
    std::shared_ptr<TypedValue> typed;
};

// `int32(1)`, `string("x")`, `tensor<int32, [2]>([1, 1])`, `dict<string, string>({{...}})`.
struct TypedValue {
    SourceLoc loc;
    Type type;
    std::optional<Literal> value; // empty for `T()`
};

// The value bound to an argument: a variable, an inline literal or a tuple `(a, b)`.
struct ArgValue {
    enum class Kind { Name, Literal, Tuple };
    Kind kind = Kind::Name;
    SourceLoc loc;
    std::string name;
    std::shared_ptr<TypedValue> literal;
    std::vector<ArgValue> items;
};

// `name = value`, inside an op's parentheses or its brackets.
struct Argument {
    std::string name;
    SourceLoc loc;
    ArgValue value;
    bool inBrackets = false;
};

// `TYPE name`: a function parameter or a statement result.
struct Declaration {
    Type type;
    std::string name;
    SourceLoc loc; // of the name
};

// `TYPE var = op(args)[attrs];` (or several results).
struct Statement {
    SourceLoc loc; // of the first result's type
    std::vector<Declaration> results;
    std::string op;
    SourceLoc opLoc;
    std::vector<Argument> arguments; // parentheses first, then brackets
};

struct Returned {
    std::string name;
    SourceLoc loc;
};

// `func name<opset>(params) [attrs] { statements } -> (returns);`
struct Function {
    std::string name;
    SourceLoc loc;
    std::string opset; // empty when not given
    SourceLoc opsetLoc;
    std::vector<Declaration> params;
    std::vector<Argument> attributes;
    std::vector<Statement> statements;
    std::vector<Returned> returns;
    SourceLoc returnsLoc; // of `->`
};

struct Program {
    std::string version; // "1.3"
    SourceLoc versionLoc;
    std::vector<Argument> attributes; // [buildInfo = ...]
    std::vector<Function> functions;
};

} // namespace anec::mil::syntax
