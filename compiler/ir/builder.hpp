#pragma once
// Creates ops with inferred result types at an insertion point of a kernel.
#include <memory>
#include <string>
#include <vector>

#include "ir/ir.hpp"
#include "ir/op_registry.hpp"
#include "support/expected.hpp"

namespace anec::ir {

class Builder {
  public:
    // Appends at the end of the kernel.
    explicit Builder(Kernel& kernel, const OpRegistry& registry = OpRegistry::builtin());
    // Inserts before `pos`.
    Builder(Kernel& kernel, std::list<std::unique_ptr<Op>>::iterator pos,
            const OpRegistry& registry = OpRegistry::builtin());

    // Fails with the registry's message when the op is unknown or its operands/attributes are
    // invalid; the kernel is unchanged then.
    Expected<Op*> create(const std::string& kind, std::vector<Value*> operands, AttrMap attrs = {},
                         SourceLoc loc = {}, std::string name = {});
    // Convenience for single-result ops.
    Expected<Value*> createValue(const std::string& kind, std::vector<Value*> operands,
                                 AttrMap attrs = {}, SourceLoc loc = {}, std::string name = {});
    Value* createConst(std::shared_ptr<const ConstData> data, SourceLoc loc = {},
                       std::string name = {});

    Kernel& kernel() { return kernel_; }
    void setInsertionPoint(std::list<std::unique_ptr<Op>>::iterator pos) { pos_ = pos; }

  private:
    Kernel& kernel_;
    std::list<std::unique_ptr<Op>>::iterator pos_;
    const OpRegistry& registry_;
};

} // namespace anec::ir
