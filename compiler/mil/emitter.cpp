// IR kernel -> MIL text in the seed's style, weight blobs and the program.json description.
#include "mil/emitter.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>

#include "ir/op_registry.hpp"
#include "mil/blob.hpp"
#include "mil/literals.hpp"
#include "mil/names.hpp"
#include "support/diagnostics.hpp"

namespace anec::mil {

namespace {
constexpr std::string_view kBuildInfo =
    R"([buildInfo = dict<string, string>({{"coremlc-component-MIL", "3510.2.1"}, )"
    R"({"coremlc-version", "3505.4.1"}, {"coremltools-component-milinternal", ""}, )"
    R"({"coremltools-version", "9.0"}})])";
constexpr std::string_view kSingleWeightFile = "weights/weight.bin";
constexpr std::string_view kStatementIndent = "        ";

std::string_view programVersion(Opset opset) {
    return opset == Opset::iOS18 ? "1.3" : "1.0";
}

int opsetIosVersion(Opset opset) {
    switch (opset) {
    case Opset::iOS16:
        return 16;
    case Opset::iOS17:
        return 17;
    case Opset::iOS18:
        return 18;
    }
    return 18;
}

std::string nameAttr(const std::string& name) {
    return "[name = string(" + quoteString(name) + ")]";
}

nlohmann::json shapeJson(const ir::TensorType& type) {
    nlohmann::json shape = nlohmann::json::array();
    for (int64_t d : type.shape)
        shape.push_back(d);
    return shape;
}

nlohmann::json tensorJson(const std::string& name, const ir::TensorType& type, size_t index) {
    return {{"name", name},
            {"dtype", std::string(ir::dtypeName(type.dtype))},
            {"shape", shapeJson(type)},
            {"bytes", type.byteSize()},
            {"index", index}};
}

// ANE binds inputs (and outputs) in alphabetical order of their MIL names.
nlohmann::json inBindingOrder(std::vector<nlohmann::json> entries) {
    std::sort(entries.begin(), entries.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
        return a["name"].get<std::string>() < b["name"].get<std::string>();
    });
    return nlohmann::json(std::move(entries));
}

// Attributes whose value means "not given" (see the op definitions) are left out of the call:
// empty lists with an empty default (slice masks and strides, reduction axes: MIL's defaults), and
// split's num_splits 0 (MIL takes num_splits or split_sizes).
bool isUnsetAttribute(const ir::Op& op, const std::string& name, const ir::Attribute& value) {
    const ir::AttrSpec* spec = op.def().findAttr(name);
    if (!spec || !spec->defaultValue || value != *spec->defaultValue) return false;
    if (const auto* list = std::get_if<std::vector<int64_t>>(&value)) return list->empty();
    return op.kind() == "split" && name == "num_splits";
}

struct BlobRef {
    std::string path; // relative to the program directory
    uint64_t offset = 0;
};

// Values kept per constant content: constants with the same dtype and bytes find one entry.
template <typename T> class ByContent {
  public:
    const T* find(const ir::ConstData& data) const {
        auto bucket = entries_.find(keyOf(data));
        if (bucket == entries_.end()) return nullptr;
        for (const auto& [known, value] : bucket->second)
            if (known == &data || known->bytes() == data.bytes()) return &value;
        return nullptr;
    }
    // `data` must outlive this index.
    const T& add(const ir::ConstData& data, T value) {
        return entries_[keyOf(data)].emplace_back(&data, std::move(value)).second;
    }

  private:
    using Key = std::pair<ir::DType, size_t>;
    static Key keyOf(const ir::ConstData& data) { return {data.type().dtype, data.bytes().size()}; }
    std::map<Key, std::vector<std::pair<const ir::ConstData*, T>>> entries_;
};

class ProgramEmitter {
  public:
    ProgramEmitter(const ir::Kernel& kernel, const EmitOptions& options)
        : kernel_(kernel), options_(options) {}

    Program run() {
        reserveInterfaceNames();
        for (const auto& op : kernel_.ops) {
            if (op->isConst())
                emitConst(*op);
            else
                emitOp(*op);
        }
        emitOutputIdentities();
        storeDynamicWeights();

        Program program;
        program.kernelName = kernel_.name;
        program.milText = header() + body_ + footer();
        program.weightFiles = std::move(files_);
        if (singleFile_)
            program.weightFiles.push_back({std::string(kSingleWeightFile), singleFile_->bytes()});
        program.description = describe();
        return program;
    }

  private:
    [[noreturn]] void error(const std::string& message) const {
        throw Error("kernel '" + kernel_.name + "': " + message);
    }

    // Inputs and outputs keep their names; an output whose value is the result of an ordinary op
    // (the first output naming it) gives that value its name, any other output needs an identity.
    void reserveInterfaceNames() {
        for (const auto& input : kernel_.inputs) {
            if (!isMilIdentifier(input->name))
                error("input name '" + input->name + "' is not a valid MIL identifier");
            if (!names_.reserve(input->name)) error("two inputs are named '" + input->name + "'");
            valueNames_[input.get()] = input->name;
        }
        for (const ir::KernelOutput& output : kernel_.outputs) {
            if (!output.value) error("output '" + output.name + "' is never assigned");
            if (!isMilIdentifier(output.name))
                error("output name '" + output.name + "' is not a valid MIL identifier");
            if (!names_.reserve(output.name))
                error("output name '" + output.name + "' is already used by an input or output");
            bool direct = !output.value->isKernelInput() && !output.value->definingOp->isConst() &&
                          !outputNameOf_.count(output.value);
            if (direct) outputNameOf_[output.value] = output.name;
        }
    }

    std::string hintFor(const ir::Op& op, const ir::Value& value) {
        if (!value.name.empty()) return value.name;
        if (!op.name.empty()) return op.name;
        return op.kind() + "_" + std::to_string(kindCounters_[op.kind()]++);
    }

    const std::string& nameResult(const ir::Op& op, const ir::Value* value) {
        auto output = outputNameOf_.find(value);
        std::string name = output != outputNameOf_.end()
                               ? output->second
                               : names_.unique(hintFor(op, *value), op.kind());
        return valueNames_[value] = name;
    }

    const std::string& nameOf(const ir::Value* value, const ir::Op& user) const {
        auto it = valueNames_.find(value);
        if (it == valueNames_.end())
            error("internal error: an operand of '" + user.kind() +
                  "' is used before it is defined");
        return it->second;
    }

    void statement(const std::string& text) {
        body_ += kStatementIndent;
        body_ += text;
        body_ += ";\n";
    }

    void emitConst(const ir::Op& op) {
        if (!op.constData) error("internal error: a const op has no value");
        const ir::ConstData& data = *op.constData;
        const std::string& name = nameResult(op, op.result());
        std::string value;
        if (storedInBlob(data)) {
            BlobRef blob = storeBlob(data, data.blobName.empty() ? name : data.blobName, name);
            value = data.type().milStr() + "(BLOBFILE(path = string(" +
                    quoteString("@model_path/" + blob.path) + "), offset = uint64(" +
                    std::to_string(blob.offset) + ")))";
        } else {
            value = inlineConstValue(data);
        }
        statement(op.result()->type.milStr() + " " + name + " = const()" + "[name = string(" +
                  quoteString(name) + "), val = " + value + "]");
    }

    // Writes `data` into the single weight file, or into weights/<fileStem()>.bin of its own, at
    // the target's alignment.
    BlobRef writeBlob(const ir::ConstData& data, const std::function<std::string()>& fileStem) {
        if (options_.singleWeightFile) {
            if (!singleFile_) singleFile_.emplace(options_.blobAlignment);
            return {std::string(kSingleWeightFile), singleFile_->add(data)};
        }
        BlobWriter writer(options_.blobAlignment);
        BlobRef blob{"weights/" + fileStem() + ".bin", writer.add(data)};
        files_.push_back({blob.path, writer.bytes()});
        return blob;
    }

    // The blob holding `data`: an earlier one with the same contents, or a new one.
    BlobRef storeBlob(const ir::ConstData& data, const std::string& stem,
                      const std::string& varName) {
        if (const BlobRef* known = blobs_.find(data)) return *known;
        if (!blobDTypeFor(data.type().dtype))
            error("weight '" + stem + "' of type " + data.type().str() +
                  " cannot be stored in a weight blob");
        BlobRef blob = writeBlob(data, [&] { return fileNames_.unique(stem, "weight"); });
        weights_.push_back({{"name", varName},
                            {"path", blob.path},
                            {"offset", blob.offset},
                            {"dtype", std::string(ir::dtypeName(data.type().dtype))},
                            {"shape", shapeJson(data.type())},
                            {"bytes", data.type().byteSize()}});
        return blobs_.add(data, blob);
    }

    // The initial values of dynamic weights (kernel inputs given at run time): the MIL text never
    // refers to them; program.json lists them under "dynamic_weights" {"name", "path", "offset",
    // "dtype", "shape"} so that loaders can run the program without a caller value.
    void storeDynamicWeights() {
        for (const ir::DynamicWeight& weight : kernel_.dynamicWeights) {
            if (!weight.initial) error("dynamic weight '" + weight.name + "' has no initial value");
            const ir::ConstData& data = *weight.initial;
            if (!blobDTypeFor(data.type().dtype))
                error("dynamic weight '" + weight.name + "' of type " + data.type().str() +
                      " cannot be stored in a weight blob");
            const BlobRef* known = blobs_.find(data);
            BlobRef blob = known ? *known : blobs_.add(data, writeBlob(data, [&] {
                                                           // weights/W.init.bin: never a const's
                                                           // file name (those are MIL identifiers).
                                                           std::string stem = weight.name + ".init";
                                                           return fileNames_.reserve(stem)
                                                                      ? stem
                                                                      : fileNames_.unique(
                                                                            weight.name + "_init");
                                                       }));
            dynamicWeights_.push_back({{"name", weight.name},
                                       {"path", blob.path},
                                       {"offset", blob.offset},
                                       {"dtype", std::string(ir::dtypeName(data.type().dtype))},
                                       {"shape", shapeJson(data.type())}});
        }
    }

    // Arguments by MIL parameter name: operands (variadic ones as a tuple, absent optional ones
    // left out), then each attribute as a const of its own.
    void emitOp(const ir::Op& op) {
        if (op.def().sinceIos > opsetIosVersion(options_.opset))
            error(op.kind() + " needs opset ios" + std::to_string(op.def().sinceIos) +
                  " or later (building for " + std::string(opsetName(options_.opset)) +
                  "): use --opset ios18, or --target, whose legalization decomposes it");
        std::vector<std::pair<std::string, std::string>> args;
        const auto& specs = op.def().operands;
        for (size_t i = 0; i < specs.size() && i < op.operands.size(); ++i) {
            if (specs[i].arity == ir::OperandArity::Variadic) {
                std::string tuple = "(";
                for (size_t j = i; j < op.operands.size(); ++j)
                    tuple += (j > i ? ", " : "") + nameOf(op.operands[j], op);
                args.emplace_back(specs[i].name, tuple + ")");
                break;
            }
            if (op.operands[i]) args.emplace_back(specs[i].name, nameOf(op.operands[i], op));
        }

        std::vector<std::string> resultNames;
        for (const auto& result : op.results)
            resultNames.push_back(nameResult(op, result.get()));
        if (resultNames.empty()) error("internal error: '" + op.kind() + "' has no result");
        const std::string& opName = resultNames.front();

        ir::DType floatDType =
            !op.operands.empty() && op.operands[0] ? op.operands[0]->type.dtype : ir::DType::Fp32;
        for (const auto& [attrName, attr] : op.attrs) {
            if (isUnsetAttribute(op, attrName, attr)) continue;
            const ir::AttrSpec* spec = op.def().findAttr(attrName);
            MilConstValue constant =
                attributeConst(attr, spec ? spec->kind : defaultAttrKind(attr), floatDType);
            std::string constName = names_.unique(opName + "_" + attrName, attrName);
            statement(constant.type + " " + constName + " = const()[name = string(" +
                      quoteString(constName) + "), val = " + constant.value + "]");
            args.emplace_back(attrName, constName);
        }
        std::stable_sort(args.begin(), args.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });

        std::string lhs;
        for (size_t i = 0; i < op.results.size(); ++i)
            lhs += (i ? ", " : "") + op.result(i)->type.milStr() + " " + resultNames[i];
        if (op.results.size() > 1) lhs = "(" + lhs + ")";
        std::string call = op.kind() + "(";
        for (size_t i = 0; i < args.size(); ++i)
            call += (i ? ", " : "") + args[i].first + " = " + args[i].second;
        statement(lhs + " = " + call + ")" + nameAttr(opName));
    }

    void emitOutputIdentities() {
        for (const ir::KernelOutput& output : kernel_.outputs) {
            auto direct = outputNameOf_.find(output.value);
            if (direct != outputNameOf_.end() && direct->second == output.name) continue;
            auto source = valueNames_.find(output.value);
            if (source == valueNames_.end())
                error("internal error: output '" + output.name + "' is not defined by the kernel");
            statement(output.value->type.milStr() + " " + output.name +
                      " = identity(x = " + source->second + ")" + nameAttr(output.name));
        }
    }

    std::string header() const {
        std::string version = options_.programVersion.empty()
                                  ? std::string(programVersion(options_.opset))
                                  : options_.programVersion;
        std::string out = "program(" + version + ")\n";
        out += std::string(kBuildInfo) + "\n{\n";
        out += "    func main<" + std::string(opsetName(options_.opset)) + ">(";
        for (size_t i = 0; i < kernel_.inputs.size(); ++i)
            out +=
                (i ? ", " : "") + kernel_.inputs[i]->type.milStr() + " " + kernel_.inputs[i]->name;
        return out + ") {\n";
    }

    std::string footer() const {
        std::string out = "    } -> (";
        for (size_t i = 0; i < kernel_.outputs.size(); ++i)
            out += (i ? ", " : "") + kernel_.outputs[i].name;
        return out + ");\n}\n";
    }

    nlohmann::json describe() const {
        std::vector<nlohmann::json> inputs, outputs;
        for (size_t i = 0; i < kernel_.inputs.size(); ++i)
            inputs.push_back(tensorJson(kernel_.inputs[i]->name, kernel_.inputs[i]->type, i));
        for (size_t i = 0; i < kernel_.outputs.size(); ++i)
            outputs.push_back(
                tensorJson(kernel_.outputs[i].name, kernel_.outputs[i].value->type, i));
        nlohmann::json description = {{"kernel", kernel_.name},
                                      {"opset", std::string(opsetName(options_.opset))},
                                      {"inputs", inBindingOrder(std::move(inputs))},
                                      {"outputs", inBindingOrder(std::move(outputs))},
                                      {"weights", nlohmann::json(weights_)}};
        if (!kernel_.packing.empty()) description["packing"] = packingJson();
        if (!dynamicWeights_.empty()) description["dynamic_weights"] = dynamicWeights_;
        if (!kernel_.legalizedFor.empty()) description["target"] = kernel_.legalizedFor;
        markHostConversions(description);
        return description;
    }

    // "host_dtype": "fp32" on each input/output entry (or packing member) that callers pass or
    // receive as fp32 while the program binds fp16 (Kernel::hostConversions).
    void markHostConversions(nlohmann::json& description) const {
        for (const ir::HostConversion& conversion : kernel_.hostConversions) {
            bool input = conversion.direction == ir::PackedIo::Direction::Input;
            auto mark = [&](nlohmann::json& entries) {
                for (nlohmann::json& entry : entries)
                    if (entry["name"] == conversion.name)
                        entry["host_dtype"] = std::string(ir::dtypeName(conversion.callerDType));
            };
            mark(description[input ? "inputs" : "outputs"]);
            if (description.contains("packing"))
                for (auto& [packed, members] : description["packing"].items())
                    if (ir::findPacked(kernel_, conversion.direction, packed)) mark(members);
        }
    }

    // {"packed_in": [{"name", "dtype", "shape", "channel_offset", "channels", "byte_offset",
    // "index"}, ...], ...}: the original tensors inside each packed input/output.
    nlohmann::json packingJson() const {
        nlohmann::json packing = nlohmann::json::object();
        for (const ir::PackedIo& packed : kernel_.packing) {
            nlohmann::json members = nlohmann::json::array();
            for (const ir::PackedMember& member : packed.members) {
                const ir::Shape& shape = member.type.shape;
                int64_t channelBytes = shape.size() == 4 ? shape[2] * shape[3] : 0;
                channelBytes *= static_cast<int64_t>(ir::dtypeSize(member.type.dtype));
                members.push_back({{"name", member.name},
                                   {"dtype", std::string(ir::dtypeName(member.type.dtype))},
                                   {"shape", shapeJson(member.type)},
                                   {"channel_offset", member.channelOffset},
                                   {"channels", shape.size() == 4 ? shape[1] : 0},
                                   {"byte_offset", member.channelOffset * channelBytes},
                                   {"index", member.index}});
            }
            packing[packed.name] = std::move(members);
        }
        return packing;
    }

    const ir::Kernel& kernel_;
    const EmitOptions& options_;
    NameTable names_;
    NameTable fileNames_{/*caseInsensitive=*/true};
    std::unordered_map<const ir::Value*, std::string> valueNames_;
    std::unordered_map<const ir::Value*, std::string> outputNameOf_;
    std::map<std::string, int> kindCounters_;
    std::string body_;
    std::vector<WeightFile> files_;
    std::optional<BlobWriter> singleFile_;
    ByContent<BlobRef> blobs_;
    std::vector<nlohmann::json> weights_;
    std::vector<nlohmann::json> dynamicWeights_;
};
} // namespace

bool storedInBlob(const ir::ConstData& data) {
    return !data.blobName.empty() ||
           (data.numElements() > kMaxInlineElements && blobDTypeFor(data.type().dtype));
}

uint64_t blobBytes(const ir::Kernel& kernel, const std::function<bool(const ir::Op&)>& includes) {
    ByContent<bool> stored;
    uint64_t total = 0;
    auto count = [&](const ir::ConstData& data) {
        if (stored.find(data)) return;
        stored.add(data, true);
        total += data.bytes().size();
    };
    for (const auto& op : kernel.ops)
        if (op->isConst() && op->constData && storedInBlob(*op->constData) &&
            (!includes || includes(*op)))
            count(*op->constData);
    for (const ir::DynamicWeight& weight : kernel.dynamicWeights)
        if (weight.initial) count(*weight.initial);
    return total;
}

Program emitProgram(const ir::Kernel& kernel, const EmitOptions& options) {
    return ProgramEmitter(kernel, options).run();
}

} // namespace anec::mil
