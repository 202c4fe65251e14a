#pragma once
// Compiles .ane source held in a string and gives tests easy access to the IR and diagnostics.
#include <string>
#include <vector>

#include "frontend/frontend.hpp"
#include "ir/ir.hpp"
#include "ir/printer.hpp"
#include "support/diagnostics.hpp"

namespace anec::test {

class AneCompile {
  public:
    explicit AneCompile(const std::string& text, frontend::Options options = {},
                        std::string path = "test.ane") {
        file = sources.addFile(std::move(path), text);
        module = frontend::compileAne(file, sources, diagnostics, options);
    }
    AneCompile(const AneCompile&) = delete;

    SourceManager sources;
    DiagnosticEngine diagnostics{sources};
    uint32_t file = 0;
    std::unique_ptr<ir::Module> module;

    // "line:col: error: message" for every error, in order.
    std::vector<std::string> errors() const {
        std::vector<std::string> out;
        for (const Diagnostic& d : diagnostics.diagnostics())
            if (d.severity == Severity::Error) out.push_back(DiagnosticEngine::brief(d));
        return out;
    }
    std::string allDiagnostics() const {
        std::string out;
        for (const Diagnostic& d : diagnostics.diagnostics())
            out += DiagnosticEngine::brief(d) + "\n";
        return out;
    }

    const ir::Kernel& kernel(size_t i = 0) const { return *module->kernels.at(i); }

    std::vector<std::string> opKinds(size_t i = 0) const {
        std::vector<std::string> kinds;
        for (const auto& op : kernel(i).ops)
            kinds.push_back(op->kind());
        return kinds;
    }
    // Ops of one kind, in order.
    std::vector<const ir::Op*> opsOf(const std::string& kind, size_t i = 0) const {
        std::vector<const ir::Op*> out;
        for (const auto& op : kernel(i).ops)
            if (op->kind() == kind) out.push_back(op.get());
        return out;
    }
    std::string ir() const { return module ? ir::printModule(*module) : allDiagnostics(); }
};

// A kernel over one fp16 input x of the given type and one output y of the output type.
inline std::string kernelSource(const std::string& inType, const std::string& outType,
                                const std::string& body, const std::string& prelude = "") {
    return prelude + "\nkernel k(x: " + inType + ") -> (y: " + outType + ") {\n" + body + "\n}\n";
}

} // namespace anec::test
