#include "ir/printer.hpp"

#include <map>
#include <set>

#include "ir/op_registry.hpp"

namespace anec::ir {

namespace {
// Gives every value a unique, stable %name derived from its hint.
class ValueNamer {
  public:
    const std::string& nameOf(const Value* value) {
        auto it = names_.find(value);
        if (it != names_.end()) return it->second;
        std::string base = value->name.empty() ? std::to_string(counter_++) : value->name;
        std::string name = base;
        for (int suffix = 1; used_.count(name); ++suffix)
            name = base + "." + std::to_string(suffix);
        used_.insert(name);
        return names_.emplace(value, "%" + name).first->second;
    }

  private:
    std::map<const Value*, std::string> names_;
    std::set<std::string> used_;
    int counter_ = 0;
};

std::string constSummary(const ConstData& data) {
    if (!data.blobName.empty()) return "blob = \"" + data.blobName + "\"";
    constexpr int64_t kShown = 8;
    std::string out = "value = ";
    if (data.type().isScalar()) return out + attributeString(data.at(0));
    out += "[";
    for (int64_t i = 0; i < std::min(kShown, data.numElements()); ++i)
        out += (i ? ", " : "") + attributeString(data.at(i));
    if (data.numElements() > kShown) out += ", ...";
    return out + "]";
}

void printOp(const Op& op, ValueNamer& namer, std::string& out) {
    out += "  ";
    for (size_t i = 0; i < op.results.size(); ++i)
        out += (i ? ", " : "") + namer.nameOf(op.result(i));
    out += " = " + op.kind() + "(";
    // Absent trailing optional operands (a conv without bias) are not shown; inner ones are "none".
    size_t shown = op.operands.size();
    while (shown > 0 && !op.operands[shown - 1])
        --shown;
    for (size_t i = 0; i < shown; ++i)
        out +=
            (i ? ", " : "") + (op.operands[i] ? namer.nameOf(op.operands[i]) : std::string("none"));
    out += ")";
    std::vector<std::string> attrs;
    if (op.constData) attrs.push_back(constSummary(*op.constData));
    for (const auto& [name, value] : op.attrs)
        attrs.push_back(name + " = " + attributeString(value));
    if (!attrs.empty()) {
        out += " {";
        for (size_t i = 0; i < attrs.size(); ++i)
            out += (i ? ", " : "") + attrs[i];
        out += "}";
    }
    out += " : ";
    for (size_t i = 0; i < op.results.size(); ++i)
        out += (i ? ", " : "") + op.result(i)->type.str();
    out += "\n";
}
// `  packed input packed_in = [a: fp16[1,64,1,32] @0, b: fp16[1,16,1,32] @64]`: the original
// tensors inside each packed input/output and their first channel.
void printPacking(const Kernel& kernel, std::string& out) {
    for (const PackedIo& packed : kernel.packing) {
        out += std::string("  packed ") +
               (packed.direction == PackedIo::Direction::Input ? "input " : "output ") +
               packed.name + " = [";
        for (size_t i = 0; i < packed.members.size(); ++i) {
            const PackedMember& member = packed.members[i];
            out += (i ? ", " : "") + member.name + ": " + member.type.str() + " @" +
                   std::to_string(member.channelOffset);
        }
        out += "]\n";
    }
}
} // namespace

std::string printKernel(const Kernel& kernel) {
    ValueNamer namer;
    std::string out = "kernel " + kernel.name + "(";
    for (size_t i = 0; i < kernel.inputs.size(); ++i)
        out += (i ? ", " : "") + namer.nameOf(kernel.inputs[i].get()) + ": " +
               kernel.inputs[i]->type.str();
    out += ") -> (";
    for (size_t i = 0; i < kernel.outputs.size(); ++i) {
        const KernelOutput& output = kernel.outputs[i];
        out += (i ? ", " : "") + output.name + ": " +
               (output.value ? output.value->type.str() : std::string("<unset>"));
    }
    out += ") {\n";
    printPacking(kernel, out);
    for (const auto& op : kernel.ops)
        printOp(*op, namer, out);
    out += "  return ";
    for (size_t i = 0; i < kernel.outputs.size(); ++i) {
        const KernelOutput& output = kernel.outputs[i];
        out += (i ? ", " : "") + output.name + " = " +
               (output.value ? namer.nameOf(output.value) : std::string("<unset>"));
    }
    return out + "\n}\n";
}

std::string printModule(const Module& module) {
    std::string out;
    for (size_t i = 0; i < module.kernels.size(); ++i) {
        if (i) out += "\n";
        out += printKernel(*module.kernels[i]);
    }
    return out;
}

} // namespace anec::ir
