#include "passes/conv_fusion_utils.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace anec::passes::fusion {

using ir::ConstData;
using ir::Kernel;
using ir::Op;

const ConstData* plainConvWeight(const Op& op) {
    if (op.kind() != "conv" || op.operands.size() < 2) return nullptr;
    // A biased conv is left alone: the fusions would have to carry the bias along.
    if (op.operands.size() > 2 && op.operands[2]) return nullptr;
    const int64_t* groups = op.attr<int64_t>("groups");
    if (!groups || *groups != 1) return nullptr;
    const ir::Value* weight = op.operands[1];
    if (!weight || !weight->definingOp || !weight->definingOp->isConst()) return nullptr;
    const ConstData* data = weight->definingOp->constData.get();
    if (!data || data->type().rank() != 4 || !data->type().isStatic()) return nullptr;
    return data;
}

bool sameConvWindow(const Op& a, const Op& b) {
    const ConstData* wa = plainConvWeight(a);
    const ConstData* wb = plainConvWeight(b);
    if (!wa || !wb || a.attrs != b.attrs) return false;
    const ir::Shape& sa = wa->type().shape;
    const ir::Shape& sb = wb->type().shape;
    return wa->type().dtype == wb->type().dtype && sa[2] == sb[2] && sa[3] == sb[3];
}

ConstData concatWeights(const std::vector<const ConstData*>& weights, size_t axis) {
    if (weights.empty() || axis > 1) throw std::logic_error("concatWeights: bad arguments");
    const ir::TensorType& first = weights[0]->type();
    const size_t elementSize = ir::dtypeSize(first.dtype);
    const int64_t window = first.shape[2] * first.shape[3];
    ir::Shape shape = first.shape;
    shape[axis] = 0;
    for (const ConstData* weight : weights)
        shape[axis] += weight->type().shape[axis];
    std::vector<uint8_t> bytes;
    bytes.reserve(static_cast<size_t>(ir::TensorType{first.dtype, shape}.byteSize()));
    if (axis == 0) {
        for (const ConstData* weight : weights)
            bytes.insert(bytes.end(), weight->bytes().begin(), weight->bytes().end());
    } else {
        // Row o of the result is row o of every weight, one after the other.
        for (int64_t o = 0; o < shape[0]; ++o) {
            for (const ConstData* weight : weights) {
                const size_t row =
                    static_cast<size_t>(weight->type().shape[1] * window) * elementSize;
                auto begin = weight->bytes().begin() + static_cast<std::ptrdiff_t>(o * row);
                bytes.insert(bytes.end(), begin, begin + static_cast<std::ptrdiff_t>(row));
            }
        }
    }
    return ConstData({first.dtype, shape}, std::move(bytes));
}

std::string joinedBlobName(const std::vector<const ConstData*>& weights) {
    std::string joined;
    for (size_t i = 0; i < weights.size(); ++i)
        joined += (i ? "_" : "") + (weights[i]->blobName.empty() ? "w" : weights[i]->blobName);
    return joined;
}

std::string uniqueBlobName(const Kernel& kernel, const std::string& base) {
    std::set<std::string> taken;
    for (const auto& op : kernel.ops)
        if (op->isConst() && op->constData && !op->constData->blobName.empty() &&
            kernel.useCount(op->result()) > 0)
            taken.insert(op->constData->blobName);
    std::string name = base;
    for (int suffix = 2; taken.count(name); ++suffix)
        name = base + "_" + std::to_string(suffix);
    return name;
}

ir::Value* createWeight(ir::Builder& builder, const Op& before, ConstData data,
                        const std::string& blobName, SourceLoc loc) {
    for (const auto& op : builder.kernel().ops) {
        if (op.get() == &before) break;
        if (!op->isConst() || !op->constData || !(*op->constData == data)) continue;
        const std::string& name = op->constData->blobName;
        if (name == blobName ||
            (name.starts_with(blobName + "_") &&
             name.find_first_not_of("0123456789", blobName.size() + 1) == std::string::npos))
            return op->result();
    }
    data.blobName = uniqueBlobName(builder.kernel(), blobName);
    std::string name = data.blobName;
    ir::Value* value = builder.createConst(std::make_shared<ConstData>(std::move(data)), loc, name);
    value->name = name;
    return value;
}

void eraseReplaced(Kernel& kernel, const std::vector<Op*>& ops) {
    std::set<const Op*> doomed(ops.begin(), ops.end());
    std::vector<Op*> producers;
    for (Op* op : ops)
        for (ir::Value* operand : op->operands)
            if (operand && operand->definingOp && !doomed.count(operand->definingOp))
                producers.push_back(operand->definingOp);
    kernel.ops.remove_if([&](const std::unique_ptr<Op>& op) { return doomed.count(op.get()); });
    // Producers made dead by the rewrite: the slices and weights of the replaced convs.
    // A producer may appear several times (a split feeding two convs): erase each once.
    for (Op* producer : std::set<Op*>(producers.begin(), producers.end())) {
        auto at = positionOf(kernel, producer);
        if (at == kernel.ops.end()) continue;
        const std::string& kind = producer->kind();
        if (kind != "const" && kind != "slice_by_size" && kind != "slice_by_index" &&
            kind != "split")
            continue;
        bool used = false;
        for (const auto& result : producer->results)
            used = used || kernel.useCount(result.get()) > 0;
        if (!used) kernel.ops.erase(at);
    }
}

std::list<std::unique_ptr<Op>>::iterator positionOf(Kernel& kernel, const Op* op) {
    return std::find_if(
        kernel.ops.begin(), kernel.ops.end(),
        [&](const std::unique_ptr<Op>& candidate) { return candidate.get() == op; });
}

} // namespace anec::passes::fusion
