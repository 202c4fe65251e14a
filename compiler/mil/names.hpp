#pragma once
// MIL identifiers: every variable of a program needs a distinct name made of identifier
// characters that is not a word of the MIL syntax (types, `tensor`, `BLOBFILE`, ...).
#include <set>
#include <string>
#include <string_view>

namespace anec::mil {

// [A-Za-z_][A-Za-z0-9_]* and not a reserved word.
bool isMilIdentifier(std::string_view name);

// Identifier characters kept, others replaced by '_'; a leading digit or a reserved word gets a
// '_' in front; an empty text gives "".
std::string sanitizeIdentifier(std::string_view text);

// Hands out unique names. Case-insensitive tables are for file names (macOS file systems do not
// tell W.bin from w.bin).
class NameTable {
  public:
    explicit NameTable(bool caseInsensitive = false) : caseInsensitive_(caseInsensitive) {}

    // Takes `name` exactly; false when it is already taken.
    bool reserve(const std::string& name);
    bool contains(const std::string& name) const;
    // sanitizeIdentifier(hint), or `fallback` when that is empty, with `_1`, `_2`, ... appended
    // when it is taken; the result is reserved.
    std::string unique(std::string_view hint, std::string_view fallback = "v");

  private:
    std::string key(const std::string& name) const;

    bool caseInsensitive_;
    std::set<std::string> used_;
};

} // namespace anec::mil
