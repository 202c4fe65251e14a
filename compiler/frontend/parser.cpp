// parseAne: .ane text -> tokens (AneLexer) -> parse tree (AneParser) -> AST (ast_builder).
#include <exception>

#include "fmt/format.h"
#include "frontend/antlr.hpp"
#include "frontend/ast_builder.hpp"
#include "frontend/frontend.hpp"
#include "frontend/source_positions.hpp"
#include "frontend/syntax_errors.hpp"

namespace anec::frontend {

namespace {

// Thrown when expressions nest deeper than kMaxExpressionNesting, before the recursive-descent
// parser can exhaust the stack.
struct NestingTooDeep {
    antlr4::Token* token;
};

class DepthLimitedParser : public grammar::AneParser {
  public:
    using grammar::AneParser::AneParser;

    void enterRule(antlr4::ParserRuleContext* context, size_t state, size_t ruleIndex) override {
        checkDepth(context);
        grammar::AneParser::enterRule(context, state, ruleIndex);
    }
    void enterRecursionRule(antlr4::ParserRuleContext* context, size_t state, size_t ruleIndex,
                            int precedence) override {
        checkDepth(context);
        grammar::AneParser::enterRecursionRule(context, state, ruleIndex, precedence);
    }

  private:
    void checkDepth(antlr4::ParserRuleContext* context) {
        size_t nesting = 0;
        for (antlr4::tree::ParseTree* c = context; c != nullptr; c = c->parent) {
            auto* rule = dynamic_cast<antlr4::RuleContext*>(c);
            if (rule != nullptr && rule->getRuleIndex() == RuleExpr) ++nesting;
        }
        if (nesting > kMaxExpressionNesting) throw NestingTooDeep{getCurrentToken()};
    }
};

std::string nestingMessage() {
    return fmt::format("expression is nested too deeply (more than {} levels)",
                       kMaxExpressionNesting);
}

} // namespace

std::unique_ptr<ast::Program> parseAne(uint32_t file, DiagnosticEngine& diagnostics) {
    size_t errorsBefore = diagnostics.errorCount();
    TokenLocator locator(diagnostics.sources(), file);
    SyntaxErrorSink sink(diagnostics, locator, aneSyntaxDialect());

    // The ANTLR runtime throws on malformed UTF-8; sanitising keeps one code point per byte.
    std::string text = sanitizeUtf8(diagnostics.sources().text(file));
    antlr4::ANTLRInputStream input(text);
    grammar::AneLexer lexer(&input);
    lexer.removeErrorListeners(); // cannot fail: bad input becomes error tokens
    antlr4::CommonTokenStream tokens(&lexer);
    DepthLimitedParser parser(&tokens);
    parser.removeErrorListeners();
    parser.setErrorHandler(std::make_shared<SyntaxErrorStrategy>(sink));

    std::unique_ptr<ast::Program> program;
    try {
        tokens.fill();
        sink.reportLexicalErrors(tokens);
        grammar::AneParser::ProgramContext* tree = parser.program();
        if (sink.hasErrors() || tree == nullptr) return nullptr;
        program = buildAst(*tree, locator, diagnostics);
    } catch (const NestingTooDeep& e) {
        diagnostics.error(locator.at(e.token), nestingMessage());
        return nullptr;
    } catch (const std::exception& e) {
        // Not expected from any input; reported rather than crashing the compiler.
        diagnostics.error(SourceLoc{file, 0, 0},
                          fmt::format("internal parser error: {}", e.what()));
        return nullptr;
    }
    if (diagnostics.errorCount() > errorsBefore) return nullptr;
    return program;
}

} // namespace anec::frontend
