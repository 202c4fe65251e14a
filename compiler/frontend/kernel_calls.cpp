// A kernel called from another kernel (`h = layer[l](h)`): its body is inlined, so the caller is
// one ANE program running both. Inside a program everything computes in fp16, so a declared fp32
// input takes the fp16 value it is given (the entry cast is the outer program's) and an fp32
// output gives its fp16 value.
#include <algorithm>

#include "frontend/arguments.hpp"
#include "frontend/declarations.hpp"
#include "frontend/lowering.hpp"

namespace anec::frontend {

namespace {
struct StackEntry {
    std::vector<std::string>& stack;
    StackEntry(std::vector<std::string>& s, std::string name) : stack(s) {
        stack.push_back(std::move(name));
    }
    ~StackEntry() { stack.pop_back(); }
};

// The fp16-or-exact rule for a kernel input given `arg` (reported when it does not fit).
Operand bindInput(BodyLowerer& callee, const Operand& arg, const ir::TensorType& declared,
                  SourceLoc loc, const std::string& what) {
    if (arg.isError()) return arg;
    if (arg.isNumber() && declared.isScalar()) {
        ir::Value* value = callee.materialize(arg, ir::DType::Fp16, loc);
        return value ? Operand::tensor(value) : Operand::error();
    }
    if (!arg.isTensor()) {
        callee.reporter().error(loc, what + " is declared " + declared.str() + " but got " +
                                         (arg.isNumber() ? "a number" : "a tuple of values"));
        return Operand::error();
    }
    const ir::TensorType& actual = arg.value->type;
    bool fp16ForFp32 = declared.dtype == ir::DType::Fp32 && actual.dtype == ir::DType::Fp16;
    if (actual.shape != declared.shape || (actual.dtype != declared.dtype && !fp16ForFp32)) {
        callee.reporter().error(loc, what + " is declared " + declared.str() + " but got " +
                                         actual.str());
        return Operand::error();
    }
    if (actual.dtype != ir::DType::Fp32) return arg;
    return callee.createOp("cast", {arg.value}, {{"dtype", std::string("fp16")}}, loc);
}
} // namespace

Operand BodyLowerer::inlineKernel(const ast::Expr& expr, const ast::CallExpr& call,
                                  const KernelEntry& entry) {
    const ast::KernelDecl& decl = *entry.decl;
    auto& stack = ctx_.callStack;
    if (std::find(stack.begin(), stack.end(), entry.name) != stack.end()) {
        reporter().error(expr.loc, "recursive call to kernel '" + entry.name + "'");
        return Operand::error();
    }
    std::vector<ParamSpec> specs;
    for (const ast::Param& input : decl.inputs)
        specs.push_back({input.name, true});
    auto bound = bindArguments(entry.name, specs, call.args, expr.loc, reporter());
    if (!bound) return Operand::error();
    std::vector<Operand> args;
    for (const ast::Argument* arg : *bound)
        args.push_back(lowerExpr(*arg->value));

    StackEntry onStack(stack, entry.name);
    FrameScope note(reporter(),
                    {expr.loc, "in call to kernel '" + entry.name + "' from " + owner()});
    LoopFrames frames(reporter(), entry.env);
    Scope calleeScope;
    bindLoopVars(calleeScope, entry.env);
    BodyLowerer callee(ctx_, calleeScope, ctx_.main, BodyKind::Kernel,
                       "kernel '" + entry.name + "'");
    for (size_t i = 0; i < decl.inputs.size(); ++i) {
        const ast::Param& input = decl.inputs[i];
        auto type = portType(input, callee.evaluator(), &calleeScope);
        Operand value = type
                            ? bindInput(callee, args[i], *type, (*bound)[i]->loc,
                                        "input '" + input.name + "' of kernel '" + entry.name + "'")
                            : Operand::error();
        callee.defineLocal(
            input.name, input.loc,
            LocalBinding{LocalBinding::Kind::Input, input.loc, value, false, {}, type});
    }
    for (const ast::Param& output : decl.outputs) {
        auto type = portType(output, callee.evaluator(), &calleeScope);
        LocalBinding binding{
            LocalBinding::Kind::Output, output.loc, Operand::error(), false, {}, type};
        binding.invalidType = !type;
        callee.defineLocal(output.name, output.loc, binding);
    }
    callee.lowerBlock(decl.body, false);

    std::vector<ir::Value*> results;
    bool failed = false;
    for (const ast::Param& output : decl.outputs) {
        const LocalBinding* binding = calleeScope.find(output.name);
        if (!binding || !binding->operand.isTensor()) {
            failed = true; // never assigned, or an error: reported by the kernel's own lowering
            continue;
        }
        results.push_back(binding->operand.value);
    }
    if (failed || results.empty()) return Operand::error();
    if (results.size() == 1) return Operand::tensor(results[0]);
    return Operand::tuple(std::move(results));
}

} // namespace anec::frontend
