#pragma once
// Maps ANTLR token positions (line + code-point column) to SourceLoc (line + byte column) and
// makes arbitrary bytes safe for the ANTLR runtime, which throws on malformed UTF-8.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "support/diagnostics.hpp"

namespace antlr4 {
class Token;
}

namespace anec::frontend {

// Length of the well-formed UTF-8 sequence starting at text[i] (1-4), or 0 when the byte there
// does not start one (stray continuation byte, overlong form, surrogate, beyond U+10FFFF).
size_t utf8SequenceLength(std::string_view text, size_t i);

// A copy of `text` in which every byte that is not part of a well-formed UTF-8 sequence is
// replaced by U+FFFD, so that each such byte stays exactly one code point. A leading byte-order
// mark becomes a space.
std::string sanitizeUtf8(std::string_view text);

class TokenLocator {
  public:
    TokenLocator(const SourceManager& sources, uint32_t file) : sources_(sources), file_(file) {}

    uint32_t file() const { return file_; }
    // `codePointColumn` is 0-based, as ANTLR counts it.
    SourceLoc at(size_t line, size_t codePointColumn) const;
    SourceLoc at(const antlr4::Token* token) const;
    // The location `codePoints` code points into the token's text (tokens never span lines
    // where this is used: strings and numbers).
    SourceLoc inside(const antlr4::Token* token, size_t codePoints) const;
    // The original bytes of the source at `loc` (the rest of that line).
    std::string_view restOfLine(SourceLoc loc) const;

  private:
    const SourceManager& sources_;
    uint32_t file_;
};

} // namespace anec::frontend
