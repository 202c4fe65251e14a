#include "passes/pass.hpp"
namespace anec::passes { PassManager buildPipeline(int) { return {}; } }
