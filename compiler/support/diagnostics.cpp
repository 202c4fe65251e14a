#include "support/diagnostics.hpp"

#include <algorithm>

namespace anec {

uint32_t SourceManager::addFile(std::string path, std::string text) {
    File file{std::move(path), std::move(text), {0}};
    for (size_t i = 0; i < file.text.size(); ++i)
        if (file.text[i] == '\n') file.lineStarts.push_back(i + 1);
    files_.push_back(std::move(file));
    return static_cast<uint32_t>(files_.size());
}

const std::string& SourceManager::path(uint32_t file) const {
    static const std::string none = "<unknown>";
    return file >= 1 && file <= files_.size() ? files_[file - 1].path : none;
}

const std::string& SourceManager::text(uint32_t file) const {
    static const std::string none;
    return file >= 1 && file <= files_.size() ? files_[file - 1].text : none;
}

std::string_view SourceManager::line(uint32_t file, uint32_t line) const {
    if (file < 1 || file > files_.size()) return {};
    const File& f = files_[file - 1];
    if (line < 1 || line > f.lineStarts.size()) return {};
    size_t begin = f.lineStarts[line - 1];
    size_t end = line < f.lineStarts.size() ? f.lineStarts[line] - 1 : f.text.size();
    if (end > begin && f.text[end - 1] == '\r') --end;
    return std::string_view(f.text).substr(begin, end - begin);
}

std::string_view severityName(Severity severity) {
    switch (severity) {
    case Severity::Error:
        return "error";
    case Severity::Warning:
        return "warning";
    case Severity::Note:
        return "note";
    }
    return "error";
}

std::optional<WarningPolicy> parseWarningPolicy(std::string_view name) {
    if (name == "all") return WarningPolicy::All;
    if (name == "none") return WarningPolicy::None;
    if (name == "error") return WarningPolicy::Error;
    return std::nullopt;
}

void DiagnosticEngine::report(Severity severity, SourceLoc loc, std::string message) {
    if (severity == Severity::Note) {
        if (!droppedLast_) diagnostics_.push_back({severity, loc, std::move(message)});
        return;
    }
    if (severity == Severity::Warning && warningPolicy_ == WarningPolicy::None) {
        droppedLast_ = true;
        return;
    }
    if (severity == Severity::Warning && warningPolicy_ == WarningPolicy::Error) {
        severity = Severity::Error;
        message += " [--warnings=error]";
    }
    droppedLast_ = !reported_.emplace(severity, loc.file, loc.line, loc.column, message).second;
    if (droppedLast_) return;
    if (severity == Severity::Error) ++errorCount_;
    diagnostics_.push_back({severity, loc, std::move(message)});
}

std::string DiagnosticEngine::brief(const Diagnostic& d) {
    std::string out;
    if (d.loc.valid())
        out += std::to_string(d.loc.line) + ":" + std::to_string(d.loc.column) + ": ";
    out += std::string(severityName(d.severity)) + ": " + d.message;
    return out;
}

std::string DiagnosticEngine::render(const Diagnostic& d) const {
    std::string out;
    if (d.loc.file != 0) {
        out += sources_.path(d.loc.file);
        if (d.loc.valid())
            out += ":" + std::to_string(d.loc.line) + ":" + std::to_string(d.loc.column);
        out += ": ";
    } else {
        out += "anec: ";
    }
    out += std::string(severityName(d.severity)) + ": " + d.message + "\n";
    std::string_view text = d.loc.valid() ? sources_.line(d.loc.file, d.loc.line) : "";
    if (!text.empty()) {
        out += std::string(text) + "\n";
        // Keep tabs so that the caret lines up with the quoted line.
        size_t column = std::min<size_t>(d.loc.column > 0 ? d.loc.column - 1 : 0, text.size());
        for (size_t i = 0; i < column; ++i)
            out += text[i] == '\t' ? '\t' : ' ';
        out += "^\n";
    }
    return out;
}

void DiagnosticEngine::print(std::ostream& out) const {
    for (const Diagnostic& d : diagnostics_)
        out << render(d);
}

std::string DiagnosticEngine::errorSummary() const {
    if (errorCount_ == 0) return "";
    return std::to_string(errorCount_) + (errorCount_ == 1 ? " error" : " errors") +
           " generated.\n";
}

void DiagnosticPrinter::print(const DiagnosticEngine& diagnostics) {
    // A note goes with the diagnostic before it; repeats within one engine cannot occur.
    std::set<std::string> printedNow;
    bool skipping = false;
    for (const Diagnostic& d : diagnostics.diagnostics()) {
        std::string text = diagnostics.render(d);
        if (d.severity != Severity::Note) skipping = printed_.count(text) > 0;
        if (skipping) continue;
        out_ << text;
        printedNow.insert(std::move(text));
    }
    printed_.merge(printedNow);
}

} // namespace anec
