#pragma once
// "did you mean ...?" for misspelt names, shared by every front end.
#include <optional>
#include <string>
#include <vector>

namespace anec {

// The candidate closest to `name` by edit distance (insertions, deletions, substitutions and
// transpositions of adjacent characters, case-insensitively cheaper), when it is close enough to
// be a likely typo: at most one edit for short names, about a third of the length for longer
// ones. Ties go to the first candidate in order.
std::optional<std::string> closestName(const std::string& name,
                                       const std::vector<std::string>& candidates);

// "; did you mean 'rms_norm'?" or "".
std::string didYouMean(const std::string& name, const std::vector<std::string>& candidates);

} // namespace anec
