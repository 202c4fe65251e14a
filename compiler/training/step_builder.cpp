#include "training/step_builder.hpp"

#include <algorithm>
#include <map>

#include "autodiff/grad.hpp"
#include "ir/builder.hpp"
#include "ir/clone.hpp"
#include "training/optimizer_ops.hpp"

namespace anec::training {

namespace {

using ir::StepPhase;
using ir::StepTensorRole;

// The non-weight inputs of a kernel (the batch, the activation, the targets), in order.
std::vector<const ir::Value*> dataInputs(const ir::Kernel& kernel) {
    std::vector<const ir::Value*> inputs;
    for (const auto& input : kernel.inputs)
        if (!kernel.findDynamicWeight(input->name)) inputs.push_back(input.get());
    return inputs;
}

uint64_t weightBytes(const ir::Kernel& kernel) {
    uint64_t bytes = 0;
    for (const ir::DynamicWeight& weight : kernel.dynamicWeights)
        bytes += static_cast<uint64_t>(weight.initial->type().byteSize());
    return bytes;
}

ir::Value* findInput(ir::Kernel& kernel, const std::string& name) {
    for (const auto& input : kernel.inputs)
        if (input->name == name) return input.get();
    return nullptr;
}

// The kernels run one after the other in one kernel: each one's first data input takes the
// previous one's output; every other input (weights, targets) is an input, shared by name.
Expected<std::unique_ptr<ir::Kernel>> chain(const std::vector<const ir::Kernel*>& parts,
                                            const std::string& name) {
    auto kernel = std::make_unique<ir::Kernel>();
    kernel->name = name;
    kernel->loc = parts.front()->loc;
    ir::Value* carried = nullptr;
    for (const ir::Kernel* part : parts) {
        ir::ValueMap mapping;
        bool fed = carried == nullptr;
        for (const auto& input : part->inputs) {
            if (!fed && !part->findDynamicWeight(input->name)) {
                mapping[input.get()] = carried;
                fed = true;
                continue;
            }
            ir::Value* shared = findInput(*kernel, input->name);
            if (shared && shared->type != input->type)
                return fail("input '" + input->name + "' of kernel '" + part->name + "' is " +
                            input->type.str() + " but " + shared->type.str() +
                            " in an earlier one");
            mapping[input.get()] = shared ? shared : kernel->addInput(input->name, input->type);
        }
        auto copied = ir::cloneOpsInto(*part, *kernel, mapping);
        if (!copied) return fail("cannot copy kernel '" + part->name + "': " + copied.error());
        carried = mapping.at(part->outputs.front().value);
        for (const ir::DynamicWeight& weight : part->dynamicWeights)
            if (!kernel->findDynamicWeight(weight.name)) kernel->dynamicWeights.push_back(weight);
    }
    for (const ir::KernelOutput& output : parts.back()->outputs)
        kernel->outputs.push_back({output.name, carried, output.loc});
    return kernel;
}

// Multiply-adds per result element of a matmul or conv (0 for other ops).
int64_t contraction(const ir::Op& op) {
    if (op.operands.size() < 2 || !op.operands[0] || !op.operands[1]) return 0;
    if (op.kind() == "matmul") {
        const ir::Shape& x = op.operands[0]->type.shape;
        const bool* transposed = op.attr<bool>("transpose_x");
        if (x.size() < 2) return x.empty() ? 1 : x[0];
        return transposed && *transposed ? x[x.size() - 2] : x.back();
    }
    if (op.kind() == "conv") {
        const ir::Shape& w = op.operands[1]->type.shape;
        int64_t k = 1;
        for (size_t d = 1; d < w.size(); ++d)
            k *= w[d];
        return k;
    }
    return 0;
}

// A forward value is saved for the backward instead of recomputed when recomputing costs more
// than moving it: 2K FLOPs per element against 4 bytes (an fp16 written and read back) at the
// ANE's ~155 FLOPs per byte of memory bandwidth (M4: ~18.6 TFLOPS fp16 over ~120 GB/s), so for
// products contracting more than ~310 elements (a 768-wide projection, not a 64-wide head).
constexpr int64_t kTapMinContraction = 310;

std::vector<const ir::Value*> chooseTaps(const ir::Kernel& chained) {
    std::vector<const ir::Value*> taps;
    for (const auto& op : chained.ops) {
        if (op->results.size() != 1 || contraction(*op) < kTapMinContraction) continue;
        const ir::Value* value = op->results[0].get();
        bool output = false;
        for (const ir::KernelOutput& out : chained.outputs)
            output = output || out.value == value;
        if (!output && ir::isFloat(value->type.dtype)) taps.push_back(value);
    }
    return taps;
}

// The value of `kernel` at the place of `value` in `like` (a clone: the same ops in order).
ir::Value* sameValueIn(const ir::Kernel& like, const ir::Value* value, const ir::Kernel& kernel) {
    auto op = kernel.ops.begin();
    for (auto it = like.ops.begin(); it != like.ops.end(); ++it, ++op)
        for (size_t r = 0; r < (*it)->results.size(); ++r)
            if ((*it)->results[r].get() == value) return (*op)->results[r].get();
    return nullptr;
}

ir::TensorType fp32Like(const ir::TensorType& type) {
    return {ir::DType::Fp32, type.shape};
}

class StepBuilder {
  public:
    explicit StepBuilder(const StepSpec& spec) : spec_(spec) {}

    Expected<BuiltStep> build() {
        if (auto checked = check(); !checked) return fail(checked.error());
        step_.name = spec_.name;
        step_.optimizer = spec_.optimizer;
        step_.microBatches = spec_.microBatches;
        step_.hostUpdate = spec_.hostUpdate;
        fusedUpdate_ =
            !spec_.hostUpdate && spec_.microBatches == 1 && spec_.optimizer.clipNorm == 0;
        segment();
        if (auto shared = checkWeightsInOneSegment(); !shared) return fail(shared.error());
        addBatchTensors();
        std::vector<std::unique_ptr<ir::Kernel>> chains;
        for (size_t i = 0; i < segments_.size(); ++i) {
            auto chained = chain(segments_[i], kernelName("seg", i));
            if (!chained) return fail(chained.error());
            chains.push_back(std::move(*chained));
        }
        taps_.resize(segments_.size());
        for (size_t i = 0; i + 1 < segments_.size(); ++i) {
            taps_[i] = chooseTaps(*chains[i]);
            if (auto forward = addForward(*chains[i], i); !forward) return fail(forward.error());
        }
        for (size_t i = segments_.size(); i-- > 0;)
            if (auto backward = addBackward(*chains[i], i); !backward)
                return fail(backward.error());
        if (!fusedUpdate_ && !spec_.hostUpdate)
            for (size_t i = segments_.size(); i-- > 0;)
                addUpdate(*chains[i], i);
        auto logits = chain(spec_.stages, spec_.name + "_logits");
        if (!logits) return fail(logits.error());
        step_.logitsProgram = (*logits)->name;
        kernels_.push_back(std::move(*logits));
        return BuiltStep{std::move(kernels_), std::move(step_), std::move(warnings_)};
    }

  private:
    Expected<bool> check() const {
        if (spec_.stages.empty()) return fail("the model has no stages");
        if (!spec_.loss) return fail("no loss kernel");
        for (size_t i = 0; i < spec_.stages.size(); ++i) {
            const ir::Kernel& stage = *spec_.stages[i];
            if (stage.outputs.size() != 1)
                return fail("stage '" + stage.name + "' has " +
                            std::to_string(stage.outputs.size()) +
                            " outputs; each stage of the model passes one tensor on");
            if (i == 0) continue;
            auto inputs = dataInputs(stage);
            const ir::TensorType& carried = spec_.stages[i - 1]->outputs[0].value->type;
            if (inputs.size() != 1)
                return fail("stage '" + stage.name + "' takes " + std::to_string(inputs.size()) +
                            " inputs besides weights; a stage after the first takes just the "
                            "previous stage's output");
            if (inputs[0]->type != carried)
                return fail("stage '" + stage.name + "' takes " + inputs[0]->type.str() +
                            ", but '" + spec_.stages[i - 1]->name + "' gives " + carried.str());
        }
        const ir::Kernel& loss = *spec_.loss;
        auto inputs = dataInputs(loss);
        const ir::TensorType& logits = spec_.stages.back()->outputs[0].value->type;
        if (inputs.empty() || inputs[0]->type != logits)
            return fail("the loss kernel '" + loss.name + "' must take the model's output " +
                        logits.str() + " first");
        if (loss.outputs.size() != 1 || !ir::isFloat(loss.outputs[0].value->type.dtype) ||
            loss.outputs[0].value->type.numElements() != 1)
            return fail("the loss kernel '" + loss.name +
                        "' must have one output, a float tensor of one element");
        return true;
    }

    std::string kernelName(const char* what, size_t segment) const {
        return spec_.name + "_" + what + std::to_string(segment);
    }

    // Greedy: a stage joins the current segment while the segment's weights stay within the
    // budget; the loss joins the last one.
    void segment() {
        uint64_t bytes = 0;
        for (const ir::Kernel* stage : spec_.stages) {
            uint64_t stageBytes = weightBytes(*stage);
            if (segments_.empty() || bytes + stageBytes > spec_.segmentWeightBytes) {
                segments_.emplace_back();
                bytes = 0;
            }
            segments_.back().push_back(stage);
            bytes += stageBytes;
        }
        segments_.back().push_back(spec_.loss);
    }

    bool trained(const std::string& weight) const { return !spec_.frozen.count(weight); }

    Expected<bool> checkWeightsInOneSegment() {
        std::map<std::string, size_t> home;
        for (size_t i = 0; i < segments_.size(); ++i)
            for (const ir::Kernel* kernel : segments_[i])
                for (const ir::DynamicWeight& weight : kernel->dynamicWeights) {
                    auto [it, isNew] = home.emplace(weight.name, i);
                    if (isNew) {
                        addTensor(weight.name, weight.initial->type(), StepTensorRole::Weight,
                                  weight.initial);
                        if (trained(weight.name)) addTrained(weight.name, weight.initial->type());
                    } else if (it->second != i && trained(weight.name)) {
                        return fail("weight '" + weight.name +
                                    "' is used by two programs of the "
                                    "step (its stages are in different segments); train it "
                                    "only where it is used once, or freeze it");
                    }
                }
        return true;
    }

    void addTrained(const std::string& weight, const ir::TensorType& type) {
        step_.trained.push_back(weight);
        if (spec_.hostUpdate) {
            addTensor("grad." + weight, fp32Like(type), StepTensorRole::Gradient);
            return;
        }
        for (const std::string& moment : optimizerMoments(spec_.optimizer))
            addTensor(moment + "." + weight, fp32Like(type), StepTensorRole::Moment);
        if (!fusedUpdate_) addTensor("grad." + weight, fp32Like(type), StepTensorRole::Gradient);
        if (!fusedUpdate_ && spec_.optimizer.clipNorm != 0)
            addTensor("sumsq." + weight, {ir::DType::Fp32, {1}}, StepTensorRole::SquaredNorm);
    }

    void addTensor(const std::string& name, const ir::TensorType& type, StepTensorRole role,
                   std::shared_ptr<const ir::ConstData> initial = nullptr) {
        if (step_.find(name)) return;
        step_.tensors.push_back({name, type, role, std::move(initial)});
    }

    void addBatchTensors() {
        for (const ir::Value* input : dataInputs(*spec_.stages.front())) {
            addTensor(input->name, input->type, StepTensorRole::Batch);
            if (step_.tokens.empty()) step_.tokens = input->name;
        }
        auto lossInputs = dataInputs(*spec_.loss);
        for (size_t i = 1; i < lossInputs.size(); ++i) {
            addTensor(lossInputs[i]->name, lossInputs[i]->type, StepTensorRole::Batch);
            if (step_.targets.empty()) step_.targets = lossInputs[i]->name;
        }
        const ir::KernelOutput& loss = spec_.loss->outputs[0];
        step_.loss = loss.name;
        const ir::Shape& logits = lossInputs[0]->type.shape;
        step_.vocabulary = logits.size() > 1 ? logits[1] : 0;
        addTensor(loss.name, loss.value->type, StepTensorRole::Loss);
        addTensor(autodiff::cotangentInputName(loss.name), loss.value->type, StepTensorRole::Seed);
        for (const std::string& scalar : optimizerScalars(spec_.optimizer))
            if (!spec_.hostUpdate)
                addTensor(scalar, {ir::DType::Fp32, {1}}, StepTensorRole::Scalar);
    }

    std::string activation(size_t segment) const { return "act" + std::to_string(segment); }
    // Forward taps: the program I/O name, and the step tensor of segment i's t-th.
    static std::string tapName(size_t t) { return "tap_" + std::to_string(t); }
    static std::string tapTensor(size_t i, size_t t) {
        return "tap" + std::to_string(i) + "." + std::to_string(t);
    }

    // Binds a chain's inputs: the carried activation, weights and batch inputs by name.
    void bindInputs(const ir::Kernel& chained, size_t i, ir::StepDispatch& dispatch) const {
        bool carriedBound = i == 0;
        for (const auto& input : chained.inputs) {
            if (!carriedBound && !chained.findDynamicWeight(input->name)) {
                dispatch.inputs[input->name] = activation(i);
                carriedBound = true;
                continue;
            }
            dispatch.inputs[input->name] = input->name;
        }
    }

    Expected<bool> addForward(const ir::Kernel& chained, size_t i) {
        auto copy = ir::cloneKernel(chained);
        if (!copy) return fail(copy.error());
        (*copy)->name = kernelName("fwd", i);
        ir::StepDispatch dispatch{(*copy)->name, StepPhase::MicroBatch, {}, {}};
        bindInputs(chained, i, dispatch);
        const ir::KernelOutput& out = chained.outputs[0];
        addTensor(activation(i + 1), out.value->type, StepTensorRole::Activation);
        dispatch.outputs[out.name] = activation(i + 1);
        for (size_t t = 0; t < taps_[i].size(); ++t) {
            ir::Value* tap = sameValueIn(chained, taps_[i][t], **copy);
            (*copy)->outputs.push_back({tapName(t), tap, spec_.loc});
            addTensor(tapTensor(i, t), tap->type, StepTensorRole::Activation);
            dispatch.outputs[tapName(t)] = tapTensor(i, t);
        }
        step_.dispatches.push_back(dispatch);
        kernels_.push_back(std::move(*copy));
        return true;
    }

    Expected<bool> addBackward(const ir::Kernel& chained, size_t i) {
        const bool last = i + 1 == segments_.size();
        autodiff::GradSpec spec;
        spec.name = kernelName("bwd", i);
        spec.loc = spec_.loc;
        spec.keepOutputs = last;
        spec.lossScale = last ? spec_.optimizer.lossScale : 1;
        std::string carriedInput;
        if (i > 0) {
            carriedInput = dataInputs(chained)[0]->name;
            spec.wrt.push_back(carriedInput);
        }
        for (const ir::DynamicWeight& weight : chained.dynamicWeights)
            if (trained(weight.name)) spec.wrt.push_back(weight.name);
        for (const std::string& wrt : spec.wrt)
            spec.outputNames.push_back(autodiff::cotangentInputName(wrt));
        for (size_t t = 0; t < taps_[i].size(); ++t) {
            spec.saving.push_back(tapName(t));
            spec.savedValues.push_back(taps_[i][t]);
        }
        autodiff::GradResult result = autodiff::gradKernel(chained, spec);
        if (!result.backward)
            return fail("cannot differentiate '" + chained.name + "': " + result.error);
        ir::Kernel& backward = *result.backward;
        warnings_.insert(warnings_.end(), result.warnings.begin(), result.warnings.end());

        ir::StepDispatch dispatch{backward.name, StepPhase::MicroBatch, {}, {}};
        bindInputs(chained, i, dispatch);
        const ir::KernelOutput& out = chained.outputs[0];
        std::string seed = autodiff::cotangentInputName(out.name);
        dispatch.inputs[seed] = last ? seed : "d_" + activation(i + 1);
        if (last) dispatch.outputs[out.name] = out.name;
        for (size_t t = 0; t < taps_[i].size(); ++t)
            dispatch.inputs[tapName(t)] = tapTensor(i, t);
        if (i > 0) {
            addTensor("d_" + activation(i), findInput(backward, carriedInput)->type,
                      StepTensorRole::Activation);
            dispatch.outputs[autodiff::cotangentInputName(carriedInput)] = "d_" + activation(i);
        }
        UpdateEmitter emitter(backward, spec_.optimizer, spec_.loc);
        for (const ir::DynamicWeight& weight : chained.dynamicWeights)
            if (trained(weight.name)) gradientOut(backward, weight.name, emitter, dispatch);
        for (const UpdateBinding& input : emitter.inputs())
            dispatch.inputs[input.io] = input.tensor;
        for (const UpdateBinding& output : emitter.outputs())
            dispatch.outputs[output.io] = output.tensor;
        ir::removeDeadOps(backward);
        step_.dispatches.push_back(dispatch);
        kernels_.push_back(std::move(result.backward));
        return true;
    }

    // The gradient output d_W of a backward kernel becomes the update of W (fused), or the fp32
    // gradient, accumulated over micro-batches, with its squared norm for clipping.
    void gradientOut(ir::Kernel& backward, const std::string& weight, UpdateEmitter& emitter,
                     ir::StepDispatch& dispatch) {
        std::string name = autodiff::cotangentInputName(weight);
        auto found = std::find_if(backward.outputs.begin(), backward.outputs.end(),
                                  [&](const ir::KernelOutput& o) { return o.name == name; });
        ir::Value* gradient = found->value;
        backward.outputs.erase(found);
        if (fusedUpdate_) {
            emitter.update(weight, findInput(backward, weight), gradient);
            return;
        }
        ir::Builder builder(backward);
        auto value = [&](const std::string& kind, std::vector<ir::Value*> operands,
                         ir::AttrMap attrs = {}) {
            return *builder.createValue(kind, std::move(operands), std::move(attrs), spec_.loc);
        };
        ir::Value* total = gradient->type.dtype == ir::DType::Fp32
                               ? gradient
                               : value("cast", {gradient}, {{"dtype", std::string("fp32")}});
        std::string io = "grad_" + weight;
        if (spec_.microBatches > 1) {
            ir::Value* sofar = backward.addInput(io, total->type);
            dispatch.inputs[io] = "grad." + weight;
            total = value("add", {sofar, total});
            io += "_next";
        }
        backward.outputs.push_back({io, total, spec_.loc});
        dispatch.outputs[io] = "grad." + weight;
        if (spec_.hostUpdate || spec_.optimizer.clipNorm == 0) return;
        std::vector<int64_t> axes;
        for (size_t d = 0; d < total->type.shape.size(); ++d)
            axes.push_back(static_cast<int64_t>(d));
        ir::Value* squares = value("reduce_sum", {value("mul", {total, total})},
                                   {{"axes", axes}, {"keep_dims", false}});
        ir::Value* norm = value("reshape", {squares}, {{"shape", std::vector<int64_t>{1}}});
        backward.outputs.push_back({"sumsq_" + weight, norm, spec_.loc});
        dispatch.outputs["sumsq_" + weight] = "sumsq." + weight;
    }

    void addUpdate(const ir::Kernel& chained, size_t i) {
        auto kernel = std::make_unique<ir::Kernel>();
        kernel->name = kernelName("update", i);
        kernel->loc = spec_.loc;
        ir::StepDispatch dispatch{kernel->name, StepPhase::Update, {}, {}};
        UpdateEmitter emitter(*kernel, spec_.optimizer, spec_.loc);
        bool any = false;
        for (const ir::DynamicWeight& weight : chained.dynamicWeights) {
            if (!trained(weight.name)) continue;
            ir::Value* w = kernel->addInput(weight.name, weight.initial->type());
            ir::Value* g = kernel->addInput("grad_" + weight.name, fp32Like(w->type));
            dispatch.inputs[weight.name] = weight.name;
            dispatch.inputs["grad_" + weight.name] = "grad." + weight.name;
            emitter.update(weight.name, w, g);
            any = true;
        }
        if (!any) return;
        for (const UpdateBinding& input : emitter.inputs())
            dispatch.inputs[input.io] = input.tensor;
        for (const UpdateBinding& output : emitter.outputs())
            dispatch.outputs[output.io] = output.tensor;
        step_.dispatches.push_back(dispatch);
        kernels_.push_back(std::move(kernel));
    }

    const StepSpec& spec_;
    bool fusedUpdate_ = true;
    std::vector<std::vector<const ir::Kernel*>> segments_;
    std::vector<std::vector<const ir::Value*>> taps_; // per segment, values of its chain
    std::vector<std::unique_ptr<ir::Kernel>> kernels_;
    ir::TrainStep step_;
    std::vector<ir::VjpRangeWarning> warnings_;
};

} // namespace

Expected<BuiltStep> buildStep(const StepSpec& spec) {
    return StepBuilder(spec).build();
}

} // namespace anec::training
