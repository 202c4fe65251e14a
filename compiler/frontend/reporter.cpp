#include "frontend/reporter.hpp"

#include <algorithm>

namespace anec::frontend {

namespace {
// More call sites than this are summarised in one note: a layer body inlined 12 times should not
// bury its error under 12 notes.
constexpr size_t kMaxContexts = 4;

bool sameChain(const std::vector<Reporter::Frame>& a, const std::vector<Reporter::Frame>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
        return x.loc == y.loc && x.description == y.description;
    });
}
} // namespace

bool Reporter::error(SourceLoc loc, std::string message) {
    auto key = std::make_tuple(loc.file, loc.line, loc.column, message);
    if (auto it = seen_.find(key); it != seen_.end()) {
        addContext(entries_[it->second]);
        return false;
    }
    seen_.emplace(std::move(key), entries_.size());
    entries_.push_back({{Severity::Error, loc, std::move(message)}, {}, {}});
    addContext(entries_.back());
    ++errorCount_;
    return true;
}

void Reporter::warning(SourceLoc loc, std::string message) {
    entries_.push_back({{Severity::Warning, loc, std::move(message)}, {}, {}});
    addContext(entries_.back());
}

void Reporter::note(SourceLoc loc, std::string message) {
    if (entries_.empty()) return;
    entries_.back().notes.push_back({Severity::Note, loc, std::move(message)});
}

void Reporter::addContext(Entry& entry) {
    if (frames_.empty()) return;
    for (const auto& chain : entry.contexts)
        if (sameChain(chain, frames_)) return;
    entry.contexts.push_back(frames_);
}

void Reporter::flush() {
    for (Entry& entry : entries_) {
        diagnostics_.report(entry.diagnostic.severity, entry.diagnostic.loc,
                            std::move(entry.diagnostic.message));
        for (Diagnostic& note : entry.notes)
            diagnostics_.note(note.loc, std::move(note.message));
        size_t shown = std::min(entry.contexts.size(), kMaxContexts);
        for (size_t i = 0; i < shown; ++i)
            // Innermost first, as clang lists instantiations.
            for (auto frame = entry.contexts[i].rbegin(); frame != entry.contexts[i].rend();
                 ++frame)
                diagnostics_.note(frame->loc, frame->description);
        if (entry.contexts.size() > shown) {
            const Frame& outer = entry.contexts[shown].front();
            diagnostics_.note(outer.loc, "and in " + std::to_string(entry.contexts.size() - shown) +
                                             " more call sites or iterations");
        }
    }
    entries_.clear();
    seen_.clear();
}

} // namespace anec::frontend
