#pragma once
// Writes emitted programs to disk, all or nothing.
#include <filesystem>
#include <vector>

#include "mil/emitter.hpp"

namespace anec::mil {

// Writes DIR/<kernel>/model.mil, DIR/<kernel>/weights/*.bin and DIR/<kernel>/program.json for each
// program. Everything is first written to a staging directory inside DIR, then each DIR/<kernel>
// is replaced by a rename (a previous one is moved aside, and removed once all are in place), so
// a failed or interrupted build never leaves a half-written program. On failure the staging
// directory is removed, earlier replacements are rolled back, and anec::Error says what went
// wrong. DIR is created if missing; other content of DIR is left alone. Staging directories left
// by builds that were killed are removed by the next build.
// A file beside the program directories (a training step's step.json), replaced the same way.
struct RootFile {
    std::string name;
    std::string text;
};
void writeBuildOutput(const std::filesystem::path& dir, const std::vector<Program>& programs,
                      const std::vector<RootFile>& rootFiles = {});

// Writes one program's files into `programDir`, which must exist (no staging; throws anec::Error).
void writeProgramFiles(const std::filesystem::path& programDir, const Program& program);

} // namespace anec::mil
