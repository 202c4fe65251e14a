// The tensor builtins: indexing (gather), masks and tensors made at build time (band_part,
// causal_mask, arange, fill), padding, scans, sorting (topk, argsort), replication (tile, stack,
// reverse) and pooling. Tensors made from constants fold into constants at build time.
#include <cmath>

#include "frontend/builtin_call.hpp"

namespace anec::frontend {

namespace {
// Indices: an int32 tensor, an integer (one index: the axis is removed) or a list of integers.
ir::Value* indicesArgument(BuiltinCall& c, size_t i) {
    if (c.isList(i)) {
        auto values = c.intList(i);
        return values ? c.int32Constant(*values) : nullptr;
    }
    Operand operand = c.value(i);
    if (operand.isTensor()) return operand.value;
    if (!operand.isNumber()) return nullptr;
    if (operand.number != std::floor(operand.number)) {
        c.error(c.argLoc(i), c.name + " expects integer indices, got " +
                                 formatNumber(operand.number, operand.integral));
        return nullptr;
    }
    return c.int32Constant({static_cast<int64_t>(operand.number)}, /*asScalar=*/true);
}

Operand lowerGather(BuiltinCall& c) {
    ir::Value* x = c.tensor(0);
    ir::Value* indices = indicesArgument(c, 1);
    auto axis = c.integer(2, 0);
    auto batchDims = c.integer(3, 0);
    if (c.failed() || !indices) return c.fail();
    return c.lowerer.createOp("gather", {x, indices}, {{"axis", *axis}, {"batch_dims", *batchDims}},
                              c.loc());
}

Operand lowerGatherAlongAxis(BuiltinCall& c) {
    ir::Value* x = c.tensor(0);
    ir::Value* indices = c.tensor(1);
    auto axis = c.integer(2);
    if (c.failed()) return c.fail();
    return c.lowerer.createOp("gather_along_axis", {x, indices}, {{"axis", *axis}}, c.loc());
}

// scatter_along_axis(data, indices, updates, axis, mode = "update"): a KV-cache write.
Operand lowerScatterAlongAxis(BuiltinCall& c) {
    ir::Value* data = c.tensor(0);
    ir::Value* indices = c.tensor(1);
    ir::Value* updates = c.tensor(2);
    auto axis = c.integer(3);
    auto mode = c.string(4, std::string("update"));
    if (c.failed()) return c.fail();
    return c.lowerer.createOp("scatter_along_axis", {data, indices, updates},
                              {{"axis", *axis}, {"mode", *mode}}, c.loc());
}

Operand lowerPixelShuffle(BuiltinCall& c) {
    ir::Value* x = c.tensor(0);
    auto factor = c.integer(1);
    if (c.failed()) return c.fail();
    return c.lowerer.createOp("pixel_shuffle", {x}, {{"upscale_factor", *factor}}, c.loc());
}

Operand lowerUpsample(BuiltinCall& c) {
    ir::Value* x = c.tensor(0);
    auto height = c.integer(1, 1);
    auto width = c.integer(2, 1);
    if (c.failed()) return c.fail();
    return c.lowerer.createOp("upsample_nearest_neighbor", {x},
                              {{"scale_factor_height", *height}, {"scale_factor_width", *width}},
                              c.loc());
}

Operand lowerBandPart(BuiltinCall& c) {
    ir::Value* x = c.tensor(0);
    auto lower = c.integer(1, -1);
    auto upper = c.integer(2, -1);
    if (c.failed()) return c.fail();
    return c.lowerer.createOp("band_part", {x}, {{"lower", *lower}, {"upper", *upper}}, c.loc());
}

ir::Value* scalarConstant(BuiltinCall& c, ir::DType dtype, double value, SourceLoc loc) {
    return c.lowerer.context().builder.createConst(
        std::make_shared<const ir::ConstData>(ir::ConstData::splat({dtype, {}}, value)), loc);
}

// fill([n, keys], true) with the band below column i + (keys - n) of row i: query row i (the
// last n of `keys` positions) may attend to keys j <= i + keys - n. Folds to a constant.
Operand lowerCausalMask(BuiltinCall& c) {
    auto n = c.integer(0);
    auto keys = c.integer(1, n.value_or(1));
    if (c.failed()) return c.fail();
    if (*n < 1 || *keys < *n) {
        c.error(c.loc(), "causal_mask needs 1 <= n <= keys, got n = " + std::to_string(*n) +
                             " and keys = " + std::to_string(*keys));
        return c.fail();
    }
    ir::Value* yes = scalarConstant(c, ir::DType::Bool, 1, c.loc());
    Operand all =
        c.lowerer.createOp("fill", {yes}, {{"shape", std::vector<int64_t>{*n, *keys}}}, c.loc());
    if (!all.isTensor()) return c.fail();
    return c.lowerer.createOp("band_part", {all.value},
                              {{"lower", int64_t{-1}}, {"upper", *keys - *n}}, c.loc());
}

const std::vector<ir::DType> kNumberTypes{ir::DType::Fp16, ir::DType::Fp32, ir::DType::Int32};

// The dtype of constants made from numbers: `dtype` when given, else int32 when every number is
// an integer (`integralDefault`), else fp16 (what kernels compute in).
std::optional<ir::DType> numberDType(BuiltinCall& c, size_t dtypeArg,
                                     const std::vector<Operand>& numbers, bool integralDefault,
                                     const std::vector<ir::DType>& allowed) {
    bool integral = integralDefault;
    for (const Operand& number : numbers)
        integral = integral && number.number == std::floor(number.number);
    std::optional<ir::DType> dtype = c.has(dtypeArg) ? c.typeName(dtypeArg, allowed)
                                     : integral      ? ir::DType::Int32
                                                     : ir::DType::Fp16;
    if (!dtype) return std::nullopt;
    for (const Operand& number : numbers)
        if (ir::isInteger(*dtype) && number.number != std::floor(number.number)) {
            c.error(c.loc(), c.name + ": " + formatNumber(number.number, number.integral) +
                                 " is not an integer, but the result is " +
                                 std::string(ir::dtypeName(*dtype)));
            return std::nullopt;
        }
    return dtype;
}

// arange(start, stop, step = 1) -> range_1d; int32 when all are integers, else fp16.
Operand lowerArange(BuiltinCall& c) {
    auto start = c.number(0);
    auto stop = c.number(1);
    std::optional<Operand> step = c.has(2) ? c.number(2) : Operand::numberOf(1, true);
    if (c.failed() || !start || !stop || !step) return c.fail();
    auto dtype = numberDType(c, 3, {*start, *stop, *step}, true, kNumberTypes);
    if (!dtype) return c.fail();
    const std::string range = "arange from " + formatNumber(start->number, start->integral) +
                              " to " + formatNumber(stop->number, stop->integral) + " by " +
                              formatNumber(step->number, step->integral);
    if (step->number == 0) {
        c.error(c.argLoc(2), "arange step must not be 0");
        return c.fail();
    }
    if (std::ceil((stop->number - start->number) / step->number) < 1) {
        c.error(c.loc(), range + " is empty");
        return c.fail();
    }
    std::vector<ir::Value*> operands;
    for (size_t i = 0; i < 3; ++i) {
        const Operand& number = i == 0 ? *start : i == 1 ? *stop : *step;
        operands.push_back(scalarConstant(c, *dtype, number.number, c.argLoc(i)));
    }
    return c.lowerer.createOp("range_1d", operands, {}, c.loc());
}

// fill(shape, value): fp16 for numbers unless dtype says otherwise, bool for true / false.
Operand lowerFill(BuiltinCall& c) {
    auto shape = c.intList(0);
    std::optional<ir::DType> dtype;
    double value = 0;
    if (c.isBoolLiteral(1)) {
        value = c.boolean(1, false).value_or(false) ? 1 : 0;
        dtype = c.has(2) ? c.typeName(2, {ir::DType::Bool}) : ir::DType::Bool;
    } else if (auto number = c.number(1)) {
        value = number->number;
        dtype = numberDType(c, 2, {*number}, false,
                            {ir::DType::Fp16, ir::DType::Fp32, ir::DType::Int32});
    }
    if (c.failed() || !shape || !dtype) return c.fail();
    ir::Value* scalar = scalarConstant(c, *dtype, value, c.argLoc(1));
    return c.lowerer.createOp("fill", {scalar}, {{"shape", *shape}}, c.loc());
}

Operand lowerPad(BuiltinCall& c) {
    ir::Value* x = c.tensor(0);
    auto pad = c.intList(1);
    auto mode = c.string(2, std::string("constant"));
    auto value = c.real(3, 0.0);
    if (c.failed()) return c.fail();
    if (*mode != "constant" && c.has(3)) {
        c.error(c.argLoc(3), "pad value applies only to mode \"constant\", not \"" + *mode + "\"");
        return c.fail();
    }
    return c.lowerer.createOp("pad", {x},
                              {{"pad", *pad}, {"mode", *mode}, {"constant_val", *value}}, c.loc());
}

Operand lowerCumsum(BuiltinCall& c) {
    ir::Value* x = c.tensor(0);
    auto axis = c.integer(1);
    auto exclusive = c.boolean(2, false);
    auto reverse = c.boolean(3, false);
    if (c.failed()) return c.fail();
    return c.lowerer.createOp("cumsum", {x},
                              {{"axis", *axis}, {"exclusive", *exclusive}, {"reverse", *reverse}},
                              c.loc());
}

// topk -> (values, indices), bound with `let (v, i) = topk(...)`.
Operand lowerTopk(BuiltinCall& c) {
    ir::Value* x = c.tensor(0);
    auto k = c.integer(1);
    auto axis = c.integer(2, -1);
    auto ascending = c.boolean(3, false);
    if (c.failed()) return c.fail();
    ir::Op* op = c.lowerer.createMultiOp(
        "topk", {x}, {{"k", *k}, {"axis", *axis}, {"ascending", *ascending}}, c.loc());
    if (!op) return c.fail();
    return Operand::tuple({op->result(0), op->result(1)});
}

Operand lowerArgsort(BuiltinCall& c) {
    ir::Value* x = c.tensor(0);
    auto axis = c.integer(1, -1);
    auto ascending = c.boolean(2, false);
    if (c.failed()) return c.fail();
    return c.lowerer.createOp("argsort", {x}, {{"axis", *axis}, {"ascending", *ascending}},
                              c.loc());
}

Operand lowerTile(BuiltinCall& c) {
    ir::Value* x = c.tensor(0);
    auto reps = c.intList(1);
    if (c.failed()) return c.fail();
    return c.lowerer.createOp("tile", {x}, {{"reps", *reps}}, c.loc());
}

Operand lowerStack(BuiltinCall& c) {
    std::vector<ir::Value*> values = c.tensorList(0);
    auto axis = c.integer(1);
    if (c.failed()) return c.fail();
    return c.lowerer.createOp("stack", values, {{"axis", *axis}}, c.loc());
}

Operand lowerReverse(BuiltinCall& c) {
    ir::Value* x = c.tensor(0);
    auto axes = c.intList(1, std::vector<int64_t>{});
    if (c.failed()) return c.fail();
    if (c.has(1) && axes->empty()) {
        c.error(c.argLoc(1), "reverse needs at least one axis (leave axes out to reverse all)");
        return c.fail();
    }
    return c.lowerer.createOp("reverse", {x}, {{"axes", *axes}}, c.loc());
}

// avg_pool / max_pool(x, kernel, strides, padding[, exclude_padding]): padding as for conv,
// "valid", "same" or a list of (before, after) pairs per spatial dim.
LowerFn pooling(const char* kind) {
    return [kind](BuiltinCall& c) {
        ir::Value* x = c.tensor(0);
        auto kernel = c.intList(1);
        auto strides = c.intList(2, std::vector<int64_t>{});
        std::string padType = "valid";
        std::vector<int64_t> pad;
        if (c.isList(3)) {
            if (auto values = c.intList(3)) {
                padType = "custom";
                pad = *values;
            }
        } else if (auto text = c.string(3, std::string("valid"))) {
            if (*text != "valid" && *text != "same")
                c.error(c.argLoc(3), c.name +
                                         " padding must be \"valid\", \"same\" or a list "
                                         "of (before, after) pairs, got \"" +
                                         *text + "\"");
            padType = *text;
        }
        ir::AttrMap attrs;
        if (std::string(kind) == "avg_pool")
            if (auto exclude = c.boolean(4, false))
                attrs.emplace("exclude_padding_from_average", *exclude);
        if (c.failed()) return c.fail();
        attrs.insert({{"kernel_sizes", *kernel},
                      {"strides", *strides},
                      {"pad_type", padType},
                      {"pad", pad}});
        return c.lowerer.createOp(kind, {x}, std::move(attrs), c.loc());
    };
}
} // namespace

void addTensorBuiltins(std::map<std::string, Builtin>& t) {
    t["gather"] = {{{"x"}, {"indices"}, optional("axis"), optional("batch_dims")}, lowerGather};
    t["gather_along_axis"] = {{{"x"}, {"indices"}, {"axis"}}, lowerGatherAlongAxis};
    t["scatter_along_axis"] = {{{"data"}, {"indices"}, {"updates"}, {"axis"}, optional("mode")},
                               lowerScatterAlongAxis};
    t["pixel_shuffle"] = {{{"x"}, {"factor"}}, lowerPixelShuffle};
    t["upsample_nearest_neighbor"] = {
        {{"x"}, optional("scale_factor_height"), optional("scale_factor_width")}, lowerUpsample};
    t["band_part"] = {{{"x"}, optional("lower"), optional("upper")}, lowerBandPart};
    t["causal_mask"] = {{{"n"}, optional("keys")}, lowerCausalMask};
    t["arange"] = {{{"start"}, {"stop"}, optional("step"), optional("dtype")}, lowerArange};
    t["fill"] = {{{"shape"}, {"value"}, optional("dtype")}, lowerFill};
    t["pad"] = {{{"x"}, {"pad"}, optional("mode"), optional("value")}, lowerPad};
    t["cumsum"] = {{{"x"}, {"axis"}, optional("exclusive"), optional("reverse")}, lowerCumsum};
    t["topk"] = {{{"x"}, {"k"}, optional("axis"), optional("ascending")}, lowerTopk};
    t["argsort"] = {{{"x"}, optional("axis"), optional("ascending")}, lowerArgsort};
    t["tile"] = {{{"x"}, {"reps"}}, lowerTile};
    t["stack"] = {{{"values"}, {"axis"}}, lowerStack};
    t["reverse"] = {{{"x"}, optional("axes")}, lowerReverse};
    t["avg_pool"] = {
        {{"x"}, {"kernel"}, optional("strides"), optional("padding"), optional("exclude_padding")},
        pooling("avg_pool")};
    t["max_pool"] = {{{"x"}, {"kernel"}, optional("strides"), optional("padding")},
                     pooling("max_pool")};
}

} // namespace anec::frontend
