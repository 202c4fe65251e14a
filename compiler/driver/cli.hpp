#pragma once
// The `anec` command line, callable in-process (tests) as well as from main().
#include <ostream>

namespace anec::driver {

// Exit status: 0 success, 1 errors in the input, failed output or (compare) values outside the
// tolerance, 2 bad command line.
int runCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

} // namespace anec::driver
