#include "frontend/syntax_error_reporting.hpp"

#include <algorithm>
#include <initializer_list>

#include "fmt/format.h"

namespace anec::frontend {

namespace {

// More lexical errors than this are not worth reading (a binary file, say); the parse fails
// either way.
constexpr size_t kMaxLexicalErrors = 20;

size_t codePointCount(std::string_view text) {
    size_t count = 0;
    for (char c : text)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
    return count;
}

std::string quoteCharacter(std::string_view text) {
    if (text.size() == 1) {
        unsigned char c = static_cast<unsigned char>(text[0]);
        if (c < 0x20 || c == 0x7F) return fmt::format("U+{:04X}", c);
    }
    return "'" + std::string(text) + "'";
}

std::string describeLexicalError(LexicalError kind, const antlr4::Token* token,
                                 const TokenLocator& locator, SourceLoc loc) {
    switch (kind) {
    case LexicalError::UnterminatedString:
        return "unterminated string literal";
    case LexicalError::UnterminatedComment:
        return "unterminated block comment";
    default:
        break;
    }
    // The ANTLR input was sanitised: U+FFFD may stand for a malformed byte of the original.
    std::string_view original = locator.restOfLine(loc);
    if (token->getText() == "\xEF\xBF\xBD" && !original.empty() &&
        utf8SequenceLength(original, 0) == 0)
        return fmt::format("invalid UTF-8 byte 0x{:02X}", static_cast<unsigned char>(original[0]));
    return "unexpected character " + quoteCharacter(token->getText());
}

template <typename Predicate>
const antlr4::ParserRuleContext* enclosingRule(const antlr4::RuleContext* context,
                                               Predicate matches) {
    for (const antlr4::RuleContext* c = context; c != nullptr;
         c = dynamic_cast<const antlr4::RuleContext*>(c->parent)) {
        if (matches(c->getRuleIndex())) return dynamic_cast<const antlr4::ParserRuleContext*>(c);
    }
    return nullptr;
}

// Where to point when something is missing at the end of a line: the next line's first token
// (or the end of the file) is not where the author has to add it; the end of the previous token
// is.
SourceLoc missingTokenLocation(antlr4::Parser* parser, const antlr4::Token* found,
                               const antlr4::misc::IntervalSet& expected,
                               const TokenLocator& locator, const SyntaxDialect& dialect) {
    const antlr4::Token* previous = parser->getTokenStream()->LT(-1);
    if (found == nullptr || previous == nullptr) return {};
    bool atEnd = found->getType() == antlr4::Token::EOF;
    bool onlyPunctuation = true;
    for (ssize_t type : expected.toList())
        onlyPunctuation &= type >= 0 && dialect.isPunctuation(static_cast<size_t>(type));
    bool startsSomethingElse =
        dialect.startsScope(found->getType()) || dialect.closesSequence(found->getType());
    bool nextLine = found->getLine() > previous->getLine();
    if (!atEnd && !(nextLine && (onlyPunctuation || startsSomethingElse))) return {};
    return locator.inside(previous, codePointCount(previous->getText()));
}

} // namespace

std::string describeToken(const antlr4::Token* token) {
    if (token == nullptr || token->getType() == antlr4::Token::EOF) return "end of file";
    std::string text = token->getText();
    constexpr size_t kMaxShown = 24;
    if (text.size() > kMaxShown) {
        size_t cut = kMaxShown;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
            --cut;
        text = text.substr(0, cut) + "...";
    }
    return "'" + text + "'";
}

std::string joinAlternatives(const std::vector<std::string>& items) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += i + 1 == items.size() ? " or " : ", ";
        out += items[i];
    }
    return out;
}

std::string tokenSpelling(size_t type, const antlr4::dfa::Vocabulary& vocabulary) {
    if (type == antlr4::Token::EOF) return "end of file";
    std::string literal = vocabulary.getLiteralName(type);
    return literal.empty() ? vocabulary.getDisplayName(type) : literal;
}

void SyntaxErrorSink::reportLexicalErrors(antlr4::CommonTokenStream& tokens) {
    size_t reported = 0;
    const antlr4::Token* previous = nullptr;
    LexicalError previousKind = LexicalError::None;
    for (antlr4::Token* token : tokens.getTokens()) {
        LexicalError kind = dialect_.lexicalError(token->getType());
        if (kind == LexicalError::None) {
            previous = token;
            previousKind = kind;
            continue;
        }
        lexicalErrorTokens_.push_back(token->getTokenIndex());
        ++errorCount_;
        // A run of bad characters ("$$$", a pasted binary) is one error.
        bool continuesRun = previous != nullptr && previousKind == LexicalError::BadCharacter &&
                            kind == LexicalError::BadCharacter &&
                            previous->getStopIndex() + 1 == token->getStartIndex();
        previous = token;
        previousKind = kind;
        if (continuesRun || reported >= kMaxLexicalErrors) continue;
        SourceLoc loc = locator_.at(token);
        diagnostics_.error(loc, describeLexicalError(kind, token, locator_, loc));
        ++reported;
    }
}

bool SyntaxErrorSink::followsLexicalError(antlr4::Parser& parser, antlr4::Token* token) const {
    if (lexicalErrorTokens_.empty() || token == nullptr) return false;
    // A lexical error poisons the rest of its top-level scope: the tokens the parser saw there
    // no longer mean what the author wrote.
    size_t from = 0;
    auto isTopLevel = [&](size_t rule) { return dialect_.isTopLevelRule(rule); };
    if (auto* scope = enclosingRule(parser.getContext(), isTopLevel);
        scope != nullptr && scope->start != nullptr)
        from = scope->start->getTokenIndex();
    else if (antlr4::Token* before = parser.getTokenStream()->LT(-1); before != nullptr)
        from = before->getTokenIndex();
    size_t to = token->getTokenIndex();
    auto first = std::lower_bound(lexicalErrorTokens_.begin(), lexicalErrorTokens_.end(), from);
    return first != lexicalErrorTokens_.end() && *first <= to;
}

void SyntaxErrorSink::reportSyntaxError(antlr4::Parser& parser, antlr4::Token* token,
                                        std::string message, SourceLoc loc) {
    ++errorCount_;
    bool consequence = isConsequence(parser.getContext(), token);
    if (token != nullptr)
        lastErrorToken_ = std::max(lastErrorToken_.value_or(0), token->getTokenIndex());
    if (consequence || followsLexicalError(parser, token)) return;
    diagnostics_.error(loc.valid() ? loc : locator_.at(token), std::move(message));
}

bool SyntaxErrorSink::isConsequence(const antlr4::ParserRuleContext* context,
                                    const antlr4::Token* token) {
    if (context == nullptr) return false;
    // Between scopes, stray tokens after a broken one belong to it.
    if (dialect_.isSequenceRule(context->getRuleIndex())) {
        for (auto child = context->children.rbegin(); child != context->children.rend(); ++child) {
            auto* previous = dynamic_cast<const antlr4::ParserRuleContext*>(*child);
            if (previous == nullptr) continue;
            if (failedScopes_.count(previous) > 0) return true;
            break;
        }
    }
    auto isScope = [&](size_t rule) { return dialect_.isScopeRule(rule); };
    const antlr4::ParserRuleContext* scope = enclosingRule(context, isScope);
    if (scope == nullptr || scope->start == nullptr)
        return token != nullptr && lastErrorToken_.has_value() &&
               token->getTokenIndex() <= *lastErrorToken_;
    bool alreadyFailed = !failedScopes_.insert(scope).second;
    // After an error ANTLR resynchronises, often at the offending token itself. A scope that
    // starts with a keyword is a fresh start: only its own first error counts. Any other
    // (`name = ...`) that began at or before the last error is treated as part of it.
    if (dialect_.startsScope(scope->start->getType())) return alreadyFailed;
    return alreadyFailed ||
           (lastErrorToken_.has_value() && scope->start->getTokenIndex() <= *lastErrorToken_);
}

void SyntaxErrorStrategy::reportExpected(antlr4::Parser* parser, antlr4::Token* found,
                                         const antlr4::misc::IntervalSet& expected) {
    std::string message = sink_.dialect().expectedMessage(*parser, found, expected);
    sink_.reportSyntaxError(
        *parser, found, std::move(message),
        missingTokenLocation(parser, found, expected, sink_.locator(), sink_.dialect()));
}

void SyntaxErrorStrategy::reportNoViableAlternative(antlr4::Parser* parser,
                                                    const antlr4::NoViableAltException& e) {
    antlr4::Token* found = e.getOffendingToken();
    // The expected set describes the decision's first token; past it, only say what is wrong.
    if (e.getStartToken() != nullptr && found != nullptr &&
        e.getStartToken()->getTokenIndex() != found->getTokenIndex()) {
        sink_.reportSyntaxError(*parser, found, "unexpected " + describeToken(found));
        return;
    }
    reportExpected(parser, found, parser->getExpectedTokens());
}

void SyntaxErrorStrategy::reportInputMismatch(antlr4::Parser* parser,
                                              const antlr4::InputMismatchException& e) {
    reportExpected(parser, e.getOffendingToken(), e.getExpectedTokens());
}

void SyntaxErrorStrategy::reportFailedPredicate(antlr4::Parser* parser,
                                                const antlr4::FailedPredicateException& e) {
    sink_.reportSyntaxError(*parser, e.getOffendingToken(),
                            "unexpected " + describeToken(e.getOffendingToken()));
}

void SyntaxErrorStrategy::reportUnwantedToken(antlr4::Parser* parser) {
    if (inErrorRecoveryMode(parser)) return;
    beginErrorCondition(parser);
    reportExpected(parser, parser->getCurrentToken(), getExpectedTokens(parser));
}

void SyntaxErrorStrategy::reportMissingToken(antlr4::Parser* parser) {
    if (inErrorRecoveryMode(parser)) return;
    beginErrorCondition(parser);
    reportExpected(parser, parser->getCurrentToken(), getExpectedTokens(parser));
}

antlr4::Token* SyntaxErrorStrategy::singleTokenDeletion(antlr4::Parser* parser) {
    // Deleting the keyword that begins the next scope (or a closing '}') would glue the
    // following text onto the broken construct; stop in front of it instead.
    size_t next = parser->getInputStream()->LA(1);
    if (sink_.dialect().startsScope(next) || sink_.dialect().closesSequence(next)) return nullptr;
    return DefaultErrorStrategy::singleTokenDeletion(parser);
}

} // namespace anec::frontend
