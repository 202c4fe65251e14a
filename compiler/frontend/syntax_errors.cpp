#include "frontend/syntax_errors.hpp"

#include <algorithm>
#include <initializer_list>

#include "fmt/format.h"
#include "frontend/antlr.hpp"

namespace anec::frontend {

using grammar::AneParser;

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

std::string describeLexicalError(const antlr4::Token* token, const TokenLocator& locator,
                                 SourceLoc loc) {
    switch (token->getType()) {
    case AneParser::UNTERMINATED_STRING:
        return "unterminated string literal";
    case AneParser::UNTERMINATED_COMMENT:
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

bool containsAll(const std::set<size_t>& set, std::initializer_list<size_t> types) {
    return std::all_of(types.begin(), types.end(), [&](size_t t) { return set.count(t) > 0; });
}

void eraseAll(std::set<size_t>& set, std::initializer_list<size_t> types) {
    for (size_t t : types)
        set.erase(t);
}

std::string symbolName(size_t type, const antlr4::dfa::Vocabulary& vocabulary) {
    switch (type) {
    case antlr4::Token::EOF:
        return "end of file";
    case AneParser::IDENT:
        return "a name";
    case AneParser::INT:
        return "an integer";
    case AneParser::FLOAT:
        return "a number";
    case AneParser::STRING:
        return "a string";
    case AneParser::DTYPE:
        return "a type such as fp16";
    default:
        break;
    }
    std::string literal = vocabulary.getLiteralName(type);
    return literal.empty() ? vocabulary.getDisplayName(type) : literal;
}

std::string joinAlternatives(const std::vector<std::string>& items) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += i + 1 == items.size() ? " or " : ", ";
        out += items[i];
    }
    return out;
}

const antlr4::RuleContext* enclosingRule(const antlr4::RuleContext* context,
                                         std::initializer_list<size_t> rules) {
    for (const antlr4::RuleContext* c = context; c != nullptr;
         c = dynamic_cast<const antlr4::RuleContext*>(c->parent)) {
        if (std::find(rules.begin(), rules.end(), c->getRuleIndex()) != rules.end()) return c;
    }
    return nullptr;
}

// Keywords that can only begin a declaration or a statement.
bool startsFresh(size_t type) {
    switch (type) {
    case AneParser::CONST:
    case AneParser::WEIGHT:
    case AneParser::FN:
    case AneParser::KERNEL:
    case AneParser::LET:
    case AneParser::RETURN:
        return true;
    default:
        return false;
    }
}

bool isReservedWord(size_t type) {
    switch (type) {
    case AneParser::CONST:
    case AneParser::WEIGHT:
    case AneParser::FN:
    case AneParser::KERNEL:
    case AneParser::LET:
    case AneParser::RETURN:
    case AneParser::KW_TRUE:
    case AneParser::KW_FALSE:
    case AneParser::DTYPE:
        return true;
    default:
        return false;
    }
}

// At the callee of `weight W: T = source(...)`.
bool isWeightSourcePosition(antlr4::Parser* parser) {
    antlr4::ParserRuleContext* context = parser->getContext();
    return context != nullptr && context->getRuleIndex() == AneParser::RuleCall &&
           context->parent != nullptr &&
           dynamic_cast<AneParser::WeightDeclContext*>(context->parent) != nullptr &&
           context->children.empty();
}

// Where to point when something is missing at the end of a line: the next line's first token
// (or the end of the file) is not where the author has to add it; the end of the previous token
// is.
SourceLoc missingTokenLocation(antlr4::Parser* parser, const antlr4::Token* found,
                               const antlr4::misc::IntervalSet& expected,
                               const TokenLocator& locator) {
    const antlr4::Token* previous = parser->getTokenStream()->LT(-1);
    if (found == nullptr || previous == nullptr) return {};
    bool atEnd = found->getType() == antlr4::Token::EOF;
    bool onlyPunctuation = true;
    for (ssize_t type : expected.toList())
        onlyPunctuation &= type >= static_cast<ssize_t>(AneParser::ELLIPSIS) &&
                           type <= static_cast<ssize_t>(AneParser::RBRACE);
    bool startsSomethingElse =
        startsFresh(found->getType()) || found->getType() == AneParser::RBRACE;
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

std::string describeExpected(const antlr4::misc::IntervalSet& expected,
                             const antlr4::dfa::Vocabulary& vocabulary) {
    std::set<size_t> remaining;
    for (ssize_t type : expected.toList())
        if (type >= 0 || type == static_cast<ssize_t>(antlr4::Token::EOF))
            remaining.insert(static_cast<size_t>(type));

    std::vector<std::string> items;
    if (containsAll(remaining,
                    {AneParser::CONST, AneParser::WEIGHT, AneParser::FN, AneParser::KERNEL})) {
        items.push_back("a declaration (const, weight, fn or kernel)");
        eraseAll(remaining, {AneParser::CONST, AneParser::WEIGHT, AneParser::FN, AneParser::KERNEL,
                             AneParser::SEMI, antlr4::Token::EOF});
    }
    if (containsAll(remaining, {AneParser::LET, AneParser::RETURN})) {
        items.push_back("a statement");
        eraseAll(remaining, {AneParser::LET, AneParser::RETURN, AneParser::IDENT, AneParser::SEMI});
    }
    if (containsAll(remaining, {AneParser::INT, AneParser::IDENT, AneParser::LPAREN})) {
        items.push_back("an expression");
        eraseAll(remaining, {AneParser::MINUS, AneParser::LPAREN, AneParser::LBRACK, AneParser::INT,
                             AneParser::FLOAT, AneParser::STRING, AneParser::KW_TRUE,
                             AneParser::KW_FALSE, AneParser::DTYPE, AneParser::IDENT});
    }
    // After a complete expression every operator could follow; naming them all hides the
    // tokens that actually end the construct (',' or ')').
    std::set<size_t> operators = {
        AneParser::STAR,  AneParser::SLASH, AneParser::PERCENT, AneParser::AT,    AneParser::PLUS,
        AneParser::MINUS, AneParser::LT,    AneParser::LE,      AneParser::GT,    AneParser::GE,
        AneParser::EQ,    AneParser::NE,    AneParser::DOT,     AneParser::LBRACK};
    bool hadOperator = false;
    for (size_t op : operators)
        hadOperator |= remaining.erase(op) > 0;
    if (hadOperator && remaining.empty() && items.empty()) items.push_back("an operator");
    for (size_t type : remaining)
        items.push_back(symbolName(type, vocabulary));
    return joinAlternatives(items);
}

void SyntaxErrorSink::reportLexicalErrors(antlr4::CommonTokenStream& tokens) {
    size_t reported = 0;
    const antlr4::Token* previous = nullptr;
    for (antlr4::Token* token : tokens.getTokens()) {
        size_t type = token->getType();
        bool isError = type == AneParser::BAD_CHAR || type == AneParser::UNTERMINATED_STRING ||
                       type == AneParser::UNTERMINATED_COMMENT;
        if (!isError) {
            previous = token;
            continue;
        }
        lexicalErrorTokens_.push_back(token->getTokenIndex());
        ++errorCount_;
        // A run of bad characters ("$$$", a pasted binary) is one error.
        bool continuesRun = previous != nullptr && previous->getType() == AneParser::BAD_CHAR &&
                            type == AneParser::BAD_CHAR &&
                            previous->getStopIndex() + 1 == token->getStartIndex();
        previous = token;
        if (continuesRun || reported >= kMaxLexicalErrors) continue;
        SourceLoc loc = locator_.at(token);
        diagnostics_.error(loc, describeLexicalError(token, locator_, loc));
        ++reported;
    }
}

bool SyntaxErrorSink::followsLexicalError(antlr4::Parser& parser, antlr4::Token* token) const {
    if (lexicalErrorTokens_.empty() || token == nullptr) return false;
    // A lexical error poisons the rest of its declaration: the tokens the parser saw there no
    // longer mean what the author wrote.
    size_t from = 0;
    if (auto* decl = enclosingRule(parser.getContext(), {AneParser::RuleDecl});
        decl != nullptr && static_cast<const antlr4::ParserRuleContext*>(decl)->start != nullptr)
        from = static_cast<const antlr4::ParserRuleContext*>(decl)->start->getTokenIndex();
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
    // Between statements (or declarations), stray tokens after a broken one belong to it.
    size_t rule = context->getRuleIndex();
    if (rule == AneParser::RuleBlock || rule == AneParser::RuleProgram) {
        for (auto child = context->children.rbegin(); child != context->children.rend(); ++child) {
            auto* previous = dynamic_cast<const antlr4::ParserRuleContext*>(*child);
            if (previous == nullptr) continue;
            if (failedScopes_.count(previous) > 0) return true;
            break;
        }
    }
    auto* scope = dynamic_cast<const antlr4::ParserRuleContext*>(
        enclosingRule(context, {AneParser::RuleStmt, AneParser::RuleDecl}));
    if (scope == nullptr || scope->start == nullptr)
        return token != nullptr && lastErrorToken_.has_value() &&
               token->getTokenIndex() <= *lastErrorToken_;
    bool alreadyFailed = !failedScopes_.insert(scope).second;
    // After an error ANTLR resynchronises, often at the offending token itself. A statement or
    // declaration that starts with a keyword is a fresh start: only its own first error counts.
    // Any other (`name = ...`) that began at or before the last error is treated as part of it.
    if (startsFresh(scope->start->getType())) return alreadyFailed;
    return alreadyFailed ||
           (lastErrorToken_.has_value() && scope->start->getTokenIndex() <= *lastErrorToken_);
}

void AneErrorStrategy::reportExpected(antlr4::Parser* parser, antlr4::Token* found,
                                      const antlr4::misc::IntervalSet& expected) {
    std::string what = describeExpected(expected, parser->getVocabulary());
    bool wantsName = expected.contains(static_cast<size_t>(AneParser::IDENT)) &&
                     !expected.contains(static_cast<size_t>(AneParser::INT));
    if (wantsName && expected.size() == 1 && isWeightSourcePosition(parser))
        what = "a weight source (random(...), npy(\"file.npy\"), zeros() or ones())";
    std::string message =
        what.empty() ? "unexpected " + describeToken(found) : "expected " + what + " but found ";
    if (!what.empty()) {
        if (wantsName && found != nullptr && isReservedWord(found->getType()))
            message += "reserved word ";
        message += describeToken(found);
    }
    sink_.reportSyntaxError(*parser, found, std::move(message),
                            missingTokenLocation(parser, found, expected, sink_.locator()));
}

void AneErrorStrategy::reportNoViableAlternative(antlr4::Parser* parser,
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

void AneErrorStrategy::reportInputMismatch(antlr4::Parser* parser,
                                           const antlr4::InputMismatchException& e) {
    reportExpected(parser, e.getOffendingToken(), e.getExpectedTokens());
}

void AneErrorStrategy::reportFailedPredicate(antlr4::Parser* parser,
                                             const antlr4::FailedPredicateException& e) {
    sink_.reportSyntaxError(*parser, e.getOffendingToken(),
                            "unexpected " + describeToken(e.getOffendingToken()));
}

void AneErrorStrategy::reportUnwantedToken(antlr4::Parser* parser) {
    if (inErrorRecoveryMode(parser)) return;
    beginErrorCondition(parser);
    reportExpected(parser, parser->getCurrentToken(), getExpectedTokens(parser));
}

void AneErrorStrategy::reportMissingToken(antlr4::Parser* parser) {
    if (inErrorRecoveryMode(parser)) return;
    beginErrorCondition(parser);
    reportExpected(parser, parser->getCurrentToken(), getExpectedTokens(parser));
}

antlr4::Token* AneErrorStrategy::singleTokenDeletion(antlr4::Parser* parser) {
    // Deleting the keyword that begins the next declaration or statement (or a closing '}')
    // would glue the following text onto the broken construct; stop in front of it instead.
    size_t next = parser->getInputStream()->LA(1);
    if (startsFresh(next) || next == AneParser::RBRACE) return nullptr;
    return DefaultErrorStrategy::singleTokenDeletion(parser);
}

} // namespace anec::frontend
