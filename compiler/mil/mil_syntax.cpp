// parseMilSyntax: MIL text -> tokens (MilLexer) -> parse tree (MilParser) -> syntax tree.
#include "mil/mil_syntax.hpp"

#include <algorithm>
#include <exception>
#include <initializer_list>
#include <set>

#include "fmt/format.h"
#include "frontend/source_positions.hpp"
#include "frontend/syntax_error_reporting.hpp"
#include "mil/mil_antlr.hpp"
#include "mil/mil_ast_builder.hpp"

namespace anec::mil {

using grammar::MilParser;

using frontend::containsAll;
using frontend::eraseAll;

namespace {

bool isKeyword(size_t type) {
    switch (type) {
    case MilParser::PROGRAM:
    case MilParser::FUNC:
    case MilParser::BLOBFILE:
    case MilParser::KW_TRUE:
    case MilParser::KW_FALSE:
    case MilParser::KW_INF:
    case MilParser::KW_NAN:
        return true;
    default:
        return false;
    }
}

// Where a name is expected, it is a type at the start of a parameter or result and a variable
// name after it.
std::string nameKind(const antlr4::ParserRuleContext* context) {
    if (context == nullptr) return "a name";
    size_t rule = context->getRuleIndex();
    if (rule == MilParser::RuleType || rule == MilParser::RuleTypeArg) return "a type";
    if ((rule == MilParser::RuleParam || rule == MilParser::RuleResult ||
         rule == MilParser::RuleResults || rule == MilParser::RuleTypedValue) &&
        context->children.empty())
        return "a type";
    return "a name";
}

std::string symbolName(size_t type, const antlr4::dfa::Vocabulary& vocabulary,
                       const antlr4::ParserRuleContext* context) {
    switch (type) {
    case MilParser::IDENT:
        return nameKind(context);
    case MilParser::INT:
        return "an integer";
    case MilParser::FLOAT:
        return "a number";
    case MilParser::STRING:
        return "a string";
    default:
        return frontend::tokenSpelling(type, vocabulary);
    }
}

std::string describeExpected(const antlr4::misc::IntervalSet& expected, antlr4::Parser& parser) {
    std::set<size_t> remaining;
    for (ssize_t type : expected.toList())
        if (type >= 0 || type == static_cast<ssize_t>(antlr4::Token::EOF))
            remaining.insert(static_cast<size_t>(type));
    const antlr4::ParserRuleContext* context = parser.getContext();
    std::vector<std::string> items;
    if (containsAll(remaining, {MilParser::STRING, MilParser::INT, MilParser::IDENT})) {
        items.push_back("a value");
        eraseAll(remaining,
                 {MilParser::STRING, MilParser::INT, MilParser::FLOAT, MilParser::HEX,
                  MilParser::KW_INF, MilParser::KW_NAN, MilParser::PLUS, MilParser::MINUS,
                  MilParser::KW_TRUE, MilParser::KW_FALSE, MilParser::LBRACK, MilParser::LBRACE,
                  MilParser::LPAREN, MilParser::BLOBFILE, MilParser::IDENT});
    }
    if (containsAll(remaining, {MilParser::INT, MilParser::FLOAT, MilParser::HEX})) {
        items.push_back("a number");
        eraseAll(remaining, {MilParser::INT, MilParser::FLOAT, MilParser::HEX, MilParser::KW_INF,
                             MilParser::KW_NAN, MilParser::PLUS, MilParser::MINUS});
    }
    bool inFunctionBody = context != nullptr && context->getRuleIndex() == MilParser::RuleFunction;
    if (inFunctionBody && containsAll(remaining, {MilParser::IDENT, MilParser::LPAREN})) {
        items.push_back("a statement");
        eraseAll(remaining, {MilParser::IDENT, MilParser::LPAREN});
    }
    bool inArgument = context != nullptr && (context->getRuleIndex() == MilParser::RuleArgument ||
                                             context->getRuleIndex() == MilParser::RuleArgValue);
    if (inArgument && containsAll(remaining, {MilParser::IDENT, MilParser::LPAREN})) {
        items.push_back("a variable or a value");
        eraseAll(remaining,
                 {MilParser::IDENT, MilParser::LPAREN, MilParser::KW_TRUE, MilParser::KW_FALSE});
    }
    for (size_t type : remaining)
        items.push_back(symbolName(type, parser.getVocabulary(), context));
    return frontend::joinAlternatives(items);
}

class MilSyntaxDialect : public frontend::SyntaxDialect {
  public:
    frontend::LexicalError lexicalError(size_t type) const override {
        if (type == MilParser::BAD_CHAR) return frontend::LexicalError::BadCharacter;
        if (type == MilParser::UNTERMINATED_STRING)
            return frontend::LexicalError::UnterminatedString;
        return frontend::LexicalError::None;
    }
    bool isSequenceRule(size_t rule) const override {
        return rule == MilParser::RuleProgram || rule == MilParser::RuleFunction;
    }
    bool isScopeRule(size_t rule) const override {
        return rule == MilParser::RuleStatement || rule == MilParser::RuleFunction ||
               rule == MilParser::RuleHeader;
    }
    bool isTopLevelRule(size_t rule) const override {
        return rule == MilParser::RuleStatement || rule == MilParser::RuleHeader;
    }
    bool startsScope(size_t type) const override {
        return type == MilParser::FUNC || type == MilParser::PROGRAM;
    }
    bool closesSequence(size_t type) const override { return type == MilParser::RBRACE; }
    bool isPunctuation(size_t type) const override {
        return type >= MilParser::ARROW && type <= MilParser::QUESTION;
    }
    std::string expectedMessage(antlr4::Parser& parser, const antlr4::Token* found,
                                const antlr4::misc::IntervalSet& expected) const override {
        std::string what = describeExpected(expected, parser);
        if (what.empty()) return "unexpected " + frontend::describeToken(found);
        bool wantsName = expected.contains(static_cast<size_t>(MilParser::IDENT));
        std::string message = "expected " + what + " but found ";
        if (wantsName && found != nullptr && isKeyword(found->getType()))
            message += "reserved word ";
        return message + frontend::describeToken(found);
    }
};

const MilSyntaxDialect& milSyntaxDialect() {
    static const MilSyntaxDialect dialect;
    return dialect;
}

// Thrown when the input nests deeper than kMaxMilNesting.
struct NestingTooDeep {
    antlr4::Token* token;
};

class DepthLimitedParser : public MilParser {
  public:
    using MilParser::MilParser;

    void enterRule(antlr4::ParserRuleContext* context, size_t state, size_t ruleIndex) override {
        size_t depth = 0;
        for (antlr4::tree::ParseTree* c = context; c != nullptr; c = c->parent)
            ++depth;
        if (depth > kMaxMilNesting) throw NestingTooDeep{getCurrentToken()};
        MilParser::enterRule(context, state, ruleIndex);
    }
};

} // namespace

std::unique_ptr<syntax::Program> parseMilSyntax(uint32_t file, DiagnosticEngine& diagnostics) {
    size_t errorsBefore = diagnostics.errorCount();
    frontend::TokenLocator locator(diagnostics.sources(), file);
    frontend::SyntaxErrorSink sink(diagnostics, locator, milSyntaxDialect());

    // The ANTLR runtime throws on malformed UTF-8; sanitising keeps one code point per byte.
    std::string text = frontend::sanitizeUtf8(diagnostics.sources().text(file));
    antlr4::ANTLRInputStream input(text);
    grammar::MilLexer lexer(&input);
    lexer.removeErrorListeners(); // cannot fail: bad input becomes error tokens
    antlr4::CommonTokenStream tokens(&lexer);
    DepthLimitedParser parser(&tokens);
    parser.removeErrorListeners();
    parser.setErrorHandler(std::make_shared<frontend::SyntaxErrorStrategy>(sink));

    std::unique_ptr<syntax::Program> program;
    try {
        tokens.fill();
        sink.reportLexicalErrors(tokens);
        MilParser::ProgramContext* tree = parser.program();
        if (sink.hasErrors() || tree == nullptr) return nullptr;
        program = buildMilAst(*tree, locator, diagnostics);
    } catch (const NestingTooDeep& e) {
        diagnostics.error(
            locator.at(e.token),
            fmt::format("MIL text is nested too deeply (more than {} levels)", kMaxMilNesting));
        return nullptr;
    } catch (const std::exception& e) {
        // Not expected from any input; reported rather than crashing the compiler.
        diagnostics.error(SourceLoc{file, 0, 0},
                          fmt::format("internal MIL parser error: {}", e.what()));
        return nullptr;
    }
    if (diagnostics.errorCount() > errorsBefore) return nullptr;
    return program;
}

} // namespace anec::mil
