#pragma once
// Readable syntax errors for the .ane parser. ANTLR's own messages ("mismatched input 'x'
// expecting {...}") are replaced by "expected ')' but found 'x'"; lexical errors come from the
// error tokens of grammar/Ane.g4. ANTLR's recovery can cascade, so only the first error of each
// statement (or of each declaration, outside statements) is reported.
#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "frontend/antlr.hpp"
#include "frontend/source_positions.hpp"
#include "support/diagnostics.hpp"

namespace anec::frontend {

class SyntaxErrorSink {
  public:
    SyntaxErrorSink(DiagnosticEngine& diagnostics, const TokenLocator& locator)
        : diagnostics_(diagnostics), locator_(locator) {}

    // Reports the error tokens of a fully lexed stream (bad characters, unterminated strings
    // and comments). Call before parsing.
    void reportLexicalErrors(antlr4::CommonTokenStream& tokens);
    // Reports a parse error found at `token` unless it is a consequence of an earlier error.
    // The diagnostic points at `loc` when it is valid, else at `token`.
    void reportSyntaxError(antlr4::Parser& parser, antlr4::Token* token, std::string message,
                           SourceLoc loc = {});

    const TokenLocator& locator() const { return locator_; }
    // Lexical and syntax errors, including the ones suppressed as consequences.
    bool hasErrors() const { return errorCount_ > 0; }

  private:
    bool followsLexicalError(antlr4::Parser& parser, antlr4::Token* token) const;
    // Whether an error at `token` in `context` is a consequence of an earlier one. Records the
    // statement or declaration as failed.
    bool isConsequence(const antlr4::ParserRuleContext* context, const antlr4::Token* token);

    DiagnosticEngine& diagnostics_;
    const TokenLocator& locator_;
    std::optional<size_t> lastErrorToken_; // token index of the latest syntax error
    std::set<const antlr4::ParserRuleContext*> failedScopes_;
    std::vector<size_t> lexicalErrorTokens_; // token indices, ascending
    size_t errorCount_ = 0;
};

// Recovers like ANTLR's default strategy but reports through a SyntaxErrorSink.
class AneErrorStrategy : public antlr4::DefaultErrorStrategy {
  public:
    explicit AneErrorStrategy(SyntaxErrorSink& sink) : sink_(sink) {}

  protected:
    void reportNoViableAlternative(antlr4::Parser* parser,
                                   const antlr4::NoViableAltException& e) override;
    void reportInputMismatch(antlr4::Parser* parser,
                             const antlr4::InputMismatchException& e) override;
    void reportFailedPredicate(antlr4::Parser* parser,
                               const antlr4::FailedPredicateException& e) override;
    void reportUnwantedToken(antlr4::Parser* parser) override;
    void reportMissingToken(antlr4::Parser* parser) override;
    antlr4::Token* singleTokenDeletion(antlr4::Parser* parser) override;

  private:
    void reportExpected(antlr4::Parser* parser, antlr4::Token* found,
                        const antlr4::misc::IntervalSet& expected);

    SyntaxErrorSink& sink_;
};

// "'x'", "end of file", or a shortened token text.
std::string describeToken(const antlr4::Token* token);
// "')'", "',' or ')'", "an expression", "a statement or '}'", ...
std::string describeExpected(const antlr4::misc::IntervalSet& expected,
                             const antlr4::dfa::Vocabulary& vocabulary);

} // namespace anec::frontend
