// Lowering of statements (let, var, assignments, for, assert) and of kernel declarations: inputs
// with entry casts, output assignments and exit casts.
#include "frontend/declarations.hpp"
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

std::string describe(const Operand& value) {
    if (value.isTensor()) return value.value->type.str();
    if (value.isNumber()) return "a number";
    return "a tuple of values";
}

// The parts of a value bound to `count` names, or nothing after reporting a count mismatch.
std::optional<std::vector<Operand>> unpack(const Operand& value, size_t count, SourceLoc loc,
                                           Reporter& reporter) {
    if (value.isError()) return std::vector<Operand>(count);
    if (count == 1) {
        if (value.kind != Operand::Kind::Tuple) return std::vector<Operand>{value};
        reporter.error(loc, "the expression gives " + valueCount(value.values.size()) +
                                "; bind them with let (a, b, ...) = ...");
        return std::vector<Operand>(1);
    }
    if (value.kind == Operand::Kind::Tuple && value.values.size() == count) {
        std::vector<Operand> parts;
        for (ir::Value* part : value.values)
            parts.push_back(Operand::tensor(part));
        return parts;
    }
    size_t given = value.kind == Operand::Kind::Tuple ? value.values.size() : 1;
    reporter.error(loc,
                   "cannot bind " + valueCount(given) + " to " + std::to_string(count) + " names");
    return std::vector<Operand>(count);
}
} // namespace

const ast::Stmt* BodyLowerer::lowerBlock(const std::vector<ast::Stmt>& body, bool allowReturn) {
    for (size_t i = 0; i < body.size(); ++i) {
        const ast::Stmt& stmt = body[i];
        const auto* ret = std::get_if<ast::ReturnStmt>(&stmt.node);
        if (!ret) {
            lowerStatement(stmt);
            continue;
        }
        if (!allowReturn) {
            reporter().error(stmt.loc, kind_ == BodyKind::Function
                                           ? "'return' cannot be inside a loop"
                                           : "'return' is only allowed in a function; a kernel "
                                             "assigns its outputs");
            continue;
        }
        if (i + 1 != body.size())
            reporter().error(stmt.loc, "'return' must be the last statement of " + owner());
        return &stmt;
    }
    return nullptr;
}

void BodyLowerer::lowerStatement(const ast::Stmt& stmt) {
    if (ctx_.kernel.ops.size() > kMaxKernelOps) return; // reported once by lowerFor
    if (const auto* let = std::get_if<ast::LetStmt>(&stmt.node)) return lowerLet(*let, stmt.loc);
    if (const auto* assign = std::get_if<ast::AssignStmt>(&stmt.node))
        return lowerAssign(*assign, stmt.loc);
    if (const auto* loop = std::get_if<ast::ForStmt>(&stmt.node)) return lowerFor(*loop);
    if (const auto* check = std::get_if<ast::AssertStmt>(&stmt.node)) {
        checkAssertion(*check, stmt.loc, evaluator(), &scope_);
        return;
    }
    reporter().error(stmt.loc, "'return' is only allowed as the last statement of a function");
}

void BodyLowerer::lowerLet(const ast::LetStmt& let, SourceLoc loc) {
    Operand value = let.value ? lowerExpr(*let.value) : Operand::error();
    auto parts = unpack(value, let.names.size(), loc, reporter());
    auto kind = let.isVar ? LocalBinding::Kind::Var : LocalBinding::Kind::Let;
    for (size_t i = 0; i < let.names.size(); ++i) {
        const ast::Binding& name = let.names[i];
        Operand part = (*parts)[i];
        if (part.isTensor() && !part.value->isKernelInput()) nameValue(part.value, name.name);
        defineLocal(name.name, name.loc, LocalBinding{kind, name.loc, part});
    }
}

void BodyLowerer::lowerAssign(const ast::AssignStmt& assign, SourceLoc loc) {
    Operand value = assign.value ? lowerExpr(*assign.value) : Operand::error();
    auto parts = unpack(value, assign.targets.size(), loc, reporter());
    for (size_t i = 0; i < assign.targets.size(); ++i)
        assignTo(assign.targets[i], (*parts)[i]);
}

void BodyLowerer::assignTo(const ast::Binding& target, const Operand& value) {
    LocalBinding* binding = scope_.find(target.name);
    bool isOutput = binding && binding->kind == LocalBinding::Kind::Output;
    bool isVar = binding && binding->kind == LocalBinding::Kind::Var;
    if (!isOutput && !isVar) {
        std::string reason =
            binding && binding->kind != LocalBinding::Kind::Input
                ? "it is not a var (declare it with 'var " + target.name + " = ...' to reassign it)"
            : kind_ == BodyKind::Function && !binding
                ? "it is not declared (declare it with 'let' or 'var')"
                : "it is not an output of " + owner();
        reporter().error(target.loc, "cannot assign to '" + target.name + "': " + reason);
        return;
    }
    if (isVar) {
        const Operand& current = binding->operand;
        bool sameKind = current.kind == value.kind || current.isError() || value.isError();
        bool sameType =
            !current.isTensor() || !value.isTensor() || current.value->type == value.value->type;
        if (!sameKind || !sameType) {
            reporter().error(target.loc, "cannot assign " + describe(value) + " to var '" +
                                             target.name + "' of type " + describe(current));
            binding->operand = Operand::error();
            return;
        }
        if (value.isTensor() && !value.value->isKernelInput()) nameValue(value.value, target.name);
        binding->operand = value;
        return;
    }
    if (binding->assigned) {
        if (reporter().error(target.loc, "output '" + target.name + "' is assigned twice") &&
            binding->assignedAt.valid())
            reporter().note(binding->assignedAt, "first assigned here");
        return;
    }
    binding->assigned = true;
    binding->assignedAt = target.loc;
    binding->operand = Operand::error();
    if (value.isError() || binding->invalidType) return;
    if (!value.isTensor()) {
        reporter().error(target.loc, "output '" + target.name +
                                         "' must be assigned a tensor, got " +
                                         (value.isNumber() ? "a number" : "a tuple of values"));
        return;
    }
    if (binding->type && !assignable(*binding->type, value.value->type)) {
        reporter().error(target.loc, "output '" + target.name + "' is declared " +
                                         binding->type->str() + " but assigned " +
                                         value.value->type.str());
        return;
    }
    binding->operand = value;
}

void BodyLowerer::lowerFor(const ast::ForStmt& loop) {
    if (scope_.find(loop.var.name) || globals().defines(loop.var.name)) {
        reporter().error(loop.var.loc, "'" + loop.var.name + "' is already defined");
        return;
    }
    auto range = evalLoopRange(loop.range, evaluator(), &scope_, loop.var.loc);
    if (!range) return;
    for (int64_t value = range->first; value < range->second; ++value) {
        if (ctx_.kernel.ops.size() > kMaxKernelOps) {
            reporter().error(loop.var.loc, "the kernel has more than " +
                                               std::to_string(kMaxKernelOps) +
                                               " ops once this loop is unrolled");
            return;
        }
        Scope iteration(&scope_);
        bindLoopVars(iteration, {{loop.var.name, value, loop.var.loc}});
        LoopFrames frames(reporter(), {{loop.var.name, value, loop.var.loc}});
        BodyLowerer body(ctx_, iteration, module_, kind_, owner_);
        body.lowerBlock(loop.body, false);
    }
}

std::optional<ir::TensorType> portType(const ast::Param& param, ConstEvaluator& evaluator,
                                       const Scope* scope) {
    return param.type ? evaluator.evalType(*param.type, scope) : std::nullopt;
}

namespace {
class KernelLowering {
  public:
    KernelLowering(const KernelEntry& entry, Module& main, Reporter& reporter,
                   std::set<const ast::FnDecl*>& inlinedFns)
        : decl_(*entry.decl), entry_(entry), kernel_(std::make_unique<ir::Kernel>()),
          ctx_(main, reporter, *kernel_, inlinedFns),
          body_(ctx_, scope_, main, BodyKind::Kernel, "kernel '" + entry.name + "'") {
        kernel_->name = entry.name;
        kernel_->loc = decl_.loc;
        bindLoopVars(scope_, entry.env);
        ctx_.callStack.push_back(entry.name);
    }

    std::unique_ptr<ir::Kernel> run() {
        LoopFrames frames(ctx_.reporter, entry_.env);
        declareInputs();
        declareOutputs();
        body_.lowerBlock(decl_.body, false);
        finishOutputs();
        return std::move(kernel_);
    }

  private:
    void declareInputs() {
        std::vector<std::pair<const ast::Param*, ir::Value*>> fp32Inputs;
        for (const ast::Param& param : decl_.inputs) {
            auto type = portType(param, body_.evaluator(), &scope_);
            Operand operand;
            if (type) {
                ir::Value* input = kernel_->addInput(param.name, *type);
                input->loc = param.loc;
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
            ctx_.reporter.error(decl_.loc, "kernel '" + entry_.name + "' has no outputs");
        for (const ast::Param& param : decl_.outputs) {
            auto type = portType(param, body_.evaluator(), &scope_);
            LocalBinding binding{
                LocalBinding::Kind::Output, param.loc, Operand::error(), false, {}, type};
            binding.invalidType = !type; // reported: its assignment is not checked
            body_.defineLocal(param.name, param.loc, binding);
        }
    }

    void finishOutputs() {
        std::set<const ir::Value*> returned;
        for (const ast::Param& param : decl_.outputs) {
            LocalBinding* binding = scope_.find(param.name);
            if (!binding || binding->kind != LocalBinding::Kind::Output) continue; // a redefinition
            if (!binding->assigned && !binding->invalidType) {
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
    const KernelEntry& entry_;
    std::unique_ptr<ir::Kernel> kernel_;
    Scope scope_;
    KernelContext ctx_;
    BodyLowerer body_;
};
} // namespace

std::unique_ptr<ir::Kernel> lowerKernel(const KernelEntry& entry, Module& main, Reporter& reporter,
                                        std::set<const ast::FnDecl*>& inlinedFns) {
    return KernelLowering(entry, main, reporter, inlinedFns).run();
}

} // namespace anec::frontend
