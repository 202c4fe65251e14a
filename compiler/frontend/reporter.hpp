#pragma once
// Diagnostics of sema: each error reported once per location and message, with notes naming the
// call sites (and loop iterations) it was found through, like clang's instantiation notes:
//     attn.ane:4:13: error: cannot add fp16[1,64,1,8] and fp16[1,32,1,8]
//     attn.ane:9:9: note: in call to 'rope' from kernel 'attn_fwd'
// A function body inlined at several call sites gives one error with a note per call site.
// Diagnostics are held until flush(), so that the notes of later call sites join their error.
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "support/diagnostics.hpp"

namespace anec::frontend {

class Reporter {
  public:
    explicit Reporter(DiagnosticEngine& diagnostics) : diagnostics_(diagnostics) {}
    ~Reporter() { flush(); }
    Reporter(const Reporter&) = delete;
    Reporter& operator=(const Reporter&) = delete;

    // Returns false when the same error was already reported (callers then skip their notes;
    // the current call sites are added to the first report).
    bool error(SourceLoc loc, std::string message);
    void warning(SourceLoc loc, std::string message);
    // A note of the diagnostic reported last.
    void note(SourceLoc loc, std::string message);
    // Errors reported so far (through this reporter).
    size_t errorCount() const { return errorCount_; }
    // Passes everything reported so far to the DiagnosticEngine, in order.
    void flush();

    // The context errors are found in: a call being inlined or a loop iteration.
    // `description` is the note's text ("in call to 'rope' from kernel 'attn_fwd'").
    struct Frame {
        SourceLoc loc;
        std::string description;
    };
    void pushFrame(Frame frame) { frames_.push_back(std::move(frame)); }
    void popFrame() { frames_.pop_back(); }

  private:
    struct Entry {
        Diagnostic diagnostic;
        std::vector<Diagnostic> notes;
        std::vector<std::vector<Frame>> contexts; // one per distinct chain of frames
    };
    void addContext(Entry& entry);

    DiagnosticEngine& diagnostics_;
    std::vector<Entry> entries_;
    std::map<std::tuple<uint32_t, uint32_t, uint32_t, std::string>, size_t> seen_;
    std::vector<Frame> frames_;
    size_t errorCount_ = 0;
};

// Pushes a frame for the lifetime of the object.
class FrameScope {
  public:
    FrameScope(Reporter& reporter, Reporter::Frame frame) : reporter_(reporter) {
        reporter_.pushFrame(std::move(frame));
    }
    ~FrameScope() { reporter_.popFrame(); }
    FrameScope(const FrameScope&) = delete;
    FrameScope& operator=(const FrameScope&) = delete;

  private:
    Reporter& reporter_;
};

} // namespace anec::frontend
