#include "runtime/core/backend.hpp"

#include "support/diagnostics.hpp"

namespace anec::runtime {

// The ANE backend arrives in a later issue; until then Auto means the reference backend.
std::unique_ptr<Backend> createBackend(BackendKind kind) {
    if (kind == BackendKind::Ane)
        throw Error("the ANE backend is not available in this build (it needs macOS on Apple "
                    "silicon and is not implemented yet); use the reference backend");
    return createReferenceBackend();
}

} // namespace anec::runtime
