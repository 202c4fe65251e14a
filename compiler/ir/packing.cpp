#include "ir/packing.hpp"

#include <map>
#include <set>

#include "ir/ir.hpp"

namespace anec::ir {

namespace {
using Direction = PackedIo::Direction;

// The kernel's own tensors of one direction, by name and in kernel order.
std::vector<InterfaceTensor> ownTensors(const Kernel& kernel, Direction direction) {
    std::vector<InterfaceTensor> tensors;
    if (direction == Direction::Input) {
        for (const auto& input : kernel.inputs)
            tensors.push_back({input->name, input->type});
    } else {
        for (const KernelOutput& output : kernel.outputs)
            tensors.push_back({output.name, output.value ? output.value->type : TensorType{}});
    }
    return tensors;
}

const HostConversion* conversionOf(const Kernel& kernel, Direction direction,
                                   const std::string& name) {
    for (const HostConversion& conversion : kernel.hostConversions)
        if (conversion.direction == direction && conversion.name == name) return &conversion;
    return nullptr;
}

// The interface as the program binds it: member and input types before host conversion.
std::vector<InterfaceTensor> programInterfaceOf(const Kernel& kernel, Direction direction) {
    std::map<size_t, InterfaceTensor> placed;
    std::vector<InterfaceTensor> unpacked;
    for (InterfaceTensor& tensor : ownTensors(kernel, direction)) {
        if (const PackedIo* packed = findPacked(kernel, direction, tensor.name)) {
            for (const PackedMember& member : packed->members)
                placed.emplace(member.index, InterfaceTensor{member.name, member.type});
        } else {
            unpacked.push_back(std::move(tensor));
        }
    }
    std::vector<InterfaceTensor> result;
    size_t next = 0;
    for (size_t position = 0; result.size() < placed.size() + unpacked.size(); ++position) {
        auto it = placed.find(position);
        if (it != placed.end())
            result.push_back(it->second);
        else if (next < unpacked.size())
            result.push_back(unpacked[next++]);
        else
            break; // indices with gaps: reported by packingProblems
    }
    return result;
}

// The interface as callers see it: host conversions applied.
std::vector<InterfaceTensor> interfaceOf(const Kernel& kernel, Direction direction) {
    std::vector<InterfaceTensor> tensors = programInterfaceOf(kernel, direction);
    for (InterfaceTensor& tensor : tensors)
        if (const HostConversion* conversion = conversionOf(kernel, direction, tensor.name))
            tensor.type.dtype = conversion->callerDType;
    return tensors;
}

std::string directionName(Direction direction) {
    return direction == Direction::Input ? "input" : "output";
}

void checkPacked(const Kernel& kernel, const PackedIo& packed, std::vector<std::string>& problems) {
    std::string what = "packed " + directionName(packed.direction) + " '" + packed.name + "'";
    const TensorType* type = nullptr;
    std::vector<InterfaceTensor> own = ownTensors(kernel, packed.direction);
    for (const InterfaceTensor& tensor : own)
        if (tensor.name == packed.name) type = &tensor.type;
    if (!type) {
        problems.push_back(what + " is not a kernel " + directionName(packed.direction));
        return;
    }
    if (packed.members.size() < 2) problems.push_back(what + " packs fewer than two tensors");
    if (type->rank() != 4 || !type->isStatic() || type->shape[0] != 1) {
        problems.push_back(what + " has type " + type->str() + "; packing needs [1, C, H, W]");
        return;
    }
    int64_t offset = 0;
    for (const PackedMember& member : packed.members) {
        const Shape& shape = member.type.shape;
        bool fits = member.type.dtype == type->dtype && shape.size() == 4 && shape[0] == 1 &&
                    shape[1] > 0 && shape[2] == type->shape[2] && shape[3] == type->shape[3];
        if (!fits)
            problems.push_back(what + ": member '" + member.name + "' of type " +
                               member.type.str() + " does not fit " + type->str());
        else if (member.channelOffset != offset)
            problems.push_back(what + ": member '" + member.name + "' starts at channel " +
                               std::to_string(member.channelOffset) + ", expected " +
                               std::to_string(offset));
        offset += shape.size() == 4 ? shape[1] : 0;
    }
    if (offset != type->shape[1])
        problems.push_back(what + " has " + std::to_string(type->shape[1]) +
                           " channels but its members have " + std::to_string(offset));
}

void checkInterface(const Kernel& kernel, Direction direction, std::vector<std::string>& problems) {
    std::set<std::string> names;
    std::set<size_t> indices;
    size_t packedMembers = 0, unpacked = 0;
    for (const InterfaceTensor& tensor : ownTensors(kernel, direction)) {
        const PackedIo* packed = findPacked(kernel, direction, tensor.name);
        if (!packed) {
            ++unpacked;
            if (!names.insert(tensor.name).second)
                problems.push_back("two " + directionName(direction) + "s are named '" +
                                   tensor.name + "'");
            continue;
        }
        for (const PackedMember& member : packed->members) {
            ++packedMembers;
            if (!names.insert(member.name).second)
                problems.push_back("two " + directionName(direction) + "s are named '" +
                                   member.name + "' (packing)");
            if (!indices.insert(member.index).second)
                problems.push_back("two packed " + directionName(direction) +
                                   "s have declaration index " + std::to_string(member.index));
        }
    }
    size_t total = packedMembers + unpacked;
    if (!indices.empty() && *indices.rbegin() >= total)
        problems.push_back("packed " + directionName(direction) + " index " +
                           std::to_string(*indices.rbegin()) + " is out of range (" +
                           std::to_string(total) + " " + directionName(direction) + "s)");
}

// A host conversion names an fp16 interface tensor (after packing is undone) that callers see
// as fp32, once.
void checkConversions(const Kernel& kernel, std::vector<std::string>& problems) {
    std::set<std::pair<Direction, std::string>> seen;
    for (const HostConversion& conversion : kernel.hostConversions) {
        std::string what =
            "host-converted " + directionName(conversion.direction) + " '" + conversion.name + "'";
        if (!seen.insert({conversion.direction, conversion.name}).second)
            problems.push_back(what + " is converted twice");
        const InterfaceTensor* tensor = nullptr;
        std::vector<InterfaceTensor> interface = programInterfaceOf(kernel, conversion.direction);
        for (const InterfaceTensor& candidate : interface)
            if (candidate.name == conversion.name) tensor = &candidate;
        if (!tensor) {
            problems.push_back(what + " is not a kernel " + directionName(conversion.direction));
            continue;
        }
        if (tensor->type.dtype != DType::Fp16 || conversion.callerDType != DType::Fp32)
            problems.push_back(what + " has type " + tensor->type.str() + " and caller dtype " +
                               std::string(dtypeName(conversion.callerDType)) +
                               "; host conversion is between fp16 (program) and fp32 (callers)");
    }
}
} // namespace

const PackedIo* findPacked(const Kernel& kernel, Direction direction, const std::string& name) {
    for (const PackedIo& packed : kernel.packing)
        if (packed.direction == direction && packed.name == name) return &packed;
    return nullptr;
}

std::vector<InterfaceTensor> interfaceInputs(const Kernel& kernel) {
    return interfaceOf(kernel, Direction::Input);
}

std::vector<InterfaceTensor> interfaceOutputs(const Kernel& kernel) {
    return interfaceOf(kernel, Direction::Output);
}

std::vector<InterfaceTensor> programInterfaceInputs(const Kernel& kernel) {
    return programInterfaceOf(kernel, Direction::Input);
}

std::vector<InterfaceTensor> programInterfaceOutputs(const Kernel& kernel) {
    return programInterfaceOf(kernel, Direction::Output);
}

std::vector<std::string> packingProblems(const Kernel& kernel) {
    std::vector<std::string> problems;
    checkConversions(kernel, problems);
    if (kernel.packing.empty()) return problems;
    std::set<std::pair<Direction, std::string>> seen;
    for (const PackedIo& packed : kernel.packing) {
        if (!seen.insert({packed.direction, packed.name}).second)
            problems.push_back(directionName(packed.direction) + " '" + packed.name +
                               "' is packed twice");
        checkPacked(kernel, packed, problems);
    }
    checkInterface(kernel, Direction::Input, problems);
    checkInterface(kernel, Direction::Output, problems);
    return problems;
}

} // namespace anec::ir
