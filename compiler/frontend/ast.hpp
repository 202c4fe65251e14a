#pragma once
// The .ane abstract syntax tree: what the parser (ast_builder) produces and sema/IR generation
// consume. Every node carries the SourceLoc that diagnostics point at.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "support/diagnostics.hpp"

namespace anec::ast {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct IntLit {
    int64_t value = 0;
};
struct FloatLit {
    double value = 0;
    std::string text; // as written, for messages
};
struct BoolLit {
    bool value = false;
};
struct StringLit {
    std::string value; // unescaped
};
struct NameRef {
    std::string name;
};

enum class UnaryOp { Neg, Not };
struct UnaryExpr {
    UnaryOp op = UnaryOp::Neg;
    ExprPtr operand;
};

enum class BinaryOp { Add, Sub, Mul, Div, Mod, MatMul, Lt, Le, Gt, Ge, Eq, Ne, And, Or };
struct BinaryExpr {
    BinaryOp op = BinaryOp::Add;
    ExprPtr lhs;
    ExprPtr rhs; // Expr::loc of a BinaryExpr is the operator token
};

struct Argument {
    std::string keyword; // empty for a positional argument
    SourceLoc loc;       // the keyword, or the value for a positional argument
    ExprPtr value;
};
struct CallExpr {
    std::string module;           // `nn` in nn.rms_norm(x); empty for an unqualified call
    std::string callee;           // Expr::loc of a CallExpr is the callee name
    std::vector<ExprPtr> element; // `[l]` in layer[l](h): an element of a kernel array
    std::vector<Argument> args;
};

// One subscript of x[...]: an index (`3`, `-1`), a range `start:stop:step` with each part
// optional, or `...` (all remaining dimensions).
struct SliceItem {
    enum class Kind { Index, Range, Ellipsis };
    Kind kind = Kind::Range;
    SourceLoc loc;
    ExprPtr index;             // Kind::Index
    ExprPtr start, stop, step; // Kind::Range; null when omitted
};
struct IndexExpr {
    ExprPtr base; // Expr::loc of an IndexExpr is the '['
    std::vector<SliceItem> items;
};

struct MemberExpr {
    ExprPtr base;       // Expr::loc of a MemberExpr is the member name
    std::string member; // "T"
};

struct ListExpr {
    std::vector<ExprPtr> elements; // [a, b, c]
};

struct Expr {
    SourceLoc loc;
    std::variant<IntLit, FloatLit, BoolLit, StringLit, NameRef, UnaryExpr, BinaryExpr, CallExpr,
                 IndexExpr, MemberExpr, ListExpr>
        node;

    template <typename T> const T* as() const { return std::get_if<T>(&node); }
};

// `fp16[1, DIM, 1, SEQ]` (dims are integer constant expressions) or a scalar `fp16`.
struct TypeExpr {
    SourceLoc loc; // the dtype name
    std::string dtype;
    bool hasShape = false; // false for a scalar type
    std::vector<ExprPtr> dims;
};

struct Binding {
    std::string name;
    SourceLoc loc;
};

// let x = e   |   let (a, b) = e   (a multi-result call)   |   var h = e (may be reassigned)
struct LetStmt {
    std::vector<Binding> names;
    ExprPtr value;
    bool isVar = false;
};
// y = e (y an output of the enclosing kernel, or a var)
struct AssignStmt {
    std::vector<Binding> targets; // one
    ExprPtr value;
};
// return e   |   return a, b (functions only)
struct ReturnStmt {
    std::vector<ExprPtr> values;
};

// for l in start..stop { ... }: the range is half-open and evaluated at compile time.
struct Range {
    ExprPtr start, stop;
};

// assert cond, "message": checked at compile time.
struct AssertStmt {
    ExprPtr cond;
    std::string message; // empty when none is given
};

struct Stmt;
struct ForStmt {
    Binding var;
    Range range;
    std::vector<Stmt> body;
};

struct Stmt {
    SourceLoc loc; // the statement's first token
    std::variant<LetStmt, AssignStmt, ReturnStmt, ForStmt, AssertStmt> node;
};

struct Param {
    std::string name;
    SourceLoc loc;
    std::optional<TypeExpr> type; // always present for kernel inputs and outputs
    ExprPtr defaultValue;         // functions only: `eps = 1e-5`
};

// const NAME = integer-expression        (overridable with -D NAME=VALUE)
struct ConstDecl {
    std::string name;
    SourceLoc loc;
    ExprPtr value;
};
// [dynamic] weight NAME: TYPE = source(...)   source: random(seed, scale) | npy("f.npy") |
// zeros() | ones(). A dynamic weight is a kernel input given at run time (the source is its
// initial value, zeros when omitted); docs/language.md "Dynamic weights".
struct WeightDecl {
    std::string name;
    SourceLoc loc;
    std::vector<ExprPtr> element; // `Wq[l]`: one element of a weight array (empty for a plain one)
    TypeExpr type;
    ExprPtr source; // a CallExpr; null when omitted (only valid for a dynamic weight)
    bool dynamic = false;
};
// One result of a function: `-> (a: fp16[..], b)`; the name is for messages only.
struct FnResult {
    std::string name; // may be empty
    SourceLoc loc;
    std::optional<TypeExpr> type;
};
// fn NAME(params) [-> TYPE | -> (results)] { stmts; return e[, e...] }   (inlined at every call)
struct FnDecl {
    std::string name;
    SourceLoc loc;
    std::vector<Param> params;
    std::vector<FnResult> results; // empty when undeclared (any number, untyped)
    bool resultsDeclared = false;  // `-> ...` was written
    std::vector<Stmt> body;
};
// kernel NAME[index](inputs) -> (outputs) { stmts }     (one ANE program)
struct KernelDecl {
    std::string name;
    SourceLoc loc;
    std::vector<ExprPtr> element; // `attn[l]`: one element of a kernel array
    std::vector<Param> inputs;
    std::vector<Param> outputs;
    std::vector<Stmt> body;
};

// fuse k1, k2, ... as NAME                (one ANE program running the kernels in order; the
// outputs of earlier kernels feed the same-named inputs of later ones inside it)
// An entry of a fuse list: `up` or `attn[l]` (an element of a kernel array).
struct FuseItem {
    Binding kernel;
    std::vector<ExprPtr> element; // empty for a plain kernel
};
struct FuseDecl {
    std::string name;
    SourceLoc loc;                 // the fused name
    std::vector<ExprPtr> element;  // `stack[l]`: one element of an array of fused kernels
    std::vector<FuseItem> kernels; // in the order they run
    std::vector<Binding> kept;     // `keep (h)`: consumed outputs that stay outputs
};

// grad KERNEL wrt a, W[l] [saving t1, t2] [scale S] as NAME   (the backward kernel of KERNEL)
struct GradDecl {
    std::string name;
    SourceLoc loc;                // the backward kernel's name
    std::vector<ExprPtr> element; // `bwd[l]`
    FuseItem target;              // the kernel differentiated
    std::vector<FuseItem> wrt;    // kernel inputs (no index) or weights (maybe an element)
    std::vector<Binding> saving;  // forward taps
    ExprPtr scale;                // the static loss scale; null for none
};

// One `key value, value` line of a train declaration.
struct TrainOption {
    Binding key;
    std::vector<ExprPtr> values;
};
// train NAME { model embed, layer, head  loss lm_loss  optimizer adamw  lr 3e-3 ... }
struct TrainDecl {
    std::string name;
    SourceLoc loc; // the step's name
    std::vector<TrainOption> options;
};

struct Decl;
// for l in start..stop { decls }    (weights, kernels, fuses, asserts and nested fors)
struct ForDecl {
    Binding var;
    Range range;
    std::vector<Decl> body;
};
struct AssertDecl {
    SourceLoc loc;
    AssertStmt assertion;
};
// import "path" [as alias]   |   import a, b from "path"
struct ImportDecl {
    SourceLoc loc;              // the path string
    std::string path;           // as written
    Binding alias;              // empty name when not given
    std::vector<Binding> names; // explicit imports
};

struct Decl {
    std::variant<ConstDecl, WeightDecl, FnDecl, KernelDecl, FuseDecl, GradDecl, TrainDecl, ForDecl,
                 AssertDecl, ImportDecl>
        node;
    template <typename T> const T* as() const { return std::get_if<T>(&node); }
};

struct Program {
    uint32_t file = 0;       // SourceManager id of the .ane file
    std::vector<Decl> decls; // in source order
};

} // namespace anec::ast
