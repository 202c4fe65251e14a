#pragma once
// I/O packing metadata (the pack-io pass): several kernel inputs (or outputs) of layout
// [1, C_i, H, W] with one dtype travel as ONE tensor [1, sum C_i, H, W], concatenated along the
// channel axis in member order. The kernel's own inputs/outputs are the packed (bound) tensors;
// this records what callers see: the original named tensors and where each one lives.
#include <cstdint>
#include <string>
#include <vector>

#include "ir/types.hpp"

namespace anec::ir {

class Kernel;

struct PackedMember {
    std::string name;          // the original input/output name
    TensorType type;           // its original type [1, C, H, W]
    int64_t channelOffset = 0; // first channel inside the packed tensor
    size_t index = 0;          // its declaration position among the original inputs (outputs)
};

struct PackedIo {
    enum class Direction { Input, Output };
    Direction direction = Direction::Input;
    std::string name; // the packed kernel input / output
    std::vector<PackedMember> members;
};

// An input or output that the program takes or gives in fp16 while callers use fp32 (ane-legalize
// on targets that cannot run `cast`): the runtime converts on the host, rounding to nearest even
// exactly as the in-program cast would. `name` is an interface name (after packing is undone).
struct HostConversion {
    PackedIo::Direction direction = PackedIo::Direction::Input;
    std::string name;
    DType callerDType = DType::Fp32; // what callers pass (inputs) or receive (outputs)
};

// The packed input (output) named `name`, or nullptr.
const PackedIo* findPacked(const Kernel& kernel, PackedIo::Direction direction,
                           const std::string& name);

// A tensor as callers see it.
struct InterfaceTensor {
    std::string name;
    TensorType type;
};

// The kernel's inputs (outputs) as declared before packing and host conversion (their types are
// the callers' types, Kernel::hostConversions applied), in declaration order: packed
// members at their recorded index, every other kernel input (output) filling the remaining
// positions in kernel order. Without packing: the kernel's own inputs (outputs).
std::vector<InterfaceTensor> interfaceInputs(const Kernel& kernel);
std::vector<InterfaceTensor> interfaceOutputs(const Kernel& kernel);
// The same interface as the program binds it (host conversions not applied): what the runtime's
// packed-I/O layer takes and returns.
std::vector<InterfaceTensor> programInterfaceInputs(const Kernel& kernel);
std::vector<InterfaceTensor> programInterfaceOutputs(const Kernel& kernel);

// The problems of the kernel's packing metadata (for the IR verifier): the packed tensor must
// be a kernel input (output) whose type is the channel concatenation of its members, members
// contiguous from offset 0, names unique across the interface, indices a permutation; each host
// conversion must name an fp16 interface tensor, once.
std::vector<std::string> packingProblems(const Kernel& kernel);

} // namespace anec::ir
