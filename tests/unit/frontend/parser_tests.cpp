// Parser tests: .ane text -> AST structure and locations, and every syntax diagnostic.
#include <catch2/catch.hpp>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "frontend/frontend.hpp"

using namespace anec;
using namespace anec::ast;

namespace {

struct Parsed {
    explicit Parsed(const std::string& text) : diagnostics(sources) {
        uint32_t file = sources.addFile("test.ane", text);
        program = frontend::parseAne(file, diagnostics);
    }
    SourceManager sources;
    DiagnosticEngine diagnostics;
    std::unique_ptr<Program> program;
};

std::unique_ptr<Parsed> parse(const std::string& text) {
    return std::make_unique<Parsed>(text);
}

// Parses text that must be valid; fails the test with the diagnostics otherwise.
std::unique_ptr<Parsed> parseOk(const std::string& text) {
    auto parsed = parse(text);
    std::string messages;
    for (const Diagnostic& d : parsed->diagnostics.diagnostics())
        messages += DiagnosticEngine::brief(d) + "\n";
    INFO(messages);
    REQUIRE(parsed->program != nullptr);
    REQUIRE(messages.empty());
    return parsed;
}

// The brief form ("line:col: error: message") of every diagnostic.
std::vector<std::string> errors(const std::string& text) {
    auto parsed = parse(text);
    std::vector<std::string> out;
    for (const Diagnostic& d : parsed->diagnostics.diagnostics())
        out.push_back(DiagnosticEngine::brief(d));
    CHECK(parsed->program == nullptr);
    return out;
}

std::string at(SourceLoc loc) {
    return std::to_string(loc.line) + ":" + std::to_string(loc.column);
}

std::string dump(const Expr& e);

std::string dumpItem(const SliceItem& item) {
    switch (item.kind) {
    case SliceItem::Kind::Ellipsis:
        return "...";
    case SliceItem::Kind::Index:
        return dump(*item.index);
    case SliceItem::Kind::Range: {
        std::string out =
            (item.start ? dump(*item.start) : "") + ":" + (item.stop ? dump(*item.stop) : "");
        if (item.step) out += ":" + dump(*item.step);
        return out;
    }
    }
    return "?";
}

const char* opName(BinaryOp op) {
    switch (op) {
    case BinaryOp::Add:
        return "+";
    case BinaryOp::Sub:
        return "-";
    case BinaryOp::Mul:
        return "*";
    case BinaryOp::Div:
        return "/";
    case BinaryOp::Mod:
        return "%";
    case BinaryOp::MatMul:
        return "@";
    case BinaryOp::Lt:
        return "<";
    case BinaryOp::Le:
        return "<=";
    case BinaryOp::Gt:
        return ">";
    case BinaryOp::Ge:
        return ">=";
    case BinaryOp::Eq:
        return "==";
    case BinaryOp::Ne:
        return "!=";
    case BinaryOp::And:
        return "and";
    case BinaryOp::Or:
        return "or";
    }
    return "?";
}

// A fully parenthesised rendering that makes precedence and structure visible.
std::string dump(const Expr& e) {
    if (auto* n = e.as<IntLit>()) return std::to_string(n->value);
    if (auto* n = e.as<FloatLit>()) return "f" + n->text;
    if (auto* n = e.as<BoolLit>()) return n->value ? "true" : "false";
    if (auto* n = e.as<StringLit>()) return "\"" + n->value + "\"";
    if (auto* n = e.as<NameRef>()) return n->name;
    if (auto* n = e.as<UnaryExpr>())
        return std::string(n->op == UnaryOp::Neg ? "(-" : "(not ") + dump(*n->operand) + ")";
    if (auto* n = e.as<BinaryExpr>())
        return "(" + dump(*n->lhs) + " " + opName(n->op) + " " + dump(*n->rhs) + ")";
    if (auto* n = e.as<CallExpr>()) {
        std::string out = (n->module.empty() ? "" : n->module + ".") + n->callee;
        for (size_t i = 0; i < n->element.size(); ++i)
            out += (i == 0 ? "[" : ", ") + dump(*n->element[i]) +
                   (i + 1 == n->element.size() ? "]" : "");
        out += "(";
        for (size_t i = 0; i < n->args.size(); ++i) {
            if (i > 0) out += ", ";
            if (!n->args[i].keyword.empty()) out += n->args[i].keyword + "=";
            out += dump(*n->args[i].value);
        }
        return out + ")";
    }
    if (auto* n = e.as<IndexExpr>()) {
        std::string out = dump(*n->base) + "[";
        for (size_t i = 0; i < n->items.size(); ++i)
            out += (i > 0 ? ", " : "") + dumpItem(n->items[i]);
        return out + "]";
    }
    if (auto* n = e.as<MemberExpr>()) return dump(*n->base) + "." + n->member;
    if (auto* n = e.as<ListExpr>()) {
        std::string out = "[";
        for (size_t i = 0; i < n->elements.size(); ++i)
            out += (i > 0 ? ", " : "") + dump(*n->elements[i]);
        return out + "]";
    }
    return "?";
}

const ConstDecl& constAt(const Parsed& p, size_t i) {
    return std::get<ConstDecl>(p.program->decls.at(i).node);
}

// The value of `const X = <text>`.
std::string exprOf(const std::string& text) {
    auto p = parseOk("const X = " + text);
    return dump(*constAt(*p, 0).value);
}

const Expr& valueOf(const Parsed& p) {
    return *constAt(p, 0).value;
}

std::string dumpType(const TypeExpr& t) {
    std::string out = t.dtype;
    if (!t.hasShape) return out;
    out += "[";
    for (size_t i = 0; i < t.dims.size(); ++i)
        out += (i > 0 ? ", " : "") + dump(*t.dims[i]);
    return out + "]";
}

const char* kSeedProgram = R"(// the seed kernel
const DIM = 768
const HIDDEN = 2048
const SEQ = 64
weight W1: fp16[HIDDEN, DIM] = random(seed = 1, scale = 0.0221)
weight W3: fp16[HIDDEN, DIM] = random(3, 1 / sqrt(HIDDEN))
/* a block
   comment */
fn gelu_tanh(x) { return 0.5 * x * (1 + tanh(0.7978845608 * (x + 0.044715 * x * x * x))) }
kernel ffn_w13_bwd(x: fp32[1, 2*HIDDEN, 1, SEQ]) -> (y: fp32[1, DIM, 1, SEQ]) {
    let dh1 = x[:, 0:HIDDEN, :, :]
    let dh3 = x[:, HIDDEN:2*HIDDEN, :, :];
    y = linear(dh1, W1.T) + linear(dh3, W3.T)
}
)";

} // namespace

TEST_CASE("const declarations", "[parser]") {
    auto p = parseOk("const DIM = 768\nconst HD = DIM / 12;\n");
    REQUIRE(p->program->decls.size() == 2);
    const ConstDecl& dim = constAt(*p, 0);
    CHECK(dim.name == "DIM");
    CHECK(at(dim.loc) == "1:7");
    CHECK(dump(*dim.value) == "768");
    CHECK(at(dim.value->loc) == "1:13");
    const ConstDecl& hd = constAt(*p, 1);
    CHECK(hd.name == "HD");
    CHECK(dump(*hd.value) == "(DIM / 12)");
    CHECK(at(hd.value->loc) == "2:16"); // the operator
    CHECK(p->program->file == 1);
}

TEST_CASE("weight declarations with each source", "[parser]") {
    auto p = parseOk(R"(weight W1: fp16[HIDDEN, DIM] = random(seed = 1, scale = 0.0221)
weight W2: fp32[2, 3] = random(7, 1 / sqrt(HIDDEN))
weight W3: fp16[DIM, HIDDEN] = npy("w2.npy")
weight g: fp16[1, DIM, 1, 1] = ones()
weight b: fp16[4] = zeros()
weight s: fp32 = ones()
)");
    REQUIRE(p->program->decls.size() == 6);
    const auto& w1 = std::get<WeightDecl>(p->program->decls[0].node);
    CHECK(w1.name == "W1");
    CHECK(at(w1.loc) == "1:8");
    CHECK(dumpType(w1.type) == "fp16[HIDDEN, DIM]");
    CHECK(at(w1.type.loc) == "1:12");
    CHECK(dump(*w1.source) == "random(seed=1, scale=f0.0221)");
    CHECK(at(w1.source->loc) == "1:32");
    const auto& args = w1.source->as<CallExpr>()->args;
    CHECK(at(args[0].loc) == "1:39"); // the keyword
    CHECK(dump(*std::get<WeightDecl>(p->program->decls[1].node).source) ==
          "random(7, (1 / sqrt(HIDDEN)))");
    CHECK(at(std::get<WeightDecl>(p->program->decls[1].node).source->as<CallExpr>()->args[1].loc) ==
          "2:35");
    CHECK(dump(*std::get<WeightDecl>(p->program->decls[2].node).source) == "npy(\"w2.npy\")");
    CHECK(dump(*std::get<WeightDecl>(p->program->decls[3].node).source) == "ones()");
    CHECK(dump(*std::get<WeightDecl>(p->program->decls[4].node).source) == "zeros()");
    const auto& s = std::get<WeightDecl>(p->program->decls[5].node);
    CHECK_FALSE(s.type.hasShape);
    CHECK(s.type.dims.empty());
    CHECK(dumpType(s.type) == "fp32");
}

TEST_CASE("functions with and without types", "[parser]") {
    auto p = parseOk(R"(fn gelu_tanh(x) { return 0.5 * x }
fn proj(x: fp16[1, DIM, 1, SEQ], w) -> fp16[1, DIM, 1, SEQ] { let y = linear(x, w)  return y }
fn nothing() { return 1 }
)");
    REQUIRE(p->program->decls.size() == 3);
    const auto& gelu = std::get<FnDecl>(p->program->decls[0].node);
    CHECK(gelu.name == "gelu_tanh");
    CHECK(at(gelu.loc) == "1:4");
    REQUIRE(gelu.params.size() == 1);
    CHECK(gelu.params[0].name == "x");
    CHECK(at(gelu.params[0].loc) == "1:14");
    CHECK_FALSE(gelu.params[0].type.has_value());
    CHECK_FALSE(gelu.resultsDeclared);
    REQUIRE(gelu.body.size() == 1);
    CHECK(dump(*std::get<ReturnStmt>(gelu.body[0].node).values[0]) == "(f0.5 * x)");

    const auto& proj = std::get<FnDecl>(p->program->decls[1].node);
    REQUIRE(proj.params.size() == 2);
    REQUIRE(proj.params[0].type.has_value());
    CHECK(dumpType(*proj.params[0].type) == "fp16[1, DIM, 1, SEQ]");
    CHECK(at(proj.params[0].type->loc) == "2:12");
    CHECK_FALSE(proj.params[1].type.has_value());
    REQUIRE(proj.results.size() == 1);
    CHECK(dumpType(*proj.results[0].type) == "fp16[1, DIM, 1, SEQ]");
    REQUIRE(proj.body.size() == 2);
    CHECK(std::holds_alternative<LetStmt>(proj.body[0].node));
    CHECK(std::holds_alternative<ReturnStmt>(proj.body[1].node));
    CHECK(at(proj.body[1].loc) == "2:85");

    CHECK(std::get<FnDecl>(p->program->decls[2].node).params.empty());
}

TEST_CASE("kernels with several inputs and outputs", "[parser]") {
    auto p = parseOk(
        R"(kernel attn(q: fp16[1, 64, 1, 8], k: fp32[1, 64, 1, 8], mask: bool[1, 1, 8, 8], n: int32)
    -> (out: fp32[1, 64, 1, 8], scores: fp16[1, 1, 8, 8]) {
    out = q
    scores = mask
}
kernel empty_in() -> (y: fp16[1]) { y = ones() }
)");
    REQUIRE(p->program->decls.size() == 2);
    const auto& k = std::get<KernelDecl>(p->program->decls[0].node);
    CHECK(k.name == "attn");
    CHECK(at(k.loc) == "1:8");
    REQUIRE(k.inputs.size() == 4);
    CHECK(k.inputs[0].name == "q");
    CHECK(dumpType(*k.inputs[0].type) == "fp16[1, 64, 1, 8]");
    CHECK(dumpType(*k.inputs[1].type) == "fp32[1, 64, 1, 8]");
    CHECK(dumpType(*k.inputs[2].type) == "bool[1, 1, 8, 8]");
    CHECK(dumpType(*k.inputs[3].type) == "int32");
    CHECK(at(k.inputs[2].loc) == "1:57");
    REQUIRE(k.outputs.size() == 2);
    CHECK(k.outputs[0].name == "out");
    CHECK(at(k.outputs[0].loc) == "2:9");
    CHECK(dumpType(*k.outputs[1].type) == "fp16[1, 1, 8, 8]");
    REQUIRE(k.body.size() == 2);
    const auto& assign = std::get<AssignStmt>(k.body[0].node);
    CHECK(assign.targets.at(0).name == "out");
    CHECK(at(assign.targets.at(0).loc) == "3:5");
    CHECK(at(k.body[0].loc) == "3:5");
    CHECK(dump(*assign.value) == "q");
    CHECK(std::get<KernelDecl>(p->program->decls[1].node).inputs.empty());
}

TEST_CASE("let, tuple let, assignment, return and optional semicolons", "[parser]") {
    auto p = parseOk(R"(kernel k(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 2, 1, 2]) {
    let a = x; ;
    let (b, c) = split(a, parts = 2, axis = 1)
    y = b + c;
}
fn f(x) { let t = x return t; }
;
)");
    REQUIRE(p->program->decls.size() == 2);
    const auto& k = std::get<KernelDecl>(p->program->decls[0].node);
    REQUIRE(k.body.size() == 3); // empty statements are dropped
    const auto& let = std::get<LetStmt>(k.body[0].node);
    REQUIRE(let.names.size() == 1);
    CHECK(let.names[0].name == "a");
    CHECK(at(let.names[0].loc) == "2:9");
    CHECK(at(k.body[0].loc) == "2:5");
    const auto& tuple = std::get<LetStmt>(k.body[1].node);
    REQUIRE(tuple.names.size() == 2);
    CHECK(tuple.names[0].name == "b");
    CHECK(tuple.names[1].name == "c");
    CHECK(at(tuple.names[1].loc) == "3:13");
    CHECK(dump(*tuple.value) == "split(a, parts=2, axis=1)");
    CHECK(at(k.body[2].loc) == "4:5");
    CHECK(dump(*std::get<AssignStmt>(k.body[2].node).value) == "(b + c)");
    const auto& f = std::get<FnDecl>(p->program->decls[1].node);
    REQUIRE(f.body.size() == 2);
    CHECK(at(f.body[1].loc) == "6:21");
}

TEST_CASE("operator precedence and associativity", "[parser]") {
    CHECK(exprOf("a + b * c") == "(a + (b * c))");
    CHECK(exprOf("a * b + c") == "((a * b) + c)");
    CHECK(exprOf("a - b - c") == "((a - b) - c)");
    CHECK(exprOf("a / b / c") == "((a / b) / c)");
    CHECK(exprOf("a / b * c") == "((a / b) * c)");
    CHECK(exprOf("a @ b @ c") == "((a @ b) @ c)");
    CHECK(exprOf("a + b @ c") == "(a + (b @ c))");
    CHECK(exprOf("a @ b * c") == "((a @ b) * c)");
    CHECK(exprOf("(a + b) * c") == "((a + b) * c)");
    CHECK(exprOf("a < b + c") == "(a < (b + c))");
    CHECK(exprOf("a + b >= c * d") == "((a + b) >= (c * d))");
    CHECK(exprOf("a <= b") == "(a <= b)");
    CHECK(exprOf("a > b") == "(a > b)");
    CHECK(exprOf("a == b") == "(a == b)");
    CHECK(exprOf("a != b") == "(a != b)");
    CHECK(exprOf("(a < b) == c") == "((a < b) == c)");
    CHECK(exprOf("-a * b") == "((-a) * b)");
    CHECK(exprOf("a * -b") == "(a * (-b))");
    CHECK(exprOf("a - -b") == "(a - (-b))");
    CHECK(exprOf("- -a") == "(-(-a))");
    CHECK(exprOf("-a.T") == "(-a.T)");
    CHECK(exprOf("-x[0]") == "(-x[0])");
    CHECK(exprOf("-f(x)") == "(-f(x))");
    CHECK(exprOf("x.T.T") == "x.T.T");
    CHECK(exprOf("x[0][1]") == "x[0][1]");
    CHECK(exprOf("f(x)[0].T") == "f(x)[0].T");
    CHECK(exprOf("(x @ y).T") == "(x @ y).T");
}

TEST_CASE("operator locations", "[parser]") {
    auto p = parseOk("const X = a + b * -c");
    const Expr& sum = valueOf(*p);
    CHECK(at(sum.loc) == "1:13");
    const auto* add = sum.as<BinaryExpr>();
    REQUIRE(add != nullptr);
    CHECK(add->op == BinaryOp::Add);
    CHECK(at(add->lhs->loc) == "1:11");
    CHECK(at(add->rhs->loc) == "1:17");
    const auto* mul = add->rhs->as<BinaryExpr>();
    REQUIRE(mul != nullptr);
    CHECK(mul->op == BinaryOp::Mul);
    const auto* neg = mul->rhs->as<UnaryExpr>();
    REQUIRE(neg != nullptr);
    CHECK(neg->op == UnaryOp::Neg);
    CHECK(at(mul->rhs->loc) == "1:19");
    CHECK(at(neg->operand->loc) == "1:20");
}

TEST_CASE("calls with positional and keyword arguments", "[parser]") {
    auto p = parseOk("const X = conv(x, W, strides = [2, 2], padding = \"same\", groups=1)");
    const Expr& e = valueOf(*p);
    CHECK(at(e.loc) == "1:11");
    const auto* call = e.as<CallExpr>();
    REQUIRE(call != nullptr);
    CHECK(call->callee == "conv");
    REQUIRE(call->args.size() == 5);
    CHECK(call->args[0].keyword.empty());
    CHECK(at(call->args[0].loc) == "1:16");
    CHECK(at(call->args[1].loc) == "1:19");
    CHECK(call->args[2].keyword == "strides");
    CHECK(at(call->args[2].loc) == "1:22");
    CHECK(dump(*call->args[2].value) == "[2, 2]");
    CHECK(at(call->args[2].value->loc) == "1:32"); // the list's '['
    CHECK(call->args[3].keyword == "padding");
    CHECK(dump(*call->args[3].value) == "\"same\"");
    CHECK(call->args[4].keyword == "groups");
    CHECK(exprOf("ones()") == "ones()");
    CHECK(exprOf("f(a < b, k = -1)") == "f((a < b), k=(-1))");
    // A positional argument's location is its first token, not its operator.
    auto q = parseOk("const X = f(a + b)");
    CHECK(at(valueOf(*q).as<CallExpr>()->args[0].loc) == "1:13");
}

TEST_CASE("lists, strings, booleans and dtype names as values", "[parser]") {
    CHECK(exprOf("[]") == "[]");
    CHECK(exprOf("[1, -1, [2]]") == "[1, (-1), [2]]");
    CHECK(exprOf("cast(x, fp32)") == "cast(x, fp32)");
    CHECK(exprOf("cast(x, dtype = int32)") == "cast(x, dtype=int32)");
    CHECK(exprOf("select(true, false, bool)") == "select(true, false, bool)");
    auto p = parseOk(R"(const X = "a\"b\\c\n\td\r")");
    const auto* s = valueOf(*p).as<StringLit>();
    REQUIRE(s != nullptr);
    CHECK(s->value == "a\"b\\c\n\td\r");
    auto q = parseOk("const X = fp16");
    const auto* name = valueOf(*q).as<NameRef>();
    REQUIRE(name != nullptr);
    CHECK(name->name == "fp16");
    auto b = parseOk("const X = true");
    REQUIRE(valueOf(*b).as<BoolLit>() != nullptr);
    CHECK(valueOf(*b).as<BoolLit>()->value);
}

TEST_CASE("numeric literals", "[parser]") {
    CHECK(exprOf("0") == "0");
    CHECK(exprOf("9223372036854775807") == "9223372036854775807");
    CHECK(exprOf("0x10") == "16");
    CHECK(exprOf("0X7fffffffffffffff") == "9223372036854775807");
    auto p = parseOk("const A = 1.5 const B = 1e-5 const C = .5 const D = 2.5E+3 const E = 1e-400");
    auto value = [&](size_t i) { return constAt(*p, i).value->as<FloatLit>(); };
    REQUIRE(value(0) != nullptr);
    CHECK(value(0)->value == 1.5);
    CHECK(value(0)->text == "1.5");
    CHECK(value(1)->value == 1e-5);
    CHECK(value(1)->text == "1e-5");
    CHECK(value(2)->value == 0.5);
    CHECK(value(3)->value == 2500.0);
    CHECK(value(4)->value == 0.0); // underflow is not an error
}

TEST_CASE("subscripts of every form", "[parser]") {
    CHECK(exprOf("x[:, 0:HIDDEN, :, :]") == "x[:, 0:HIDDEN, :, :]");
    CHECK(exprOf("x[..., -64:]") == "x[..., (-64):]");
    CHECK(exprOf("x[:, ::2]") == "x[:, ::2]");
    CHECK(exprOf("x[0]") == "x[0]");
    CHECK(exprOf("x[-1]") == "x[(-1)]");
    CHECK(exprOf("x[1:]") == "x[1:]");
    CHECK(exprOf("x[:3]") == "x[:3]");
    CHECK(exprOf("x[1:3:]") == "x[1:3]");
    CHECK(exprOf("x[::]") == "x[:]");
    CHECK(exprOf("x[1:-1:2, ...]") == "x[1:(-1):2, ...]");
    CHECK(exprOf("x[HIDDEN:2*HIDDEN]") == "x[HIDDEN:(2 * HIDDEN)]");

    auto p = parseOk("const X = x[1, 2:3:4, ..., :, ::-1]");
    const Expr& e = valueOf(*p);
    CHECK(at(e.loc) == "1:12"); // the '['
    const auto* index = e.as<IndexExpr>();
    REQUIRE(index != nullptr);
    CHECK(dump(*index->base) == "x");
    REQUIRE(index->items.size() == 5);
    CHECK(index->items[0].kind == SliceItem::Kind::Index);
    CHECK(at(index->items[0].loc) == "1:13");
    CHECK(index->items[1].kind == SliceItem::Kind::Range);
    CHECK(at(index->items[1].loc) == "1:16");
    REQUIRE(index->items[1].start);
    REQUIRE(index->items[1].stop);
    REQUIRE(index->items[1].step);
    CHECK(index->items[2].kind == SliceItem::Kind::Ellipsis);
    CHECK(at(index->items[2].loc) == "1:23");
    CHECK(index->items[3].kind == SliceItem::Kind::Range);
    CHECK_FALSE(index->items[3].start);
    CHECK_FALSE(index->items[3].stop);
    CHECK_FALSE(index->items[3].step);
    CHECK(at(index->items[3].loc) == "1:28");
    CHECK(index->items[4].kind == SliceItem::Kind::Range);
    CHECK_FALSE(index->items[4].start);
    CHECK_FALSE(index->items[4].stop);
    REQUIRE(index->items[4].step);
    CHECK(dump(*index->items[4].step) == "(-1)");
}

TEST_CASE("member access .T", "[parser]") {
    auto p = parseOk("const X = linear(dh1, W1.T)");
    const auto* call = valueOf(*p).as<CallExpr>();
    REQUIRE(call != nullptr);
    const Expr& arg = *call->args[1].value;
    const auto* member = arg.as<MemberExpr>();
    REQUIRE(member != nullptr);
    CHECK(member->member == "T");
    CHECK(at(arg.loc) == "1:26"); // the member name
    CHECK(dump(*member->base) == "W1");
    CHECK(at(member->base->loc) == "1:23");
}

TEST_CASE("comments and whitespace", "[parser]") {
    auto p = parseOk("// leading\n/* block */ const /* inside */ A = 1 // trailing\n"
                     "/* multi\n line // not a line comment\n */const B = /**/2\n/***/\n");
    REQUIRE(p->program->decls.size() == 2);
    CHECK(at(constAt(*p, 0).loc) == "2:32");
    CHECK(at(constAt(*p, 1).loc) == "5:10");
    CHECK(dump(*constAt(*p, 1).value) == "2");
    auto crlf = parseOk("const A = 1\r\nconst B = 2\r\n");
    CHECK(at(constAt(*crlf, 1).loc) == "2:7");
    auto tabs = parseOk("\tconst\tA = 1");
    CHECK(at(constAt(*tabs, 0).loc) == "1:8");
    CHECK(parseOk("")->program->decls.empty());
    CHECK(parseOk("// only a comment")->program->decls.empty());
}

TEST_CASE("columns are bytes even after multi-byte characters", "[parser]") {
    // "é" is two bytes; DiagnosticEngine::render indexes the line by bytes.
    auto p = parseOk("const A = \"é\" + b");
    CHECK(at(valueOf(*p).loc) == "1:16");
    auto bom = parseOk("\xEF\xBB\xBF"
                       "const A = 1");
    CHECK(at(constAt(*bom, 0).loc) == "1:10");
    CHECK(errors("const A = \"é\" $") ==
          std::vector<std::string>{"1:16: error: unexpected character '$'"});
}

TEST_CASE("the seed kernel parses", "[parser]") {
    auto p = parseOk(kSeedProgram);
    REQUIRE(p->program->decls.size() == 7);
    const auto& k = std::get<KernelDecl>(p->program->decls[6].node);
    CHECK(k.name == "ffn_w13_bwd");
    CHECK(dumpType(*k.inputs[0].type) == "fp32[1, (2 * HIDDEN), 1, SEQ]");
    REQUIRE(k.body.size() == 3);
    CHECK(dump(*std::get<LetStmt>(k.body[1].node).value) == "x[:, HIDDEN:(2 * HIDDEN), :, :]");
    CHECK(dump(*std::get<AssignStmt>(k.body[2].node).value) ==
          "(linear(dh1, W1.T) + linear(dh3, W3.T))");
    const auto& gelu = std::get<FnDecl>(p->program->decls[5].node);
    CHECK(dump(*std::get<ReturnStmt>(gelu.body[0].node).values[0]) ==
          "((f0.5 * x) * (1 + tanh((f0.7978845608 * (x + (((f0.044715 * x) * x) * x))))))");
}

// ---- syntax diagnostics: one test per message ----

using Errors = std::vector<std::string>;

TEST_CASE("diagnostic: missing closing parenthesis", "[parser]") {
    CHECK(errors("const X = (1 + 2") == Errors{"1:17: error: expected ')' but found end of file"});
    // At the end of a line, the diagnostic points where the ')' belongs.
    CHECK(errors("kernel k(x: fp16) -> (y: fp16) {\n  let a = (x\n  y = a\n}") ==
          Errors{"2:13: error: expected ')' but found 'y'"});
    CHECK(errors("const X = f(1, 2\nconst Y = 2") ==
          Errors{"1:17: error: expected ',' or ')' but found 'const'"});
}

TEST_CASE("diagnostic: expected an expression", "[parser]") {
    CHECK(errors("const X = )") == Errors{"1:11: error: expected an expression but found ')'"});
    CHECK(errors("const X = 1 +\n") ==
          Errors{"1:14: error: expected an expression but found end of file"});
    CHECK(errors("const X = [1, 2,]") ==
          Errors{"1:17: error: expected an expression but found ']'"});
}

TEST_CASE("diagnostic: expected a declaration", "[parser]") {
    CHECK(errors("foo = 3") == Errors{"1:1: error: expected a declaration (const, weight, fn, "
                                      "kernel, fuse, grad or train) but found 'foo'"});
    CHECK(errors("const X = 1 2") == Errors{"1:13: error: expected a declaration (const, weight, "
                                            "fn, kernel, fuse, grad or train) but found '2'"});
}

TEST_CASE("diagnostic: expected a statement", "[parser]") {
    CHECK(errors("fn f(x) { return x\n") ==
          Errors{"1:19: error: expected a statement or '}' but found end of file"});
    CHECK(errors("fn f(x) { 3 }") ==
          Errors{"1:11: error: expected a statement or '}' but found '3'"});
}

TEST_CASE("diagnostic: reserved words are not names", "[parser]") {
    CHECK(errors("const fp16 = 3") ==
          Errors{"1:7: error: expected a name but found reserved word 'fp16'"});
    CHECK(errors("fn f(let) { return 1 }") ==
          Errors{"1:6: error: expected a name or ')' but found reserved word 'let'"});
}

TEST_CASE("diagnostic: expected a type", "[parser]") {
    CHECK(errors("weight W: foo[1] = ones()") ==
          Errors{"1:11: error: expected a type such as fp16 but found 'foo'"});
    CHECK(errors("fn f(x) -> { return x }") ==
          Errors{"1:12: error: expected a type such as fp16 or '(' but found '{'"});
}

TEST_CASE("diagnostic: expected a weight source", "[parser]") {
    CHECK(
        errors("weight W: fp16[1] = 3") ==
        Errors{"1:21: error: expected a weight source (random(...), npy(\"file.npy\"), zeros() or "
               "ones()) but found '3'"});
    CHECK(errors("weight W: fp16[1] = W2 + 1") ==
          Errors{"1:24: error: expected '(' but found '+'"});
}

TEST_CASE("diagnostic: punctuation", "[parser]") {
    CHECK(errors("const X = f(a b)") == Errors{"1:15: error: expected ',' or ')' but found 'b'"});
    CHECK(errors("const X = x[1:2:3:4]") ==
          Errors{"1:18: error: expected ',' or ']' but found ':'"});
    CHECK(errors("weight W fp16[1] = ones()") ==
          Errors{"1:10: error: expected ':' but found 'fp16'"});
    CHECK(errors("kernel k(x: fp16) -> y: fp16 { }") ==
          Errors{"1:22: error: expected '(' but found 'y'"});
    CHECK(errors("kernel k(x: fp16) -> (y: fp16) { y := x }") ==
          Errors{"1:36: error: expected '=' but found ':'"});
    CHECK(errors("kernel k(x: fp16) -> (y: fp16) { let (a b) = x }") ==
          Errors{"1:41: error: expected ',' or ')' but found 'b'"});
    CHECK(errors("const") == Errors{"1:6: error: expected a name but found end of file"});
}

TEST_CASE("diagnostic: unexpected characters", "[parser]") {
    CHECK(errors("const X = $") == Errors{"1:11: error: unexpected character '$'"});
    CHECK(errors("const X = 1 $$$ 2") == Errors{"1:13: error: unexpected character '$'"});
    CHECK(errors("const X = 1\x07") == Errors{"1:12: error: unexpected character U+0007"});
    CHECK(errors("const X = \xCE\xBB") == Errors{"1:11: error: unexpected character '\xCE\xBB'"});
    CHECK(errors("const X = 1 \xFF") == Errors{"1:13: error: invalid UTF-8 byte 0xFF"});
    // Malformed UTF-8 inside a comment is harmless.
    CHECK(parseOk("const X = 1 // \xFF\xFE\n")->program->decls.size() == 1);
}

TEST_CASE("diagnostic: unterminated string and comment", "[parser]") {
    CHECK(errors("weight W: fp16[2] = npy(\"w.npy)\n") ==
          Errors{"1:25: error: unterminated string literal"});
    CHECK(errors("const X = \"abc\\") == Errors{"1:11: error: unterminated string literal"});
    CHECK(errors("const X = 1 /* never closed * /\n") ==
          Errors{"1:13: error: unterminated block comment"});
}

TEST_CASE("diagnostic: literal ranges and escapes", "[parser]") {
    CHECK(errors("const X = 9223372036854775808") ==
          Errors{"1:11: error: integer literal '9223372036854775808' is too large (the largest is "
                 "9223372036854775807)"});
    CHECK(errors("const X = 0x8000000000000000") ==
          Errors{"1:11: error: integer literal '0x8000000000000000' is too large (the largest is "
                 "9223372036854775807)"});
    CHECK(errors("const X = 1e999") ==
          Errors{"1:11: error: floating-point literal '1e999' is too large"});
    CHECK(errors("const X = \"é\\q\"") ==
          Errors{"1:14: error: unknown escape sequence '\\q' in string literal"});
}

TEST_CASE("diagnostic: chained comparisons", "[parser]") {
    CHECK(
        errors("const X = a < b < c") ==
        Errors{"1:17: error: comparisons cannot be chained; use parentheses, e.g. '(a < b) == c'"});
}

TEST_CASE("diagnostic: kernel parameters need types", "[parser]") {
    CHECK(errors("kernel k(x) -> (y: fp16) { y = x }") ==
          Errors{"1:10: error: kernel input 'x' needs a type, e.g. 'x: fp16[1, 64, 1, 64]'"});
    CHECK(errors("kernel k(x: fp16) -> (y) { y = x }") ==
          Errors{"1:23: error: kernel output 'y' needs a type, e.g. 'y: fp16[1, 64, 1, 64]'"});
    // A kernel without outputs parses; sema reports it.
    CHECK(std::get<KernelDecl>(parseOk("kernel k(x: fp16) -> () { }")->program->decls[0].node)
              .outputs.empty());
}

TEST_CASE("the modulo operator binds like * and /", "[parser]") {
    auto parsed = parseOk("const X = 1 + 5 % 2");
    const auto& decl = std::get<ConstDecl>(parsed->program->decls[0].node);
    const auto* sum = decl.value->as<BinaryExpr>();
    REQUIRE(sum);
    CHECK(sum->op == BinaryOp::Add);
    const auto* mod = sum->rhs->as<BinaryExpr>();
    REQUIRE(mod);
    CHECK(mod->op == BinaryOp::Mod);
    CHECK(sum->rhs->loc.column == 17);
}

TEST_CASE("diagnostic: nesting too deep", "[parser]") {
    std::string message = "error: expression is nested too deeply (more than 256 levels)";
    // Parentheses: caught while parsing, at the token that goes too deep.
    std::string parens = "const X = " + std::string(100000, '(') + "1" + std::string(100000, ')');
    CHECK(errors(parens) == Errors{"1:267: " + message});
    std::string negations = "const X = " + std::string(100000, '-') + "1";
    CHECK(errors(negations) == Errors{"1:267: " + message});
    std::string calls;
    for (int i = 0; i < 5000; ++i)
        calls += "f(";
    CHECK(errors("const X = " + calls) == Errors{"1:523: " + message});
    // A long left-associative chain is parsed iteratively but is deep as a tree.
    std::string sum = "const X = 1";
    for (int i = 0; i < 100000; ++i)
        sum += "+1";
    CHECK(errors(sum) == Errors{"1:11: " + message});
    std::string members = "const X = x";
    for (int i = 0; i < 10000; ++i)
        members += ".T";
    CHECK(errors(members) == Errors{"1:11: " + message});
    // 250 levels are fine.
    CHECK(parseOk("const X = " + std::string(250, '(') + "1" + std::string(250, ')')) != nullptr);
}

TEST_CASE("diagnostic: errors in separate declarations are all reported", "[parser]") {
    CHECK(errors("const A = (1\n"
                 "const B = 2 +\n"
                 "fn f( { }\n"
                 "weight W fp16[1] = ones()\n") ==
          Errors{"1:13: error: expected ')' but found 'const'",
                 "2:14: error: expected an expression but found 'fn'",
                 "3:7: error: expected a name or ')' but found '{'",
                 "4:10: error: expected ':' but found 'fp16'"});
}

TEST_CASE("diagnostic: errors in separate statements are reported once each", "[parser]") {
    CHECK(errors("kernel k(x: fp16[1]) -> (y: fp16[1]) {\n"
                 "  let a = x[1:, 2\n"
                 "  y = a\n"
                 "  let c = 3 + * 4 * * 5 ) )\n"
                 "  let d = (a\n"
                 "  let e = = 2\n"
                 "}\n") == Errors{"2:18: error: expected ',' or ']' but found 'y'",
                                  "4:15: error: expected an expression but found '*'",
                                  "5:13: error: expected ')' but found 'let'",
                                  "6:11: error: expected an expression but found '='"});
}

TEST_CASE("diagnostic: a lexical error hides the parse errors it causes", "[parser]") {
    CHECK(errors("const A = 1 $ 2\nconst B = )") ==
          Errors{"1:13: error: unexpected character '$'",
                 "2:11: error: expected an expression but found ')'"});
    CHECK(errors("weight W: fp16[2] = npy(\"abc)\nconst Y = 3") ==
          Errors{"1:25: error: unterminated string literal"});
}

TEST_CASE("diagnostics render in clang form", "[parser]") {
    auto p = parse("const X = (1 + 2\n");
    REQUIRE(p->diagnostics.diagnostics().size() == 1);
    CHECK(p->diagnostics.render(p->diagnostics.diagnostics()[0]) ==
          "test.ane:1:17: error: expected ')' but found end of file\n"
          "const X = (1 + 2\n"
          "                ^\n");
}

// ---- robustness: no input crashes the parser ----

namespace {
void checkNeverCrashes(const std::string& text) {
    auto p = parse(text);
    // Either an AST or at least one error, never both, never neither.
    CHECK((p->program != nullptr) == !p->diagnostics.hasErrors());
}
} // namespace

TEST_CASE("every prefix of a valid program is handled", "[parser]") {
    std::string program = kSeedProgram;
    program += "const Q = x[..., -64:, ::2] @ y.T < 3 != true\nconst S = \"a\\n\" // end\n";
    for (size_t n = 0; n <= program.size(); ++n)
        checkNeverCrashes(program.substr(0, n));
}

TEST_CASE("random bytes and token soup are handled", "[parser]") {
    std::mt19937 rng(1234);
    for (int i = 0; i < 300; ++i) {
        std::string bytes(rng() % 200, '\0');
        for (char& c : bytes)
            c = static_cast<char>(rng() % 256);
        checkNeverCrashes(bytes);
    }
    const std::vector<std::string> tokens = {
        "const", "weight", "fn", "kernel", "let", "return", "true", "fp16",
        "int32", "x",      "W",  "1",      "2.5", ".5",     "0x1F", "\"s\"",
        "\"",    "(",      ")",  "[",      "]",   "{",      "}",    ",",
        ":",     ";",      "=",  "->",     "...", ".",      "T",    "+",
        "-",     "*",      "/",  "%",      "@",   "<",      "<=",   "==",
        "!=",    "/*",     "*/", "//",     "\n",  "$",      "\xFF", "99999999999999999999"};
    for (int i = 0; i < 2000; ++i) {
        std::string text;
        size_t count = rng() % 40;
        for (size_t k = 0; k < count; ++k)
            text += tokens[rng() % tokens.size()] + " ";
        checkNeverCrashes(text);
    }
}

TEST_CASE("fuse declarations", "[parser][fuse]") {
    auto p = parseOk("fuse up, down as ffn\nfuse a,b,c as abc;\n");
    REQUIRE(p->program->decls.size() == 2);
    const auto& ffn = std::get<FuseDecl>(p->program->decls[0].node);
    CHECK(ffn.name == "ffn");
    CHECK(at(ffn.loc) == "1:18");
    REQUIRE(ffn.kernels.size() == 2);
    CHECK(ffn.kernels[0].kernel.name == "up");
    CHECK(at(ffn.kernels[0].kernel.loc) == "1:6");
    CHECK(ffn.kernels[1].kernel.name == "down");
    CHECK(at(ffn.kernels[1].kernel.loc) == "1:10");
    const auto& abc = std::get<FuseDecl>(p->program->decls[1].node);
    REQUIRE(abc.kernels.size() == 3);
    CHECK(abc.kernels[2].kernel.name == "c");
    CHECK(at(abc.loc) == "2:15");
    // A single kernel parses; sema reports it (fuse needs at least two kernels).
    CHECK(std::get<FuseDecl>(parseOk("fuse up as one")->program->decls[0].node).kernels.size() ==
          1);
}

TEST_CASE("diagnostic: malformed fuse declarations", "[parser][fuse]") {
    CHECK(errors("fuse up, down as\n") ==
          Errors{"1:17: error: expected a name but found end of file"});
    CHECK(errors("fuse up, down ffn") ==
          Errors{"1:15: error: expected 'as' or ',' but found 'ffn'"});
    CHECK(errors("fuse up, down as true") ==
          Errors{"1:18: error: expected a name but found reserved word 'true'"});
    // `fuse` and `as` are reserved words.
    CHECK(errors("fuse as ffn") ==
          Errors{"1:6: error: expected a name but found reserved word 'as'"});
    // `fuse` starts a declaration, so recovery resumes there, as after `const kernel = 1`.
    CHECK(errors("const fuse = 1") ==
          Errors{"1:7: error: expected a name but found reserved word 'fuse'",
                 "1:12: error: expected a name but found '='"});
    CHECK(errors("const kernel = 1").size() == 2);
}
