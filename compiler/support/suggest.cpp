#include "support/suggest.hpp"

#include <algorithm>
#include <cctype>

namespace anec {

namespace {
// Optimal string alignment distance, in half-steps: a change of case only costs 1, any other
// edit 2, so that `Rms_Norm` is closer to `rms_norm` than `rms_form` is.
size_t editCost(const std::string& a, const std::string& b) {
    size_t n = a.size(), m = b.size();
    std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1, 0));
    for (size_t i = 0; i <= n; ++i)
        d[i][0] = 2 * i;
    for (size_t j = 0; j <= m; ++j)
        d[0][j] = 2 * j;
    for (size_t i = 1; i <= n; ++i) {
        for (size_t j = 1; j <= m; ++j) {
            size_t substitute = 0;
            if (a[i - 1] != b[j - 1])
                substitute = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                                     std::tolower(static_cast<unsigned char>(b[j - 1]))
                                 ? 1
                                 : 2;
            d[i][j] = std::min({d[i - 1][j] + 2, d[i][j - 1] + 2, d[i - 1][j - 1] + substitute});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 2);
        }
    }
    return d[n][m];
}
} // namespace

std::optional<std::string> closestName(const std::string& name,
                                       const std::vector<std::string>& candidates) {
    // Long names are not compared at all: the table is quadratic.
    if (name.empty() || name.size() > 64) return std::nullopt;
    size_t limit = 2 * std::max<size_t>(1, name.size() / 3);
    std::optional<std::string> best;
    size_t bestCost = limit + 1;
    for (const std::string& candidate : candidates) {
        if (candidate == name || candidate.size() > 64) continue;
        size_t lengthGap = candidate.size() > name.size() ? candidate.size() - name.size()
                                                          : name.size() - candidate.size();
        if (2 * lengthGap > limit) continue;
        size_t cost = editCost(name, candidate);
        if (cost < bestCost) {
            bestCost = cost;
            best = candidate;
        }
    }
    return best;
}

std::string didYouMean(const std::string& name, const std::vector<std::string>& candidates) {
    auto best = closestName(name, candidates);
    return best ? "; did you mean '" + *best + "'?" : "";
}

} // namespace anec
