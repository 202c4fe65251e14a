#include "frontend/ast_builder.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "fmt/format.h"
#include "support/suggest.hpp"

namespace anec::frontend {

using grammar::AneParser;

namespace {

// Counts code points of UTF-8 text (the unit of ANTLR columns).
size_t codePointCount(std::string_view text) {
    size_t count = 0;
    for (char c : text)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
    return count;
}

class AstBuilder {
  public:
    AstBuilder(const TokenLocator& locator, DiagnosticEngine& diagnostics)
        : locator_(locator), diagnostics_(diagnostics) {}

    std::unique_ptr<ast::Program> program(AneParser::ProgramContext& tree);

  private:
    // Tracks the expression nesting depth of the recursive descent over the parse tree.
    struct DepthScope {
        explicit DepthScope(size_t& depth) : depth_(depth) { ++depth_; }
        ~DepthScope() { --depth_; }
        size_t& depth_;
    };

    enum class Nesting { TopLevel, InLoop };
    std::vector<ast::Decl> decls(const std::vector<AneParser::DeclContext*>& contexts,
                                 Nesting nesting);
    std::optional<ast::Decl> decl(AneParser::DeclContext& ctx, Nesting nesting);
    ast::ConstDecl constDecl(AneParser::ConstDeclContext& ctx);
    ast::WeightDecl weightDecl(AneParser::WeightDeclContext& ctx, bool dynamic);
    ast::FnDecl fnDecl(AneParser::FnDeclContext& ctx);
    ast::KernelDecl kernelDecl(AneParser::KernelDeclContext& ctx);
    ast::FuseDecl fuseDecl(AneParser::FuseDeclContext& ctx);
    ast::FuseItem fuseItem(AneParser::FuseItemContext& ctx);
    ast::GradDecl gradDecl(AneParser::GradDeclContext& ctx);
    void gradOption(AneParser::DeclOptionContext& ctx, ast::GradDecl& decl);
    ast::TrainDecl trainDecl(AneParser::TrainDeclContext& ctx);
    ast::ForDecl forDecl(AneParser::ForDeclContext& ctx);
    ast::ImportDecl importDecl(AneParser::ImportDeclContext& ctx);
    ast::Range range(AneParser::RangeContext& ctx);
    ast::AssertStmt assertion(AneParser::ExprContext* cond, antlr4::Token* message);
    std::vector<ast::ExprPtr> elementIndex(AneParser::ElementIndexContext* ctx);
    std::vector<ast::Binding> bindings(AneParser::BindingsContext* ctx);
    std::vector<ast::Param> params(AneParser::ParamListContext* ctx);
    std::vector<ast::Param> kernelParams(AneParser::ParamListContext* ctx, const char* role);
    ast::TypeExpr type(AneParser::TypeContext& ctx);
    std::vector<ast::Stmt> block(AneParser::BlockContext& ctx);
    std::optional<ast::Stmt> stmt(AneParser::StmtContext& ctx);

    ast::ExprPtr expr(AneParser::ExprContext* ctx);
    ast::ExprPtr exprAlternative(AneParser::ExprContext& ctx);
    ast::ExprPtr binary(antlr4::Token* op, AneParser::ExprContext* lhs,
                        AneParser::ExprContext* rhs);
    ast::ExprPtr call(AneParser::CallContext& ctx);
    ast::ExprPtr index(AneParser::IndexExprContext& ctx);
    ast::SliceItem subscript(AneParser::SubscriptContext& ctx);
    ast::ExprPtr intLiteral(antlr4::Token* token);
    ast::ExprPtr floatLiteral(antlr4::Token* token);
    ast::ExprPtr stringLiteral(antlr4::Token* token);

    SourceLoc loc(const antlr4::Token* token) const { return locator_.at(token); }
    ast::ExprPtr make(SourceLoc loc, auto node) {
        auto e = std::make_unique<ast::Expr>();
        e->loc = loc;
        e->node = std::move(node);
        return e;
    }
    // Stands in for an expression that could not be built; an error has been reported.
    ast::ExprPtr placeholder(SourceLoc at) { return make(at, ast::IntLit{0}); }
    static std::string text(antlr4::Token* token) { return token ? token->getText() : ""; }

    const TokenLocator& locator_;
    DiagnosticEngine& diagnostics_;
    size_t depth_ = 0;
    bool reportedNesting_ = false;
};

std::unique_ptr<ast::Program> AstBuilder::program(AneParser::ProgramContext& tree) {
    auto program = std::make_unique<ast::Program>();
    program->file = locator_.file();
    program->decls = decls(tree.decl(), Nesting::TopLevel);
    return program;
}

std::vector<ast::Decl> AstBuilder::decls(const std::vector<AneParser::DeclContext*>& contexts,
                                         Nesting nesting) {
    std::vector<ast::Decl> result;
    for (AneParser::DeclContext* ctx : contexts)
        if (auto built = decl(*ctx, nesting)) result.push_back(std::move(*built));
    return result;
}

std::optional<ast::Decl> AstBuilder::decl(AneParser::DeclContext& ctx, Nesting nesting) {
    if (ctx.dynamic != nullptr && ctx.weightDecl() == nullptr)
        diagnostics_.error(loc(ctx.dynamic),
                           "'dynamic' applies only to weights, as in 'dynamic weight W: "
                           "fp16[64, 64]'");
    bool inLoop = nesting == Nesting::InLoop;
    auto notInLoop = [&](antlr4::Token* at, const char* what) {
        if (inLoop)
            diagnostics_.error(loc(at), fmt::format("{} cannot be declared inside a 'for'; "
                                                    "declare it at the top level",
                                                    what));
        return !inLoop;
    };
    if (auto* c = ctx.constDecl()) {
        if (notInLoop(c->start, "a constant")) return ast::Decl{constDecl(*c)};
    } else if (auto* w = ctx.weightDecl()) {
        return ast::Decl{weightDecl(*w, ctx.dynamic != nullptr)};
    } else if (auto* f = ctx.fnDecl()) {
        if (notInLoop(f->start, "a function")) return ast::Decl{fnDecl(*f)};
    } else if (auto* k = ctx.kernelDecl()) {
        return ast::Decl{kernelDecl(*k)};
    } else if (auto* u = ctx.fuseDecl()) {
        return ast::Decl{fuseDecl(*u)};
    } else if (auto* g = ctx.gradDecl()) {
        return ast::Decl{gradDecl(*g)};
    } else if (auto* t = ctx.trainDecl()) {
        if (nesting != Nesting::TopLevel) {
            diagnostics_.error(loc(t->start), "'train' is only allowed at the top level");
            return std::nullopt;
        }
        return ast::Decl{trainDecl(*t)};
    } else if (auto* r = ctx.forDecl()) {
        return ast::Decl{forDecl(*r)};
    } else if (auto* a = ctx.assertDecl()) {
        return ast::Decl{ast::AssertDecl{loc(a->start), assertion(a->cond, a->message)}};
    } else if (auto* i = ctx.importDecl()) {
        if (nesting != Nesting::TopLevel) {
            diagnostics_.error(loc(i->start), "'import' is only allowed at the top level");
            return std::nullopt;
        }
        return ast::Decl{importDecl(*i)};
    }
    return std::nullopt; // a stray ';', or a declaration reported above
}

ast::ConstDecl AstBuilder::constDecl(AneParser::ConstDeclContext& ctx) {
    return ast::ConstDecl{text(ctx.name), loc(ctx.name), expr(ctx.value)};
}

ast::WeightDecl AstBuilder::weightDecl(AneParser::WeightDeclContext& ctx, bool dynamic) {
    ast::WeightDecl decl;
    decl.name = text(ctx.name);
    decl.loc = loc(ctx.name);
    decl.element = elementIndex(ctx.elementIndex());
    decl.type = type(*ctx.type());
    if (ctx.source != nullptr) decl.source = call(*ctx.source);
    decl.dynamic = dynamic;
    return decl;
}

ast::FnDecl AstBuilder::fnDecl(AneParser::FnDeclContext& ctx) {
    ast::FnDecl decl;
    decl.name = text(ctx.name);
    decl.loc = loc(ctx.name);
    decl.params = params(ctx.params);
    if (auto* results = ctx.fnResults()) {
        decl.resultsDeclared = true;
        if (auto* single = results->type()) {
            decl.results.push_back({"", loc(single->start), type(*single)});
        } else {
            for (AneParser::FnResultContext* r : results->fnResult()) {
                ast::FnResult result{text(r->name), loc(r->start), std::nullopt};
                if (r->type() != nullptr) result.type = type(*r->type());
                decl.results.push_back(std::move(result));
            }
        }
    }
    decl.body = block(*ctx.block());
    return decl;
}

ast::KernelDecl AstBuilder::kernelDecl(AneParser::KernelDeclContext& ctx) {
    ast::KernelDecl decl;
    decl.name = text(ctx.name);
    decl.loc = loc(ctx.name);
    decl.element = elementIndex(ctx.elementIndex());
    decl.inputs = kernelParams(ctx.inputs, "input");
    decl.outputs = kernelParams(ctx.outputs, "output");
    decl.body = block(*ctx.block());
    return decl;
}

ast::FuseDecl AstBuilder::fuseDecl(AneParser::FuseDeclContext& ctx) {
    ast::FuseDecl decl;
    decl.name = text(ctx.name);
    decl.loc = loc(ctx.name);
    decl.element = elementIndex(ctx.elementIndex());
    for (AneParser::FuseItemContext* item : ctx.fuseItem())
        decl.kernels.push_back(fuseItem(*item));
    for (antlr4::Token* kept : ctx.kept)
        decl.kept.push_back({text(kept), loc(kept)});
    return decl;
}

ast::FuseItem AstBuilder::fuseItem(AneParser::FuseItemContext& ctx) {
    return {{text(ctx.name), loc(ctx.name)}, elementIndex(ctx.elementIndex())};
}

ast::GradDecl AstBuilder::gradDecl(AneParser::GradDeclContext& ctx) {
    ast::GradDecl decl;
    decl.name = text(ctx.name);
    decl.loc = loc(ctx.name);
    decl.element = elementIndex(ctx.elementIndex());
    decl.target = fuseItem(*ctx.target);
    if (text(ctx.wrtWord) != "wrt")
        diagnostics_.error(loc(ctx.wrtWord),
                           fmt::format("expected 'wrt' after the kernel, as in 'grad {} wrt x as "
                                       "{}', but found '{}'",
                                       decl.target.kernel.name, decl.name, text(ctx.wrtWord)));
    for (AneParser::FuseItemContext* item : ctx.wrt)
        decl.wrt.push_back(fuseItem(*item));
    for (AneParser::DeclOptionContext* option : ctx.declOption())
        gradOption(*option, decl);
    return decl;
}

// `saving t1, t2` (names of values in the kernel) or `scale S` (a constant expression).
void AstBuilder::gradOption(AneParser::DeclOptionContext& ctx, ast::GradDecl& decl) {
    std::string key = text(ctx.key);
    if (key == "saving") {
        for (AneParser::ExprContext* value : ctx.values) {
            ast::ExprPtr name = expr(value);
            const auto* ref = name ? name->as<ast::NameRef>() : nullptr;
            if (ref)
                decl.saving.push_back({ref->name, name->loc});
            else
                diagnostics_.error(loc(value->start), "'saving' takes names of values computed "
                                                      "in the kernel, as in 'saving h, attn'");
        }
    } else if (key == "scale") {
        if (decl.scale) diagnostics_.error(loc(ctx.key), "'scale' is given twice");
        if (ctx.values.size() != 1)
            diagnostics_.error(loc(ctx.values[1]->start),
                               "'scale' takes one constant, as in 'scale 1024'");
        decl.scale = expr(ctx.values[0]);
    } else {
        diagnostics_.error(loc(ctx.key), "unknown option '" + key + "' of 'grad'" +
                                             didYouMean(key, {"saving", "scale"}) +
                                             " (expected 'saving NAMES' or 'scale S' before 'as')");
    }
}

// The keys are checked by the frontend's training lowering (frontend/training.cpp), which knows
// what each takes.
ast::TrainDecl AstBuilder::trainDecl(AneParser::TrainDeclContext& ctx) {
    ast::TrainDecl decl;
    decl.name = text(ctx.name);
    decl.loc = loc(ctx.name);
    for (AneParser::DeclOptionContext* option : ctx.declOption()) {
        ast::TrainOption built{{text(option->key), loc(option->key)}, {}};
        for (AneParser::ExprContext* value : option->values)
            built.values.push_back(expr(value));
        decl.options.push_back(std::move(built));
    }
    return decl;
}

ast::ForDecl AstBuilder::forDecl(AneParser::ForDeclContext& ctx) {
    ast::ForDecl decl;
    decl.var = {text(ctx.var), loc(ctx.var)};
    decl.range = range(*ctx.range());
    decl.body = decls(ctx.decl(), Nesting::InLoop);
    return decl;
}

ast::ImportDecl AstBuilder::importDecl(AneParser::ImportDeclContext& ctx) {
    ast::ImportDecl decl;
    decl.loc = loc(ctx.path);
    decl.path = stringLiteral(ctx.path)->as<ast::StringLit>()->value;
    if (ctx.alias != nullptr) decl.alias = {text(ctx.alias), loc(ctx.alias)};
    for (antlr4::Token* name : ctx.names)
        decl.names.push_back({text(name), loc(name)});
    return decl;
}

ast::Range AstBuilder::range(AneParser::RangeContext& ctx) {
    return ast::Range{expr(ctx.start), expr(ctx.stop)};
}

ast::AssertStmt AstBuilder::assertion(AneParser::ExprContext* cond, antlr4::Token* message) {
    ast::AssertStmt result{expr(cond), ""};
    if (message != nullptr) result.message = stringLiteral(message)->as<ast::StringLit>()->value;
    return result;
}

std::vector<ast::ExprPtr> AstBuilder::elementIndex(AneParser::ElementIndexContext* ctx) {
    std::vector<ast::ExprPtr> indices;
    if (ctx == nullptr) return indices;
    for (AneParser::ExprContext* index : ctx->expr())
        indices.push_back(expr(index));
    return indices;
}

std::vector<ast::Param> AstBuilder::params(AneParser::ParamListContext* ctx) {
    std::vector<ast::Param> result;
    if (ctx == nullptr) return result;
    for (AneParser::ParamContext* p : ctx->param()) {
        ast::Param param{text(p->name), loc(p->name), std::nullopt, nullptr};
        if (p->type() != nullptr) param.type = type(*p->type());
        if (p->defaultValue != nullptr) param.defaultValue = expr(p->defaultValue);
        result.push_back(std::move(param));
    }
    return result;
}

std::vector<ast::Param> AstBuilder::kernelParams(AneParser::ParamListContext* ctx,
                                                 const char* role) {
    std::vector<ast::Param> result = params(ctx);
    for (const ast::Param& param : result) {
        if (param.defaultValue)
            diagnostics_.error(
                param.defaultValue->loc,
                fmt::format("kernel {} '{}' cannot have a default value", role, param.name));
        if (!param.type)
            diagnostics_.error(param.loc,
                               fmt::format("kernel {} '{}' needs a type, e.g. '{}: fp16[1, 64, 1, "
                                           "64]'",
                                           role, param.name, param.name));
    }
    return result;
}

ast::TypeExpr AstBuilder::type(AneParser::TypeContext& ctx) {
    ast::TypeExpr type;
    type.loc = loc(ctx.DTYPE()->getSymbol());
    type.dtype = ctx.DTYPE()->getText();
    type.hasShape = ctx.LBRACK() != nullptr;
    for (AneParser::ExprContext* dim : ctx.expr())
        type.dims.push_back(expr(dim));
    return type;
}

std::vector<ast::Stmt> AstBuilder::block(AneParser::BlockContext& ctx) {
    std::vector<ast::Stmt> body;
    for (AneParser::StmtContext* s : ctx.stmt())
        if (auto built = stmt(*s)) body.push_back(std::move(*built));
    return body;
}

std::vector<ast::Binding> AstBuilder::bindings(AneParser::BindingsContext* ctx) {
    std::vector<ast::Binding> names;
    if (auto* single = dynamic_cast<AneParser::SingleBindingContext*>(ctx)) {
        names.push_back({single->IDENT()->getText(), loc(single->IDENT()->getSymbol())});
    } else if (auto* tuple = dynamic_cast<AneParser::TupleBindingContext*>(ctx)) {
        for (antlr4::tree::TerminalNode* name : tuple->IDENT())
            names.push_back({name->getText(), loc(name->getSymbol())});
    }
    return names;
}

std::optional<ast::Stmt> AstBuilder::stmt(AneParser::StmtContext& ctx) {
    ast::Stmt stmt;
    stmt.loc = loc(ctx.start);
    if (auto* let = dynamic_cast<AneParser::LetStmtContext*>(&ctx)) {
        stmt.node = ast::LetStmt{bindings(let->bindings()), expr(let->expr()), false};
    } else if (auto* var = dynamic_cast<AneParser::VarStmtContext*>(&ctx)) {
        stmt.node = ast::LetStmt{bindings(var->bindings()), expr(var->expr()), true};
    } else if (auto* assign = dynamic_cast<AneParser::AssignStmtContext*>(&ctx)) {
        stmt.node =
            ast::AssignStmt{{{text(assign->target), loc(assign->target)}}, expr(assign->expr())};
    } else if (auto* ret = dynamic_cast<AneParser::ReturnStmtContext*>(&ctx)) {
        ast::ReturnStmt node;
        for (AneParser::ExprContext* value : ret->expr())
            node.values.push_back(expr(value));
        stmt.node = std::move(node);
    } else if (auto* loop = dynamic_cast<AneParser::ForStmtContext*>(&ctx)) {
        stmt.node = ast::ForStmt{
            {text(loop->var), loc(loop->var)}, range(*loop->range()), block(*loop->block())};
    } else if (auto* check = dynamic_cast<AneParser::AssertStmtContext*>(&ctx)) {
        stmt.node = assertion(check->cond, check->message);
    } else {
        return std::nullopt; // an empty statement: a stray ';'
    }
    return stmt;
}

ast::ExprPtr AstBuilder::expr(AneParser::ExprContext* ctx) {
    if (ctx == nullptr) return placeholder({}); // unreachable after an error-free parse
    DepthScope scope(depth_);
    if (depth_ > kMaxExpressionNesting) {
        if (!reportedNesting_)
            diagnostics_.error(loc(ctx->start),
                               fmt::format("expression is nested too deeply (more than {} levels)",
                                           kMaxExpressionNesting));
        reportedNesting_ = true;
        return placeholder(loc(ctx->start));
    }
    return exprAlternative(*ctx);
}

ast::ExprPtr AstBuilder::exprAlternative(AneParser::ExprContext& ctx) {
    if (auto* c = dynamic_cast<AneParser::MemberExprContext*>(&ctx))
        return make(loc(c->member), ast::MemberExpr{expr(c->expr()), text(c->member)});
    if (auto* c = dynamic_cast<AneParser::IndexExprContext*>(&ctx)) return index(*c);
    if (auto* c = dynamic_cast<AneParser::NegExprContext*>(&ctx))
        return make(loc(c->start), ast::UnaryExpr{ast::UnaryOp::Neg, expr(c->expr())});
    if (auto* c = dynamic_cast<AneParser::MulExprContext*>(&ctx))
        return binary(c->op, c->expr(0), c->expr(1));
    if (auto* c = dynamic_cast<AneParser::AddExprContext*>(&ctx))
        return binary(c->op, c->expr(0), c->expr(1));
    if (auto* c = dynamic_cast<AneParser::CompareExprContext*>(&ctx)) {
        if (dynamic_cast<AneParser::CompareExprContext*>(c->expr(0)) != nullptr)
            diagnostics_.error(
                loc(c->op), "comparisons cannot be chained; use parentheses, e.g. '(a < b) == c'");
        return binary(c->op, c->expr(0), c->expr(1));
    }
    if (auto* c = dynamic_cast<AneParser::NotExprContext*>(&ctx))
        return make(loc(c->start), ast::UnaryExpr{ast::UnaryOp::Not, expr(c->expr())});
    if (auto* c = dynamic_cast<AneParser::AndExprContext*>(&ctx))
        return binary(c->op, c->expr(0), c->expr(1));
    if (auto* c = dynamic_cast<AneParser::OrExprContext*>(&ctx))
        return binary(c->op, c->expr(0), c->expr(1));
    if (auto* c = dynamic_cast<AneParser::CallExprContext*>(&ctx)) return call(*c->call());
    if (auto* c = dynamic_cast<AneParser::ParenExprContext*>(&ctx)) return expr(c->expr());
    if (auto* c = dynamic_cast<AneParser::ListExprContext*>(&ctx)) {
        ast::ListExpr list;
        for (AneParser::ExprContext* element : c->expr())
            list.elements.push_back(expr(element));
        return make(loc(c->start), std::move(list));
    }
    if (dynamic_cast<AneParser::IntExprContext*>(&ctx)) return intLiteral(ctx.start);
    if (dynamic_cast<AneParser::FloatExprContext*>(&ctx)) return floatLiteral(ctx.start);
    if (dynamic_cast<AneParser::StringExprContext*>(&ctx)) return stringLiteral(ctx.start);
    if (dynamic_cast<AneParser::BoolExprContext*>(&ctx))
        return make(loc(ctx.start), ast::BoolLit{ctx.start->getType() == AneParser::KW_TRUE});
    // A name or a dtype name used as a value (`cast(x, fp32)`).
    return make(loc(ctx.start), ast::NameRef{text(ctx.start)});
}

ast::ExprPtr AstBuilder::binary(antlr4::Token* op, AneParser::ExprContext* lhs,
                                AneParser::ExprContext* rhs) {
    ast::BinaryOp kind = ast::BinaryOp::Add;
    switch (op->getType()) {
    case AneParser::PLUS:
        kind = ast::BinaryOp::Add;
        break;
    case AneParser::MINUS:
        kind = ast::BinaryOp::Sub;
        break;
    case AneParser::STAR:
        kind = ast::BinaryOp::Mul;
        break;
    case AneParser::SLASH:
        kind = ast::BinaryOp::Div;
        break;
    case AneParser::AT:
        kind = ast::BinaryOp::MatMul;
        break;
    case AneParser::PERCENT:
        kind = ast::BinaryOp::Mod;
        break;
    case AneParser::LT:
        kind = ast::BinaryOp::Lt;
        break;
    case AneParser::LE:
        kind = ast::BinaryOp::Le;
        break;
    case AneParser::GT:
        kind = ast::BinaryOp::Gt;
        break;
    case AneParser::GE:
        kind = ast::BinaryOp::Ge;
        break;
    case AneParser::EQ:
        kind = ast::BinaryOp::Eq;
        break;
    case AneParser::NE:
        kind = ast::BinaryOp::Ne;
        break;
    case AneParser::AND:
        kind = ast::BinaryOp::And;
        break;
    case AneParser::OR:
        kind = ast::BinaryOp::Or;
        break;
    default:
        break;
    }
    ast::ExprPtr left = expr(lhs);
    ast::ExprPtr right = expr(rhs);
    return make(loc(op), ast::BinaryExpr{kind, std::move(left), std::move(right)});
}

ast::ExprPtr AstBuilder::call(AneParser::CallContext& ctx) {
    ast::CallExpr node;
    if (ctx.member != nullptr) {
        node.module = text(ctx.callee);
        node.callee = text(ctx.member);
    } else {
        node.callee = text(ctx.callee);
    }
    node.element = elementIndex(ctx.elementIndex());
    for (AneParser::ArgumentContext* a : ctx.argument()) {
        ast::Argument arg;
        if (a->keyword != nullptr) {
            arg.keyword = text(a->keyword);
            arg.loc = loc(a->keyword);
        } else {
            arg.loc = loc(a->expr()->start);
        }
        arg.value = expr(a->expr());
        node.args.push_back(std::move(arg));
    }
    return make(loc(ctx.member != nullptr ? ctx.member : ctx.callee), std::move(node));
}

ast::ExprPtr AstBuilder::index(AneParser::IndexExprContext& ctx) {
    ast::IndexExpr node;
    node.base = expr(ctx.expr());
    for (AneParser::SubscriptContext* s : ctx.subscript())
        node.items.push_back(subscript(*s));
    return make(loc(ctx.open), std::move(node));
}

ast::SliceItem AstBuilder::subscript(AneParser::SubscriptContext& ctx) {
    ast::SliceItem item;
    item.loc = loc(ctx.start);
    AneParser::RangeTailContext* tail = nullptr;
    if (dynamic_cast<AneParser::EllipsisSubscriptContext*>(&ctx)) {
        item.kind = ast::SliceItem::Kind::Ellipsis;
        return item;
    }
    if (auto* e = dynamic_cast<AneParser::ExprSubscriptContext*>(&ctx)) {
        tail = e->rangeTail();
        if (tail == nullptr) {
            item.kind = ast::SliceItem::Kind::Index;
            item.index = expr(e->expr());
            return item;
        }
        item.start = expr(e->expr());
    } else if (auto* open = dynamic_cast<AneParser::OpenRangeSubscriptContext*>(&ctx)) {
        tail = open->rangeTail();
    }
    item.kind = ast::SliceItem::Kind::Range;
    if (tail != nullptr) {
        if (tail->stop != nullptr) item.stop = expr(tail->stop);
        if (tail->step != nullptr) item.step = expr(tail->step);
    }
    return item;
}

ast::ExprPtr AstBuilder::intLiteral(antlr4::Token* token) {
    std::string digits = token->getText();
    int base = 10;
    if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
        base = 16;
        digits = digits.substr(2);
    }
    int64_t value = 0;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
    if (error != std::errc() || end != digits.data() + digits.size()) {
        diagnostics_.error(loc(token),
                           fmt::format("integer literal '{}' is too large (the largest is {})",
                                       token->getText(), std::numeric_limits<int64_t>::max()));
        return placeholder(loc(token));
    }
    return make(loc(token), ast::IntLit{value});
}

ast::ExprPtr AstBuilder::floatLiteral(antlr4::Token* token) {
    std::string literal = token->getText();
    double value = 0;
    auto [end, error] = std::from_chars(literal.data(), literal.data() + literal.size(), value);
    if (error == std::errc::result_out_of_range) {
        // from_chars reports underflow and overflow alike; strtod tells them apart.
        value = std::strtod(literal.c_str(), nullptr);
        if (std::isinf(value)) {
            diagnostics_.error(loc(token),
                               fmt::format("floating-point literal '{}' is too large", literal));
            return placeholder(loc(token));
        }
    }
    return make(loc(token), ast::FloatLit{value, literal});
}

ast::ExprPtr AstBuilder::stringLiteral(antlr4::Token* token) {
    std::string quoted = token->getText();
    std::string_view body = std::string_view(quoted).substr(1, quoted.size() - 2);
    std::string value;
    for (size_t i = 0; i < body.size(); ++i) {
        if (body[i] != '\\') {
            value += body[i];
            continue;
        }
        char escaped = i + 1 < body.size() ? body[i + 1] : '\\';
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
        case '\\':
            value += '\\';
            break;
        case '"':
            value += '"';
            break;
        default: {
            // The location of the backslash: the opening quote plus the code points before it.
            SourceLoc at = locator_.inside(token, 1 + codePointCount(body.substr(0, i)));
            size_t length = 1;
            while (i + 1 + length < body.size() &&
                   (static_cast<unsigned char>(body[i + 1 + length]) & 0xC0) == 0x80)
                ++length;
            diagnostics_.error(at, fmt::format("unknown escape sequence '\\{}' in string literal",
                                               body.substr(i + 1, length)));
            break;
        }
        }
        ++i;
    }
    return make(loc(token), ast::StringLit{std::move(value)});
}

} // namespace

std::unique_ptr<ast::Program> buildAst(AneParser::ProgramContext& tree, const TokenLocator& locator,
                                       DiagnosticEngine& diagnostics) {
    return AstBuilder(locator, diagnostics).program(tree);
}

} // namespace anec::frontend
