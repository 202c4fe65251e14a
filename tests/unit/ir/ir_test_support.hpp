#pragma once
// Type shorthands and an op-inference helper shared by the IR tests.
#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ir/op_registry.hpp"
#include "ir/types.hpp"

namespace anec::ir::test {

using List = std::vector<int64_t>;

// An int attribute (a bare literal would be a bool or double Attribute).
inline Attribute integer(int64_t value) {
    return value;
}

inline TensorType f16(Shape shape) {
    return {DType::Fp16, std::move(shape)};
}
inline TensorType f32(Shape shape) {
    return {DType::Fp32, std::move(shape)};
}
inline TensorType i32(Shape shape) {
    return {DType::Int32, std::move(shape)};
}
inline TensorType boolean(Shape shape) {
    return {DType::Bool, std::move(shape)};
}

// Shape inference of one op whose operands may be constants (range_1d, quantize and gather
// look at constant values): OpInference("gather").input(x).constant(i32({2}), {0, 1}).one().
class OpInference {
  public:
    explicit OpInference(std::string kind, AttrMap attrs = {})
        : kind_(std::move(kind)), attrs_(std::move(attrs)) {}

    OpInference& input(TensorType type) {
        operands_.push_back({std::move(type), nullptr, false});
        return *this;
    }
    OpInference& constant(TensorType type, const std::vector<double>& values) {
        auto data = std::make_shared<ConstData>(ConstData::fromDoubles(type, values));
        operands_.push_back({std::move(type), std::move(data), false});
        return *this;
    }
    OpInference& absent() {
        operands_.push_back({{}, nullptr, true});
        return *this;
    }

    Expected<std::vector<TensorType>> infer() const {
        std::vector<const TensorType*> types;
        std::vector<const ConstData*> values;
        for (const Operand& operand : operands_) {
            types.push_back(operand.absent ? nullptr : &operand.type);
            values.push_back(operand.value.get());
        }
        AttrMap attrs = attrs_;
        return inferOp(OpRegistry::builtin().get(kind_), types, attrs, nullptr, values);
    }
    std::vector<TensorType> all() const {
        auto result = infer();
        INFO(kind_ << ": " << (result.ok() ? std::string("ok") : result.error()));
        REQUIRE(result.ok());
        return *result;
    }
    TensorType one() const {
        std::vector<TensorType> results = all();
        REQUIRE(results.size() == 1);
        return results.front();
    }
    std::string error() const {
        auto result = infer();
        INFO(kind_ << " was expected to fail");
        REQUIRE_FALSE(result.ok());
        return result.error();
    }

  private:
    struct Operand {
        TensorType type;
        std::shared_ptr<ConstData> value;
        bool absent = false;
    };
    std::string kind_;
    AttrMap attrs_;
    std::vector<Operand> operands_;
};

} // namespace anec::ir::test
