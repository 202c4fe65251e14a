#pragma once
// Source locations and clang-style diagnostics shared by every front end (.ane, MIL) and pass.
#include <cstdint>
#include <optional>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace anec {

// A 1-based line and column in a file registered with a SourceManager. line == 0 means "no
// location" (for example an op synthesised by a pass from several sources).
struct SourceLoc {
    uint32_t file = 0;
    uint32_t line = 0;
    uint32_t column = 0;
    bool valid() const { return line != 0; }
    bool operator==(const SourceLoc&) const = default;
};

// Owns the text of every file the compiler read so that diagnostics can quote source lines.
class SourceManager {
  public:
    // Returns the id used in SourceLoc::file. Ids start at 1; 0 is "no file".
    uint32_t addFile(std::string path, std::string text);
    const std::string& path(uint32_t file) const;
    const std::string& text(uint32_t file) const;
    // The text of a 1-based line without its newline, or "" when out of range.
    std::string_view line(uint32_t file, uint32_t line) const;

  private:
    struct File {
        std::string path;
        std::string text;
        std::vector<size_t> lineStarts;
    };
    std::vector<File> files_;
};

enum class Severity { Error, Warning, Note };

struct Diagnostic {
    Severity severity = Severity::Error;
    SourceLoc loc;
    std::string message;
};

// What becomes of warnings: reported (All, the default), dropped (None: `-w`), or reported as
// errors (Error: `--warnings=error`), which makes the compilation fail.
enum class WarningPolicy { All, None, Error };

// "none", "all", "error" -> the policy; nullopt for anything else.
std::optional<WarningPolicy> parseWarningPolicy(std::string_view name);

// Collects diagnostics; never stops at the first error so that every problem is reported. A
// diagnostic identical to an earlier one (severity, location and text) is dropped, and so are
// the notes that follow a dropped diagnostic.
class DiagnosticEngine {
  public:
    explicit DiagnosticEngine(const SourceManager& sources) : sources_(sources) {}

    // Applies to the warnings reported from now on.
    void setWarningPolicy(WarningPolicy policy) { warningPolicy_ = policy; }
    WarningPolicy warningPolicy() const { return warningPolicy_; }

    void report(Severity severity, SourceLoc loc, std::string message);
    void error(SourceLoc loc, std::string message) {
        report(Severity::Error, loc, std::move(message));
    }
    void warning(SourceLoc loc, std::string message) {
        report(Severity::Warning, loc, std::move(message));
    }
    void note(SourceLoc loc, std::string message) {
        report(Severity::Note, loc, std::move(message));
    }

    bool hasErrors() const { return errorCount_ > 0; }
    size_t errorCount() const { return errorCount_; }
    const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
    const SourceManager& sources() const { return sources_; }

    // "file:line:col: error: message", then the source line and a caret under the column.
    std::string render(const Diagnostic& diagnostic) const;
    // Short form without the source excerpt: "line:col: error: message" (used by tests).
    static std::string brief(const Diagnostic& diagnostic);
    void print(std::ostream& out) const;
    // "N errors generated.\n" (clang's summary line), or "" when there are no errors.
    std::string errorSummary() const;

  private:
    const SourceManager& sources_;
    std::vector<Diagnostic> diagnostics_;
    size_t errorCount_ = 0;
    WarningPolicy warningPolicy_ = WarningPolicy::All;
    std::set<std::tuple<Severity, uint32_t, uint32_t, uint32_t, std::string>> reported_;
    bool droppedLast_ = false; // the last error or warning was dropped: so are its notes
};

// Prints the diagnostics of one or more engines that compiled the same source (`anec stats`
// compiles it at -O0 and -O1): what an earlier engine printed is not printed again.
class DiagnosticPrinter {
  public:
    explicit DiagnosticPrinter(std::ostream& out) : out_(out) {}
    void print(const DiagnosticEngine& diagnostics);

  private:
    std::ostream& out_;
    std::set<std::string> printed_;
};

std::string_view severityName(Severity severity);

// An error with no source position (bad command line, unwritable output directory, ...).
// Thrown by libraries and caught by the driver, which prints it and exits with status 1.
class Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

} // namespace anec
