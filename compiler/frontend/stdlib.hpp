#pragma once
// The standard library: the .ane files of stdlib/ in the repository, built into the compiler so
// that `import "std/nn.ane"` works wherever anec runs (the generated stdlib_files.cpp holds them).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anec::frontend {

// The text of a standard library file, named as imports name it: "std/nn.ane".
std::optional<std::string_view> standardLibraryFile(const std::string& path);
// Every file's name ("std/nn.ane", ...), sorted.
std::vector<std::string> standardLibraryFiles();

} // namespace anec::frontend
