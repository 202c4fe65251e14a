#pragma once
// Readable syntax errors for ANTLR parsers, shared by the .ane parser and the MIL reader. ANTLR's
// own messages ("mismatched input 'x' expecting {...}") are replaced by what a SyntaxDialect says
// ("expected ')' but found 'x'"); lexical errors come from error tokens of the grammar. ANTLR's
// recovery can cascade, so only the first error of each scope (a statement, a declaration) is
// reported.
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <vector>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wattributes"
#include "antlr4-runtime.h"
#pragma GCC diagnostic pop

#include "frontend/source_positions.hpp"
#include "support/diagnostics.hpp"

namespace anec::frontend {

enum class LexicalError { None, BadCharacter, UnterminatedString, UnterminatedComment };

// Token-set helpers for the dialects' "expected ..." wording.
inline bool containsAll(const std::set<size_t>& set, std::initializer_list<size_t> types) {
    for (size_t t : types)
        if (!set.count(t)) return false;
    return true;
}
inline void eraseAll(std::set<size_t>& set, std::initializer_list<size_t> types) {
    for (size_t t : types)
        set.erase(t);
}

// What one grammar's tokens and rules mean for error reporting.
class SyntaxDialect {
  public:
    virtual ~SyntaxDialect() = default;

    // Which lexical error a (hidden-channel) token type stands for, if any.
    virtual LexicalError lexicalError(size_t tokenType) const = 0;
    // Rules holding a sequence of scopes (a block, the program): stray tokens after a broken
    // scope belong to it.
    virtual bool isSequenceRule(size_t ruleIndex) const = 0;
    // Rules of which only the first syntax error is reported (statements, declarations).
    virtual bool isScopeRule(size_t ruleIndex) const = 0;
    // The outermost scopes: a lexical error poisons the rest of the one it is in.
    virtual bool isTopLevelRule(size_t ruleIndex) const = 0;
    // Tokens that can only begin a scope (`let`, `func`): a scope starting with one is a fresh
    // start, and error recovery never deletes one.
    virtual bool startsScope(size_t tokenType) const = 0;
    // The token closing a sequence ('}'); error recovery never deletes it either.
    virtual bool closesSequence(size_t tokenType) const = 0;
    // Punctuation: a missing one at the end of a line is reported there, not on the next line.
    virtual bool isPunctuation(size_t tokenType) const = 0;
    // The message for a parse error at `found` where one of `expected` could have come, such as
    // "expected ')' but found 'x'".
    virtual std::string expectedMessage(antlr4::Parser& parser, const antlr4::Token* found,
                                        const antlr4::misc::IntervalSet& expected) const = 0;
};

class SyntaxErrorSink {
  public:
    SyntaxErrorSink(DiagnosticEngine& diagnostics, const TokenLocator& locator,
                    const SyntaxDialect& dialect)
        : diagnostics_(diagnostics), locator_(locator), dialect_(dialect) {}

    // Reports the error tokens of a fully lexed stream (bad characters, unterminated strings
    // and comments). Call before parsing.
    void reportLexicalErrors(antlr4::CommonTokenStream& tokens);
    // Reports a parse error found at `token` unless it is a consequence of an earlier error.
    // The diagnostic points at `loc` when it is valid, else at `token`.
    void reportSyntaxError(antlr4::Parser& parser, antlr4::Token* token, std::string message,
                           SourceLoc loc = {});

    const TokenLocator& locator() const { return locator_; }
    const SyntaxDialect& dialect() const { return dialect_; }
    // Lexical and syntax errors, including the ones suppressed as consequences.
    bool hasErrors() const { return errorCount_ > 0; }

  private:
    bool followsLexicalError(antlr4::Parser& parser, antlr4::Token* token) const;
    // Whether an error at `token` in `context` is a consequence of an earlier one. Records the
    // scope as failed.
    bool isConsequence(const antlr4::ParserRuleContext* context, const antlr4::Token* token);

    DiagnosticEngine& diagnostics_;
    const TokenLocator& locator_;
    const SyntaxDialect& dialect_;
    std::optional<size_t> lastErrorToken_; // token index of the latest syntax error
    std::set<const antlr4::ParserRuleContext*> failedScopes_;
    std::vector<size_t> lexicalErrorTokens_; // token indices, ascending
    size_t errorCount_ = 0;
};

// Recovers like ANTLR's default strategy but reports through a SyntaxErrorSink in the words of
// its dialect.
class SyntaxErrorStrategy : public antlr4::DefaultErrorStrategy {
  public:
    explicit SyntaxErrorStrategy(SyntaxErrorSink& sink) : sink_(sink) {}

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
// "a", "a or b", "a, b or c".
std::string joinAlternatives(const std::vector<std::string>& items);
// The literal spelling of a token type ("')'"), or its symbolic name when it has none.
std::string tokenSpelling(size_t type, const antlr4::dfa::Vocabulary& vocabulary);

} // namespace anec::frontend
