#pragma once
// How a kernel's tensors sit on the ANE's IOSurfaces, chosen so that the binding rules hold by
// construction (docs/runtime.md, /work/shared/reference/ane-and-mil.md §4):
// - surfaces are bound in the byte-wise alphabetical order of the MIL names, inputs (rule 1) and
//   outputs (rule 2) alike;
// - every input surface has one allocation size, and every output surface another (rules 3, 4):
//   the largest tensor's byte size, at least 49,152 bytes (rule 6), rounded up to the alignment
//   (64 bytes; 128 on the M5, rule 16);
// - a tensor's bytes are packed from byte 0 of its surface and the rest is zero.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "runtime/ane/ane_device.hpp"
#include "runtime/core/backend.hpp"
#include "runtime/core/tensor.hpp"

namespace anec::runtime::ane {

// The smallest surface the ANE evaluates reliably: [768, 16] fp16 (rule 6).
inline constexpr size_t kMinSurfaceBytes = 49152;

struct SurfaceBinding {
    std::string name; // the MIL name (the kernel input/output name)
    ir::TensorType type;
    size_t declaredIndex = 0; // position among the kernel's inputs (outputs)
};

struct SurfacePlan {
    std::vector<SurfaceBinding> inputs;  // in binding order
    std::vector<SurfaceBinding> outputs; // in binding order
    size_t inputBytes = 0;               // allocation size of every input surface
    size_t outputBytes = 0;              // allocation size of every output surface

    SurfaceSizes sizes() const;
};

// The plan for a kernel's inputs and outputs (declaration order, names = MIL names). Throws
// anec::Error for an alignment that is not a power of two or a name given twice.
SurfacePlan planSurfaces(const std::vector<IoInfo>& inputs, const std::vector<IoInfo>& outputs,
                         size_t alignment = 64);

// Writes `data` at byte 0 of `surface` and zeroes the rest. Throws anec::Error when the surface
// is too small.
void writeSurface(std::span<uint8_t> surface, std::span<const uint8_t> data);
// The tensor of `type` packed at byte 0 of `surface`. Throws anec::Error when the surface is too
// small.
Tensor readSurface(std::span<const uint8_t> surface, const ir::TensorType& type);

} // namespace anec::runtime::ane
