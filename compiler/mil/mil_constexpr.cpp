#include "mil/mil_constexpr.hpp"

#include <cmath>

namespace anec::mil {

namespace {
struct ConstexprOp {
    std::string name;
    std::vector<std::string> parameters; // sorted
};

const std::vector<ConstexprOp>& constexprOps() {
    static const std::vector<ConstexprOp> ops = {
        {"constexpr_affine_dequantize", {"axis", "quantized_data", "scale", "zero_point"}},
        {"constexpr_cast", {"output_dtype", "source_val"}},
    };
    return ops;
}

// A scalar, or one value per slice of `data` along the axis (`length` of them).
Expected<bool> checkPerAxis(const std::string& what, const Constant& value, int64_t length,
                            const Constant& data) {
    if (value.type.isScalar() || (value.type.rank() == 1 && value.type.shape[0] == length))
        return true;
    return fail(what + " " + value.type.milStr() + " must be a scalar or have " +
                std::to_string(length) + " values (one per slice of quantized_data " +
                data.type.milStr() + " along axis)");
}

Expected<Constant> affineDequantize(const std::map<std::string, Constant>& args) {
    const Constant& data = args.at("quantized_data");
    const Constant& scale = args.at("scale");
    const Constant& zeroPoint = args.at("zero_point");
    const Constant& axisArg = args.at("axis");
    const std::string op = "constexpr_affine_dequantize: ";
    if ((data.type.dtype != ir::DType::Int8 && data.type.dtype != ir::DType::UInt8) ||
        data.type.isScalar())
        return fail(op + "quantized_data must be an int8 or uint8 tensor, got " +
                    data.type.milStr());
    if (!ir::isFloat(scale.type.dtype) || scale.type.dtype == ir::DType::Fp64)
        return fail(op + "scale must be fp16 or fp32, got " + scale.type.milStr());
    if (zeroPoint.type.dtype != data.type.dtype)
        return fail(op + "zero_point " + zeroPoint.type.milStr() +
                    " must have the element type of quantized_data " + data.type.milStr());
    if (!ir::isInteger(axisArg.type.dtype) || !axisArg.type.isScalar())
        return fail(op + "axis must be an int32 scalar, got " + axisArg.type.milStr());
    int64_t axisValue = axisArg.data->toInts()[0];
    auto axis = ir::normalizeAxis(axisValue, data.type.rank());
    if (!axis)
        return fail(op + "axis " + std::to_string(axisValue) + " is out of range for " +
                    data.type.milStr());
    const int64_t length = data.type.shape[*axis];
    if (auto ok = checkPerAxis(op + "scale", scale, length, data); !ok) return fail(ok.error());
    if (auto ok = checkPerAxis(op + "zero_point", zeroPoint, length, data); !ok)
        return fail(ok.error());

    int64_t inner = 1;
    for (size_t d = *axis + 1; d < data.type.rank(); ++d)
        inner *= data.type.shape[d];
    std::vector<double> values(static_cast<size_t>(data.type.numElements()));
    for (int64_t i = 0; i < data.type.numElements(); ++i) {
        int64_t slice = (i / inner) % length;
        double zero = zeroPoint.data->at(zeroPoint.type.isScalar() ? 0 : slice);
        double factor = scale.data->at(scale.type.isScalar() ? 0 : slice);
        // Exact: an 8-bit difference times an fp16/fp32 value fits in a double.
        values[static_cast<size_t>(i)] = (data.data->at(i) - zero) * factor;
    }
    ir::TensorType type{scale.type.dtype, data.type.shape};
    auto result = std::make_shared<ir::ConstData>(ir::ConstData::fromDoubles(type, values));
    return Constant{type, std::move(result), "", data.loc};
}

Expected<Constant> castConstant(const std::map<std::string, Constant>& args) {
    const Constant& source = args.at("source_val");
    const Constant& dtypeArg = args.at("output_dtype");
    const std::string op = "constexpr_cast: ";
    if (!dtypeArg.isString() || !dtypeArg.type.isScalar())
        return fail(op + "output_dtype must be a string, got " + dtypeArg.type.milStr());
    auto dtype = ir::parseDType(dtypeArg.text);
    if (!dtype || *dtype == ir::DType::String)
        return fail(op + "unknown output_dtype '" + dtypeArg.text + "'");
    bool floats = (source.type.dtype == ir::DType::Fp16 || source.type.dtype == ir::DType::Fp32) &&
                  (*dtype == ir::DType::Fp16 || *dtype == ir::DType::Fp32);
    if (!floats)
        return fail(op + "casts between fp16 and fp32, not from " + source.type.milStr() + " to " +
                    dtypeArg.text);
    ir::TensorType type{*dtype, source.type.shape};
    auto result =
        std::make_shared<ir::ConstData>(ir::ConstData::fromDoubles(type, source.data->toDoubles()));
    return Constant{type, std::move(result), "", source.loc};
}
} // namespace

bool isConstexprOp(const std::string& op) {
    return op.starts_with("constexpr_");
}

const std::vector<std::string>* constexprParameters(const std::string& op) {
    for (const ConstexprOp& known : constexprOps())
        if (known.name == op) return &known.parameters;
    return nullptr;
}

std::string supportedConstexprOps() {
    std::string out;
    const auto& ops = constexprOps();
    for (size_t i = 0; i < ops.size(); ++i)
        out += (i == 0 ? "" : i + 1 == ops.size() ? " and " : ", ") + ops[i].name;
    return out;
}

Expected<Constant> evaluateConstexpr(const std::string& op,
                                     const std::map<std::string, Constant>& arguments) {
    if (op == "constexpr_affine_dequantize") return affineDequantize(arguments);
    if (op == "constexpr_cast") return castConstant(arguments);
    return fail("constexpr op '" + op + "' is not supported");
}

} // namespace anec::mil
