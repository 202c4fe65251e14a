#include "frontend/source_positions.hpp"

#include "frontend/antlr.hpp"

namespace anec::frontend {

size_t utf8SequenceLength(std::string_view text, size_t i) {
    auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char lead = byte(i);
    if (lead < 0x80) return 1;
    size_t length = 0;
    uint32_t codePoint = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
        codePoint = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        codePoint = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        codePoint = lead & 0x07;
    } else {
        return 0;
    }
    if (i + length > text.size()) return 0;
    for (size_t k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
        codePoint = (codePoint << 6) | (byte(i + k) & 0x3F);
    }
    bool overlong = (length == 3 && codePoint < 0x800) || (length == 4 && codePoint < 0x10000);
    bool surrogate = codePoint >= 0xD800 && codePoint <= 0xDFFF;
    if (overlong || surrogate || codePoint > 0x10FFFF) return 0;
    return length;
}

std::string sanitizeUtf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    size_t i = 0;
    // A leading byte-order mark becomes a space: one code point, as TokenLocator counts it
    // (the runtime would silently drop it and shift every column of the first line).
    if (text.starts_with("\xEF\xBB\xBF")) {
        out += ' ';
        i = 3;
    }
    while (i < text.size()) {
        size_t length = utf8SequenceLength(text, i);
        if (length == 0) {
            out += "\xEF\xBF\xBD"; // U+FFFD REPLACEMENT CHARACTER
            ++i;
        } else {
            out.append(text.substr(i, length));
            i += length;
        }
    }
    return out;
}

SourceLoc TokenLocator::at(size_t line, size_t codePointColumn) const {
    std::string_view text = sources_.line(file_, static_cast<uint32_t>(line));
    // A malformed byte is one code point, exactly as sanitizeUtf8 made it for ANTLR.
    size_t byteColumn = 0;
    size_t seen = 0;
    for (; seen < codePointColumn && byteColumn < text.size(); ++seen) {
        size_t length = utf8SequenceLength(text, byteColumn);
        byteColumn += length == 0 ? 1 : length;
    }
    byteColumn += codePointColumn - seen; // past the end of the line (only EOF gets there)
    return SourceLoc{file_, static_cast<uint32_t>(line), static_cast<uint32_t>(byteColumn + 1)};
}

SourceLoc TokenLocator::at(const antlr4::Token* token) const {
    if (token == nullptr) return SourceLoc{file_, 0, 0};
    return at(token->getLine(), token->getCharPositionInLine());
}

SourceLoc TokenLocator::inside(const antlr4::Token* token, size_t codePoints) const {
    return at(token->getLine(), token->getCharPositionInLine() + codePoints);
}

std::string_view TokenLocator::restOfLine(SourceLoc loc) const {
    std::string_view text = sources_.line(file_, loc.line);
    size_t column = loc.column > 0 ? loc.column - 1 : 0;
    return column < text.size() ? text.substr(column) : std::string_view();
}

} // namespace anec::frontend
