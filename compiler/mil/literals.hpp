#pragma once
// Spelling of MIL literals: scalars (`fp16(0.5)`, `int32(1)`, `bool(true)`, `string("valid")`),
// inline tensors (`tensor<int32, [4]>([0, 0, 0, 0])`) and op attributes written as consts.
#include <string>
#include <string_view>

#include "ir/attributes.hpp"
#include "ir/const_data.hpp"
#include "ir/op_registry.hpp"
#include "ir/types.hpp"

namespace anec::mil {

// The shortest decimal that reads back as the same value of `dtype` (the value is first rounded
// to fp16/fp32), whether a reader parses it straight to that type or via double. Non-finite
// values are `inf`, `-inf` and `nan`. Whole numbers below 1e15 are written in full: `1`, `-2`,
// `65504`.
std::string formatFloat(double value, ir::DType dtype);

// A MIL string literal body: `"..."` with `"` and `\` escaped and control characters as \n, \t,
// or \xHH.
std::string quoteString(std::string_view text);

// One element of a constant, without a type wrapper: `0.5`, `-3`, `true`.
std::string formatElement(const ir::ConstData& data, int64_t index);

// The `val = ...` of an inline const: `fp16(0.5)` for a scalar, `tensor<fp16, [2]>([0.5, 1])`
// otherwise. Throws anec::Error for string constants, which have no element storage.
std::string inlineConstValue(const ir::ConstData& data);

// An op attribute as a MIL const: its type and its `val = ...` spelling. Float attributes take
// `floatDType` (the op's first operand's float type).
struct MilConstValue {
    std::string type;  // "tensor<int32, [4]>", "string", "fp16"
    std::string value; // "tensor<int32, [4]>([0, 0, 0, 0])", "string(\"valid\")", "fp16(0.5)"
};
MilConstValue attributeConst(const ir::Attribute& attr, ir::AttrKind kind, ir::DType floatDType);

// The kind an attribute is written as when its op declares no AttrSpec for it.
ir::AttrKind defaultAttrKind(const ir::Attribute& attr);

} // namespace anec::mil
