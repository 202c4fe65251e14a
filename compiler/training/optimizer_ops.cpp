#include "training/optimizer_ops.hpp"

#include <stdexcept>

namespace anec::training {

using ir::DType;
using ir::OptimizerKind;

std::vector<std::string> optimizerScalars(const ir::OptimizerConfig& optimizer) {
    switch (optimizer.kind) {
    case OptimizerKind::Sgd:
        return {"opt.grad_scale", "opt.lr"};
    case OptimizerKind::Adam:
        return {"opt.grad_scale", "opt.step_size", "opt.bias2"};
    case OptimizerKind::AdamW:
        return {"opt.grad_scale", "opt.step_size", "opt.bias2", "opt.decay"};
    }
    return {};
}

std::vector<std::string> optimizerMoments(const ir::OptimizerConfig& optimizer) {
    if (optimizer.kind == OptimizerKind::Sgd)
        return optimizer.momentum != 0 ? std::vector<std::string>{"momentum"}
                                       : std::vector<std::string>{};
    return {"adam_m", "adam_v"};
}

bool decays(const ir::TensorType& weight) {
    return weight.shape.size() >= 2;
}

UpdateEmitter::UpdateEmitter(ir::Kernel& kernel, const ir::OptimizerConfig& optimizer,
                             SourceLoc loc)
    : kernel_(kernel), builder_(kernel), optimizer_(optimizer), loc_(loc) {}

// "opt.lr" is the kernel input "opt_lr", shared by every weight the kernel updates.
ir::Value* UpdateEmitter::scalar(const std::string& name) {
    auto found = scalars_.find(name);
    if (found != scalars_.end()) return found->second;
    std::string io = "opt_" + name.substr(name.find('.') + 1);
    ir::Value* input = kernel_.addInput(io, ir::TensorType{DType::Fp32, {1}});
    inputs_.push_back({io, name});
    return scalars_[name] = input;
}

ir::Value* UpdateEmitter::constant(double value) {
    return builder_.createConst(
        std::make_shared<ir::ConstData>(ir::ConstData::splat({DType::Fp32, {}}, value)), loc_);
}

ir::Value* UpdateEmitter::op(const std::string& kind, std::vector<ir::Value*> operands,
                             ir::AttrMap attrs) {
    auto value = builder_.createValue(kind, std::move(operands), std::move(attrs), loc_);
    // The operands are built here with matching types: a failure is a bug in this file.
    if (!value) throw std::logic_error("optimizer update: " + value.error());
    return *value;
}

ir::Value* UpdateEmitter::moment(const std::string& prefix, const std::string& weightName,
                                 const ir::TensorType& type) {
    std::string io = prefix + "_" + weightName;
    ir::Value* input = kernel_.addInput(io, ir::TensorType{DType::Fp32, type.shape});
    inputs_.push_back({io, prefix + "." + weightName});
    return input;
}

void UpdateEmitter::output(const std::string& io, const std::string& tensor, ir::Value* value) {
    kernel_.outputs.push_back({io, value, loc_});
    outputs_.push_back({io, tensor});
}

ir::Value* UpdateEmitter::update(const std::string& weightName, ir::Value* weight,
                                 ir::Value* gradient) {
    auto toFp32 = [&](ir::Value* v) {
        return v->type.dtype == DType::Fp32
                   ? v
                   : op("cast", {v}, {{"dtype", std::string(ir::dtypeName(DType::Fp32))}});
    };
    auto mul = [&](ir::Value* a, ir::Value* b) { return op("mul", {a, b}); };
    auto add = [&](ir::Value* a, ir::Value* b) { return op("add", {a, b}); };
    const ir::TensorType type = weight->type;
    ir::Value* w = toFp32(weight);
    ir::Value* g = mul(toFp32(gradient), scalar("opt.grad_scale"));
    ir::Value* next = nullptr;
    if (optimizer_.kind == OptimizerKind::Sgd) {
        // PyTorch's SGD: g += wd * w; buf = momentum * buf + g (buf starts at g); w -= lr * buf.
        if (optimizer_.weightDecay != 0 && decays(type))
            g = add(g, mul(w, constant(optimizer_.weightDecay)));
        if (optimizer_.momentum != 0) {
            ir::Value* buf = moment("momentum", weightName, type);
            g = add(mul(buf, constant(optimizer_.momentum)), g);
            output("momentum_" + weightName + "_next", "momentum." + weightName, g);
        }
        next = op("sub", {w, mul(g, scalar("opt.lr"))});
    } else {
        // Adam(W): m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
        // w = w * (1 - lr wd) - step_size * m / (sqrt(v) * bias2 + eps).
        ir::Value* m = moment("adam_m", weightName, type);
        ir::Value* v = moment("adam_v", weightName, type);
        ir::Value* m1 =
            add(mul(m, constant(optimizer_.beta1)), mul(g, constant(1 - optimizer_.beta1)));
        ir::Value* v1 =
            add(mul(v, constant(optimizer_.beta2)), mul(mul(g, g), constant(1 - optimizer_.beta2)));
        output("adam_m_" + weightName + "_next", "adam_m." + weightName, m1);
        output("adam_v_" + weightName + "_next", "adam_v." + weightName, v1);
        ir::Value* denom =
            add(mul(op("sqrt", {v1}), scalar("opt.bias2")), constant(optimizer_.eps));
        ir::Value* step = mul(op("real_div", {m1, denom}), scalar("opt.step_size"));
        if (optimizer_.kind == OptimizerKind::AdamW && optimizer_.weightDecay != 0 && decays(type))
            w = mul(w, scalar("opt.decay"));
        next = op("sub", {w, step});
    }
    if (type.dtype != DType::Fp32)
        next = op("cast", {next}, {{"dtype", std::string(ir::dtypeName(type.dtype))}});
    output(weightName + "_next", weightName, next);
    return next;
}

} // namespace anec::training
