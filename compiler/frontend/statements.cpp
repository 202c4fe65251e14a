// Lowering of kernel declarations and their statements: inputs with entry casts, let bindings,
// output assignments and exit casts.
#include "frontend/lowering.hpp"

namespace anec::frontend {

namespace {
std::string valueCount(size_t n) {
    return std::to_string(n) + (n == 1 ? " value" : " values");
}

// fp16 -> fp32 is the exit cast of the precision rule; otherwise the types must match exactly.
bool assignable(const ir::TensorType& declared, const ir::TensorType& actual) {
    if (declared.shape != actual.shape) return false;
    return declared.dtype == actual.dtype ||
           (declared.dtype == ir::DType::Fp32 && actual.dtype == ir::DType::Fp16);
}
} // namespace

void BodyLowerer::lowerLet(const ast::LetStmt& let, SourceLoc loc) {
    Operand value = let.value ? lowerExpr(*let.value) : Operand::error();
    if (let.names.size() == 1) {
        const ast::Binding& name = let.names[0];
        if (value.kind == Operand::Kind::Tuple) {
            reporter().error(loc, "the expression gives " + valueCount(value.values.size()) +
                                      "; bind them with let (a, b, ...) = ...");
            value = Operand::error();
        }
        if (value.isTensor() && !value.value->isKernelInput()) nameValue(value.value, name.name);
        defineLocal(name.name, name.loc, LocalBinding{LocalBinding::Kind::Let, name.loc, value});
        return;
    }
    std::vector<Operand> parts(let.names.size());
    if (value.kind == Operand::Kind::Tuple && value.values.size() == let.names.size()) {
        for (size_t i = 0; i < parts.size(); ++i)
            parts[i] = Operand::tensor(value.values[i]);
    } else if (!value.isError()) {
        size_t given = value.kind == Operand::Kind::Tuple ? value.values.size() : 1;
        reporter().error(loc, "cannot bind " + valueCount(given) + " to " +
                                  std::to_string(let.names.size()) + " names");
    }
    for (size_t i = 0; i < parts.size(); ++i) {
        const ast::Binding& name = let.names[i];
        if (parts[i].isTensor()) nameValue(parts[i].value, name.name);
        defineLocal(name.name, name.loc, LocalBinding{LocalBinding::Kind::Let, name.loc, parts[i]});
    }
}

void BodyLowerer::lowerAssign(const ast::AssignStmt& assign, SourceLoc) {
    const ast::Binding& target = assign.target;
    LocalBinding* output = scope_.find(target.name);
    if (fn_ || !output || output->kind != LocalBinding::Kind::Output) {
        if (assign.value) lowerExpr(*assign.value); // still check the expression
        std::string reason = fn_ ? "assignments are not allowed in a function (use let)"
                                 : "it is not an output of kernel '" + ctx_.kernel.name + "'";
        reporter().error(target.loc, "cannot assign to '" + target.name + "': " + reason);
        return;
    }
    if (output->assigned) {
        if (reporter().error(target.loc, "output '" + target.name + "' is assigned twice"))
            reporter().note(output->assignedAt, "first assigned here");
        return;
    }
    output->assigned = true;
    output->assignedAt = target.loc;
    output->operand = Operand::error();
    Operand value = assign.value ? lowerExpr(*assign.value) : Operand::error();
    if (value.isError()) return;
    if (!value.isTensor()) {
        reporter().error(target.loc, "output '" + target.name +
                                         "' must be assigned a tensor, got " +
                                         (value.isNumber() ? "a number" : "a tuple of values"));
        return;
    }
    if (output->type && !assignable(*output->type, value.value->type)) {
        reporter().error(target.loc, "output '" + target.name + "' is declared " +
                                         output->type->str() + " but assigned " +
                                         value.value->type.str());
        return;
    }
    output->operand = value;
}

namespace {
class KernelLowering {
  public:
    KernelLowering(const ast::KernelDecl& decl, Globals& globals, ConstEvaluator& evaluator,
                   Reporter& reporter, std::set<const ast::FnDecl*>& inlinedFns)
        : decl_(decl), kernel_(std::make_unique<ir::Kernel>()),
          ctx_(globals, evaluator, reporter, *kernel_, inlinedFns), body_(ctx_, scope_, nullptr) {
        kernel_->name = decl.name;
        kernel_->loc = decl.loc;
    }

    std::unique_ptr<ir::Kernel> run() {
        declareInputs();
        declareOutputs();
        for (const ast::Stmt& stmt : decl_.body)
            lowerStatement(stmt);
        finishOutputs();
        return std::move(kernel_);
    }

  private:
    void declareInputs() {
        std::vector<std::pair<const ast::Param*, ir::Value*>> fp32Inputs;
        for (const ast::Param& param : decl_.inputs) {
            auto type = param.type ? ctx_.evaluator.evalType(*param.type) : std::nullopt;
            Operand operand;
            if (type) {
                ir::Value* input = kernel_->addInput(param.name, *type);
                operand = Operand::tensor(input);
                if (type->dtype == ir::DType::Fp32) fp32Inputs.emplace_back(&param, input);
            }
            LocalBinding binding{LocalBinding::Kind::Input, param.loc, operand, false, {}, type};
            body_.defineLocal(param.name, param.loc, binding);
        }
        // The precision rule: the kernel computes in fp16, so fp32 inputs are cast at entry.
        for (auto [param, input] : fp32Inputs) {
            auto cast = ctx_.builder.createValue("cast", {input}, {{"dtype", std::string("fp16")}},
                                                 param->loc, param->name + "16");
            LocalBinding* binding = scope_.find(param->name);
            if (cast && binding && binding->kind == LocalBinding::Kind::Input)
                binding->operand = Operand::tensor(*cast);
        }
    }

    void declareOutputs() {
        if (decl_.outputs.empty())
            ctx_.reporter.error(decl_.loc, "kernel '" + decl_.name + "' has no outputs");
        for (const ast::Param& param : decl_.outputs) {
            auto type = param.type ? ctx_.evaluator.evalType(*param.type) : std::nullopt;
            LocalBinding binding{
                LocalBinding::Kind::Output, param.loc, Operand::error(), false, {}, type};
            // An output whose type is invalid counts as assigned so that it is not reported again.
            binding.assigned = !type;
            body_.defineLocal(param.name, param.loc, binding);
        }
    }

    void lowerStatement(const ast::Stmt& stmt) {
        if (const auto* let = std::get_if<ast::LetStmt>(&stmt.node))
            return body_.lowerLet(*let, stmt.loc);
        if (const auto* assign = std::get_if<ast::AssignStmt>(&stmt.node))
            return body_.lowerAssign(*assign, stmt.loc);
        ctx_.reporter.error(stmt.loc,
                            "'return' is only allowed in a function; a kernel assigns its outputs");
    }

    void finishOutputs() {
        std::set<const ir::Value*> returned;
        for (const ast::Param& param : decl_.outputs) {
            LocalBinding* binding = scope_.find(param.name);
            if (!binding || binding->kind != LocalBinding::Kind::Output) continue; // a redefinition
            if (!binding->assigned) {
                ctx_.reporter.error(param.loc, "output '" + param.name + "' is never assigned");
                continue;
            }
            if (!binding->operand.isTensor() || !binding->type) continue;
            ir::Value* value = exitValue(param, binding->operand.value, *binding->type, returned);
            if (!value) continue;
            returned.insert(value);
            kernel_->outputs.push_back(ir::KernelOutput{param.name, value, param.loc});
        }
    }

    // The value an output returns: an exit cast for fp32, else the assigned value itself (through
    // an identity when it is an input, a constant or already returned, which MIL cannot return).
    ir::Value* exitValue(const ast::Param& param, ir::Value* value, const ir::TensorType& declared,
                         const std::set<const ir::Value*>& returned) {
        if (value->type.dtype != declared.dtype) {
            auto cast = ctx_.builder.createValue(
                "cast", {value}, {{"dtype", std::string(ir::dtypeName(declared.dtype))}}, param.loc,
                param.name);
            if (!cast) ctx_.reporter.error(param.loc, cast.error());
            return cast ? *cast : nullptr;
        }
        bool needsCopy =
            value->isKernelInput() || value->definingOp->isConst() || returned.count(value);
        if (needsCopy && ir::OpRegistry::builtin().find("identity")) {
            auto copy = ctx_.builder.createValue("identity", {value}, {}, param.loc, param.name);
            if (!copy) ctx_.reporter.error(param.loc, copy.error());
            return copy ? *copy : nullptr;
        }
        if (!needsCopy) nameValue(value, param.name);
        return value;
    }

    const ast::KernelDecl& decl_;
    std::unique_ptr<ir::Kernel> kernel_;
    Scope scope_;
    KernelContext ctx_;
    BodyLowerer body_;
};
} // namespace

std::unique_ptr<ir::Kernel> lowerKernel(const ast::KernelDecl& decl, Globals& globals,
                                        ConstEvaluator& evaluator, Reporter& reporter,
                                        std::set<const ast::FnDecl*>& inlinedFns) {
    return KernelLowering(decl, globals, evaluator, reporter, inlinedFns).run();
}

} // namespace anec::frontend
