#pragma once
// Shared by the implementation of the public API: conversions between the public and the
// internal types, and the boundary that turns every exception into an anec::Error.
//
// The internal headers come first: they declare the internal anec::Error, which the public
// header's anec::api::Error would make ambiguous in code parsed after it. Code here names the
// public one as api::Error and never names the internal one (it is caught as std::exception).
#include <exception>
#include <new>
#include <string>
#include <utility>

#include "driver/program_loader.hpp"
#include "ir/types.hpp"
#include "runtime/core/tensor.hpp"
#include "support/memory_limit.hpp"

#include "anec/anec.hpp"

namespace anec::inline api {

ir::DType toIr(DType dtype);
// Throws api::Error (Unsupported) for string tensors.
DType fromIr(ir::DType dtype);
TensorInfo tensorInfo(const std::string& name, const ir::TensorType& type);

// fp16 / fp32 / fp64 elements through double (stores round to nearest even).
bool isFloatType(DType dtype);
double loadFloat(DType dtype, const uint8_t* p);
void storeFloat(DType dtype, uint8_t* p, double value);

// Gives the implementation access to a Tensor's storage.
struct TensorAccess {
    static Tensor make(DType dtype, Shape shape, std::vector<uint8_t> bytes) {
        Tensor tensor;
        tensor.dtype_ = dtype;
        tensor.shape_ = std::move(shape);
        tensor.bytes_ = std::move(bytes);
        return tensor;
    }
};

// The driver's options for CompileOptions; throws InvalidArgument for a bad level or target.
driver::LoadOptions loadOptions(const CompileOptions& options);
// "fp16[1,64]" for a tensor's declared type.
std::string declared(const TensorInfo& info);
// A caller's view as the bytes of the declared tensor, converted into `storage` when the float
// dtypes differ; `what` names it in messages. Throws InvalidArgument.
runtime::TensorView inputView(const TensorInfo& info, const TensorView& view,
                              std::vector<uint8_t>& storage, std::string_view what = "input");

// Runs `body`; any exception leaves as api::Error: compile errors as CompileFailed, allocation
// failures as OutOfMemory, everything else with `code`.
template <typename Body> auto guarded(ErrorCode code, Body&& body) -> decltype(body()) {
    try {
        return body();
    } catch (const Error&) {
        throw;
    } catch (const driver::CompileError& e) {
        throw Error(ErrorCode::CompileFailed, e.what());
    } catch (const MemoryLimitError& e) {
        throw Error(ErrorCode::OutOfMemory, e.what());
    } catch (const std::bad_alloc&) {
        throw Error(ErrorCode::OutOfMemory, "out of memory");
    } catch (const std::exception& e) {
        throw Error(code, e.what());
    } catch (...) {
        throw Error(ErrorCode::Internal, "unknown exception");
    }
}

} // namespace anec::api
