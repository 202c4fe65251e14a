#include "frontend/syntax_errors.hpp"

#include <algorithm>
#include <initializer_list>
#include <set>
#include <vector>

namespace anec::frontend {

using grammar::AneParser;

namespace {

std::string symbolName(size_t type, const antlr4::dfa::Vocabulary& vocabulary) {
    switch (type) {
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
        return tokenSpelling(type, vocabulary);
    }
}

// Keywords that can only begin a declaration or a statement.
bool startsFresh(size_t type) {
    switch (type) {
    case AneParser::CONST:
    case AneParser::WEIGHT:
    case AneParser::DYNAMIC:
    case AneParser::FN:
    case AneParser::KERNEL:
    case AneParser::FUSE:
    case AneParser::LET:
    case AneParser::VAR:
    case AneParser::RETURN:
    case AneParser::FOR:
    case AneParser::ASSERT:
    case AneParser::IMPORT:
        return true;
    default:
        return false;
    }
}

bool isReservedWord(size_t type) {
    switch (type) {
    case AneParser::CONST:
    case AneParser::WEIGHT:
    case AneParser::DYNAMIC:
    case AneParser::FN:
    case AneParser::KERNEL:
    case AneParser::FUSE:
    case AneParser::AS:
    case AneParser::LET:
    case AneParser::VAR:
    case AneParser::RETURN:
    case AneParser::FOR:
    case AneParser::IN:
    case AneParser::ASSERT:
    case AneParser::IMPORT:
    case AneParser::FROM:
    case AneParser::KEEP:
    case AneParser::AND:
    case AneParser::OR:
    case AneParser::NOT:
    case AneParser::KW_TRUE:
    case AneParser::KW_FALSE:
    case AneParser::DTYPE:
        return true;
    default:
        return false;
    }
}

// At the callee of `weight W: T = source(...)`.
bool isWeightSourcePosition(antlr4::Parser& parser) {
    antlr4::ParserRuleContext* context = parser.getContext();
    return context != nullptr && context->getRuleIndex() == AneParser::RuleCall &&
           context->parent != nullptr &&
           dynamic_cast<AneParser::WeightDeclContext*>(context->parent) != nullptr &&
           context->children.empty();
}

class AneSyntaxDialect : public SyntaxDialect {
  public:
    LexicalError lexicalError(size_t type) const override {
        switch (type) {
        case AneParser::BAD_CHAR:
            return LexicalError::BadCharacter;
        case AneParser::UNTERMINATED_STRING:
            return LexicalError::UnterminatedString;
        case AneParser::UNTERMINATED_COMMENT:
            return LexicalError::UnterminatedComment;
        default:
            return LexicalError::None;
        }
    }
    bool isSequenceRule(size_t rule) const override {
        return rule == AneParser::RuleBlock || rule == AneParser::RuleProgram;
    }
    bool isScopeRule(size_t rule) const override {
        return rule == AneParser::RuleStmt || rule == AneParser::RuleDecl;
    }
    bool isTopLevelRule(size_t rule) const override { return rule == AneParser::RuleDecl; }
    bool startsScope(size_t type) const override { return startsFresh(type); }
    bool closesSequence(size_t type) const override { return type == AneParser::RBRACE; }
    bool isPunctuation(size_t type) const override {
        return type >= AneParser::ELLIPSIS && type <= AneParser::RBRACE;
    }

    std::string expectedMessage(antlr4::Parser& parser, const antlr4::Token* found,
                                const antlr4::misc::IntervalSet& expected) const override {
        std::string what = describeExpected(expected, parser.getVocabulary());
        bool wantsName = expected.contains(static_cast<size_t>(AneParser::IDENT)) &&
                         !expected.contains(static_cast<size_t>(AneParser::INT));
        if (wantsName && expected.size() == 1 && isWeightSourcePosition(parser))
            what = "a weight source (random(...), npy(\"file.npy\"), zeros() or ones())";
        if (what.empty()) return "unexpected " + describeToken(found);
        std::string message = "expected " + what + " but found ";
        if (wantsName && found != nullptr && isReservedWord(found->getType()))
            message += "reserved word ";
        return message + describeToken(found);
    }
};

} // namespace

const SyntaxDialect& aneSyntaxDialect() {
    static const AneSyntaxDialect dialect;
    return dialect;
}

std::string describeExpected(const antlr4::misc::IntervalSet& expected,
                             const antlr4::dfa::Vocabulary& vocabulary) {
    std::set<size_t> remaining;
    for (ssize_t type : expected.toList())
        if (type >= 0 || type == static_cast<ssize_t>(antlr4::Token::EOF))
            remaining.insert(static_cast<size_t>(type));

    std::vector<std::string> items;
    if (containsAll(remaining, {AneParser::CONST, AneParser::WEIGHT, AneParser::FN,
                                AneParser::KERNEL, AneParser::FUSE})) {
        items.push_back("a declaration (const, weight, fn, kernel, fuse, grad or train)");
        eraseAll(remaining, {AneParser::CONST, AneParser::WEIGHT, AneParser::DYNAMIC, AneParser::FN,
                             AneParser::KERNEL, AneParser::FUSE, AneParser::GRAD, AneParser::TRAIN,
                             AneParser::FOR, AneParser::ASSERT, AneParser::IMPORT, AneParser::SEMI,
                             antlr4::Token::EOF});
    }
    if (containsAll(remaining, {AneParser::LET, AneParser::RETURN})) {
        items.push_back("a statement");
        eraseAll(remaining, {AneParser::LET, AneParser::VAR, AneParser::RETURN, AneParser::FOR,
                             AneParser::ASSERT, AneParser::IDENT, AneParser::SEMI});
    }
    if (containsAll(remaining, {AneParser::INT, AneParser::IDENT, AneParser::LPAREN})) {
        items.push_back("an expression");
        eraseAll(remaining,
                 {AneParser::MINUS, AneParser::LPAREN, AneParser::LBRACK, AneParser::INT,
                  AneParser::FLOAT, AneParser::STRING, AneParser::KW_TRUE, AneParser::KW_FALSE,
                  AneParser::DTYPE, AneParser::IDENT, AneParser::NOT});
    }
    // After a complete expression every operator could follow; naming them all hides the
    // tokens that actually end the construct (',' or ')').
    std::set<size_t> operators = {
        AneParser::STAR, AneParser::SLASH,  AneParser::PERCENT, AneParser::AT,
        AneParser::PLUS, AneParser::MINUS,  AneParser::LT,      AneParser::LE,
        AneParser::GT,   AneParser::GE,     AneParser::EQ,      AneParser::NE,
        AneParser::DOT,  AneParser::LBRACK, AneParser::AND,     AneParser::OR};
    bool hadOperator = false;
    for (size_t op : operators)
        hadOperator |= remaining.erase(op) > 0;
    if (hadOperator && remaining.empty() && items.empty()) items.push_back("an operator");
    for (size_t type : remaining)
        items.push_back(symbolName(type, vocabulary));
    return joinAlternatives(items);
}

} // namespace anec::frontend
