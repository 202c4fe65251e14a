// pack-io: several kernel inputs of layout [1, C_i, H, W] with one dtype become ONE input
// [1, sum C_i, H, W] followed by a slice_by_size per original input, and several such outputs
// leave through ONE concat. The ANE binds several inputs (outputs) only under fragile conditions
// (alphabetical order, equal surface sizes, some setups refuse several at all); one packed
// surface always works, as in the seed. The layout goes into Kernel::packing (ir/packing.hpp),
// program.json records it and the runtime packs and unpacks, so callers keep the original names.
//
// Which tensors: the inputs (outputs) are grouped by (dtype, H, W) among those of rank 4 with a
// static shape and batch 1; the LARGEST group with two or more members is packed (on a tie the
// one whose first member is declared first), in declaration order; the others stay separate.
// fp32 inputs whose only uses are their entry casts are cast once after packing (packed fp32 ->
// one cast -> slices); fp32 outputs that are all exit casts of fp16 values are concatenated in
// fp16 and cast once. The packed names are "packed_in" / "packed_out" ("_1", "_2", ... when a
// kernel already uses the name).
#include <map>
#include <set>

#include "ir/builder.hpp"
#include "passes/pass.hpp"

namespace anec::passes {

namespace {
using ir::Kernel;
using ir::Op;
using ir::PackedIo;
using ir::PackedMember;
using ir::TensorType;
using ir::Value;

bool packable(const TensorType& type) {
    return type.rank() == 4 && type.isStatic() && type.shape[0] == 1 && type.shape[1] > 0 &&
           ir::dtypeSize(type.dtype) > 0;
}

// The largest group of mutually packable types (positions into `types`), or empty.
std::vector<size_t> largestGroup(const std::vector<TensorType>& types) {
    std::map<std::tuple<ir::DType, int64_t, int64_t>, std::vector<size_t>> groups;
    for (size_t i = 0; i < types.size(); ++i)
        if (packable(types[i]))
            groups[{types[i].dtype, types[i].shape[2], types[i].shape[3]}].push_back(i);
    std::vector<size_t> best;
    for (const auto& [key, members] : groups)
        if (members.size() >= 2 && (members.size() > best.size() ||
                                    (members.size() == best.size() && members[0] < best[0])))
            best = members;
    return best;
}

TensorType packedType(const std::vector<TensorType>& members) {
    TensorType type = members.front();
    type.shape[1] = 0;
    for (const TensorType& member : members)
        type.shape[1] += member.shape[1];
    return type;
}

std::vector<PackedMember> membersOf(const std::vector<std::string>& names,
                                    const std::vector<TensorType>& types,
                                    const std::vector<size_t>& group) {
    std::vector<PackedMember> members;
    int64_t offset = 0;
    for (size_t index : group) {
        members.push_back({names[index], types[index], offset, index});
        offset += types[index].shape[1];
    }
    return members;
}

std::string unusedName(const Kernel& kernel, const std::string& base) {
    std::set<std::string> used;
    for (const auto& input : kernel.inputs)
        used.insert(input->name);
    for (const ir::KernelOutput& output : kernel.outputs)
        used.insert(output.name);
    std::string name = base;
    for (int suffix = 1; used.count(name); ++suffix)
        name = base + "_" + std::to_string(suffix);
    return name;
}

std::string castTarget(const Op& op) {
    const std::string* dtype = op.kind() == "cast" ? op.attr<std::string>("dtype") : nullptr;
    return dtype ? *dtype : std::string();
}

Value* expect(Expected<Value*> value) {
    if (!value) throw Error("pack-io: " + value.error());
    return *value;
}

class KernelPacker {
  public:
    KernelPacker(Kernel& kernel, const PackIoOptions& options)
        : kernel_(kernel), options_(options) {}

    size_t run() {
        if (!kernel_.packing.empty()) return 0; // already packed (e.g. read back from MIL)
        size_t changes = 0;
        if (options_.packInputs) changes += packInputs();
        if (options_.packOutputs) changes += packOutputs();
        return changes;
    }

  private:
    size_t packInputs() {
        std::vector<std::string> names;
        std::vector<TensorType> types;
        for (const auto& input : kernel_.inputs) {
            names.push_back(input->name);
            types.push_back(input->type);
        }
        std::vector<size_t> group = largestGroup(types);
        if (group.empty()) return 0;
        std::vector<Value*> members;
        std::vector<TensorType> memberTypes;
        for (size_t index : group) {
            members.push_back(kernel_.inputs[index].get());
            memberTypes.push_back(types[index]);
        }
        PackedIo packed{PackedIo::Direction::Input, unusedName(kernel_, "packed_in"),
                        membersOf(names, types, group)};

        // The packed input takes the place of the first member; the others leave the list.
        auto packedValue = std::make_unique<Value>(packedType(memberTypes), packed.name);
        Value* source = packedValue.get();
        std::vector<std::unique_ptr<Value>> removed;
        std::vector<std::unique_ptr<Value>> inputs;
        for (size_t i = 0; i < kernel_.inputs.size(); ++i) {
            if (i == group.front()) inputs.push_back(std::move(packedValue));
            bool member = std::find(group.begin(), group.end(), i) != group.end();
            (member ? removed : inputs).push_back(std::move(kernel_.inputs[i]));
        }
        kernel_.inputs = std::move(inputs);

        ir::Builder builder(kernel_, kernel_.ops.begin());
        std::string castTo = commonEntryCast(members);
        if (!castTo.empty())
            source = expect(builder.createValue("cast", {source}, {{"dtype", castTo}}, kernel_.loc,
                                                packed.name + "16"));
        for (size_t i = 0; i < members.size(); ++i) {
            Value* member = members[i];
            const PackedMember& layout = packed.members[i];
            std::vector<int64_t> size = layout.type.shape;
            std::vector<Value*> targets{member};
            std::string valueName = member->name;
            if (!castTo.empty()) {
                targets = entryCasts(member);
                valueName = targets.front()->name;
            }
            Value* slice = expect(builder.createValue(
                "slice_by_size", {source},
                {{"begin", std::vector<int64_t>{0, layout.channelOffset, 0, 0}}, {"size", size}},
                kernel_.loc, valueName));
            for (Value* target : targets)
                kernel_.replaceAllUses(target, slice);
        }
        if (!castTo.empty()) // the member casts are unused now
            kernel_.ops.remove_if([&](const std::unique_ptr<Op>& op) {
                return !op->operands.empty() &&
                       std::find(members.begin(), members.end(), op->operands[0]) != members.end();
            });
        kernel_.packing.push_back(std::move(packed));
        return members.size();
    }

    // The results of the casts reading `input`.
    std::vector<Value*> entryCasts(const Value* input) const {
        std::vector<Value*> casts;
        for (const auto& op : kernel_.ops)
            if (!op->operands.empty() && op->operands[0] == input) casts.push_back(op->result());
        return casts;
    }

    // The dtype every member is cast to when the members' only uses are such casts, else "".
    std::string commonEntryCast(const std::vector<Value*>& members) const {
        std::string target;
        for (const Value* member : members) {
            size_t casts = 0;
            for (const auto& op : kernel_.ops) {
                bool uses = std::find(op->operands.begin(), op->operands.end(), member) !=
                            op->operands.end();
                if (!uses) continue;
                std::string to = castTarget(*op);
                if (to.empty() || op->operands.size() != 1 || (!target.empty() && to != target))
                    return "";
                target = to;
                ++casts;
            }
            for (const ir::KernelOutput& output : kernel_.outputs)
                if (output.value == member) return "";
            if (casts == 0) return "";
        }
        return target;
    }

    size_t packOutputs() {
        std::vector<std::string> names;
        std::vector<TensorType> types;
        for (const ir::KernelOutput& output : kernel_.outputs) {
            names.push_back(output.name);
            types.push_back(output.value ? output.value->type : TensorType{});
        }
        std::vector<size_t> group = largestGroup(types);
        if (group.empty()) return 0;
        PackedIo packed{PackedIo::Direction::Output, unusedName(kernel_, "packed_out"),
                        membersOf(names, types, group)};

        // fp32 outputs that are all exit casts of one dtype: concatenate before the cast.
        std::vector<Value*> values;
        std::string castTo;
        bool allCasts = true;
        ir::DType castFrom{};
        for (size_t n = 0; n < group.size(); ++n) {
            const Value* value = kernel_.outputs[group[n]].value;
            const Op* op = value->definingOp;
            bool cast = op && !castTarget(*op).empty() &&
                        (n == 0 || op->operands[0]->type.dtype == castFrom);
            if (cast && n == 0) castFrom = op->operands[0]->type.dtype;
            allCasts = allCasts && cast;
        }
        for (size_t index : group) {
            Value* value = kernel_.outputs[index].value;
            if (allCasts) {
                value = value->definingOp->operands[0];
                if (value->name.empty()) value->name = names[index]; // keeps the MIL readable
            }
            values.push_back(value);
        }
        if (allCasts) castTo = std::string(ir::dtypeName(types[group[0]].dtype));

        ir::Builder builder(kernel_);
        Value* packedValue = expect(
            builder.createValue("concat", values, {{"axis", int64_t{1}}, {"interleave", false}},
                                kernel_.loc, castTo.empty() ? packed.name : packed.name + "16"));
        if (!castTo.empty())
            packedValue = expect(builder.createValue("cast", {packedValue}, {{"dtype", castTo}},
                                                     kernel_.loc, packed.name));

        std::vector<ir::KernelOutput> outputs;
        for (size_t i = 0; i < kernel_.outputs.size(); ++i) {
            if (i == group.front()) outputs.push_back({packed.name, packedValue, kernel_.loc});
            if (std::find(group.begin(), group.end(), i) == group.end())
                outputs.push_back(kernel_.outputs[i]);
        }
        kernel_.outputs = std::move(outputs);
        kernel_.packing.push_back(std::move(packed));
        return group.size();
    }

    Kernel& kernel_;
    const PackIoOptions& options_;
};

// Why the slices and the concat packing adds are worth it.
std::string packingReason(const Kernel& kernel) {
    std::string packed;
    for (const PackedIo& io : kernel.packing) {
        bool input = io.direction == PackedIo::Direction::Input;
        packed += (packed.empty() ? "" : " and ") + std::to_string(io.members.size()) +
                  (input ? " inputs into '" : " outputs into '") + io.name + "' (" +
                  (input ? "sliced apart" : "concatenated") + ")";
    }
    return "packed " + packed + ": one surface to bind instead of several (rules 1-5)";
}

class PackIoPass : public KernelPass {
  public:
    explicit PackIoPass(PackIoOptions options) : options_(options) {}
    std::string name() const override { return "pack-io"; }
    std::string description() const override {
        return "pack inputs (outputs) of equal spatial size into one tensor: one bound surface";
    }
    size_t runOnKernel(ir::Kernel& kernel, DiagnosticEngine&) override {
        Footprint before = measureFootprint(kernel);
        size_t changes = KernelPacker(kernel, options_).run();
        if (changes > 0) remarkIfGrown(kernel, before, packingReason(kernel));
        return changes;
    }

  private:
    PackIoOptions options_;
};
} // namespace

std::unique_ptr<Pass> createPackIoPass(PackIoOptions options) {
    return std::make_unique<PackIoPass>(options);
}

} // namespace anec::passes
