#include "mil/mil_lowering.hpp"

#include "mil/mil_blobs.hpp"
#include "mil/mil_constexpr.hpp"
#include "mil/mil_function_lowering.hpp"
#include "support/checked_math.hpp"

namespace anec::mil {

namespace {
using syntax::ArgValue;

constexpr std::string_view kConstOp = "const";

void collectNames(const ArgValue& value, std::vector<std::string>& names) {
    if (value.kind == ArgValue::Kind::Name) names.push_back(value.name);
    for (const ArgValue& item : value.items)
        collectNames(item, names);
}

bool isKnownVersion(const std::string& version) {
    for (const char* known : {"1.0", "1.1", "1.2", "1.3", "1.4", "1.5"})
        if (version == known) return true;
    return false;
}
} // namespace

bool matchesDeclared(const ir::TensorType& declared, const ir::TensorType& inferred) {
    if (declared.dtype != inferred.dtype || declared.rank() != inferred.rank()) return false;
    for (size_t i = 0; i < declared.rank(); ++i)
        if (declared.shape[i] != ir::kDynamicDim && declared.shape[i] != inferred.shape[i])
            return false;
    return true;
}

std::string joinNames(const std::vector<std::string>& names) {
    std::string out;
    for (size_t i = 0; i < names.size(); ++i)
        out += (i ? ", " : "") + names[i];
    return out;
}

FunctionLowering::FunctionLowering(const syntax::Function& function, ValueReader& values,
                                   DiagnosticEngine& diagnostics)
    : function_(function), values_(values), diagnostics_(diagnostics),
      registry_(ir::OpRegistry::builtin()) {}

std::unique_ptr<ir::Kernel> FunctionLowering::run() {
    kernel_ = std::make_unique<ir::Kernel>();
    kernel_->name = function_.name;
    kernel_->loc = function_.loc;
    collectUses();
    for (const syntax::Declaration& param : function_.params)
        lowerParam(param);
    for (const syntax::Statement& statement : function_.statements) {
        if (statement.op == kConstOp)
            lowerConst(statement);
        else if (isConstexprOp(statement.op))
            lowerConstexpr(statement);
        else
            lowerOp(statement);
    }
    lowerReturns();
    return std::move(kernel_);
}

// Which variables a tensor operand (or the return) uses: those consts become const ops where
// they are defined. A const used only as parameters of ops is just their attribute value.
void FunctionLowering::collectUses() {
    for (const syntax::Statement& statement : function_.statements) {
        const ir::OpDef* def = statement.op == kConstOp ? nullptr : registry_.find(statement.op);
        for (const syntax::Argument& argument : statement.arguments) {
            std::vector<std::string> names;
            collectNames(argument.value, names);
            bool operand = def != nullptr && def->findOperand(argument.name) != nullptr;
            for (const std::string& name : names) {
                used_.insert(name);
                if (operand) usedAsOperand_.insert(name);
            }
        }
    }
    for (const syntax::Returned& returned : function_.returns) {
        used_.insert(returned.name);
        usedAsOperand_.insert(returned.name);
    }
}

bool FunctionLowering::define(const std::string& name, Symbol symbol) {
    auto [it, inserted] = symbols_.emplace(name, symbol);
    if (!inserted) {
        error(symbol.loc, "redefinition of '" + name + "'");
        diagnostics_.note(it->second.loc, "previous definition of '" + name + "' is here");
    }
    return inserted;
}

void FunctionLowering::poison(const std::vector<syntax::Declaration>& results) {
    for (const syntax::Declaration& result : results)
        define(result.name, Symbol{result.loc, nullptr, std::nullopt, true});
}

// The symbol a use refers to; nullptr after reporting an undefined name, or silently for a name
// whose definition already had an error.
FunctionLowering::Symbol* FunctionLowering::lookup(const std::string& name, SourceLoc loc) {
    auto it = symbols_.find(name);
    if (it == symbols_.end()) {
        error(loc, "undefined variable '" + name + "'");
        return nullptr;
    }
    return it->second.poisoned ? nullptr : &it->second;
}

// The IR type of a parameter or result declaration, or nullopt after reporting why not.
std::optional<ir::TensorType>
FunctionLowering::declaredType(const syntax::Declaration& declaration) {
    if (!declaration.type.tensor) {
        error(declaration.type.loc, declaration.type.unsupported);
        return std::nullopt;
    }
    return declaration.type.tensor;
}

// The `name = string("...")` of a statement.
std::optional<std::string> FunctionLowering::readOpName(const syntax::Argument& argument) {
    std::optional<Constant> constant;
    if (argument.value.kind == ArgValue::Kind::Literal)
        constant = values_.read(*argument.value.literal);
    else
        error(argument.value.loc, "the name of an op must be a string such as string(\"name\")");
    if (!constant) return std::nullopt;
    if (!constant->isString()) {
        error(argument.value.loc,
              "the name of an op must be a string, got " + constant->type.milStr());
        return std::nullopt;
    }
    return constant->text;
}

void FunctionLowering::lowerParam(const syntax::Declaration& param) {
    auto type = declaredType(param);
    if (type && !type->isStatic()) {
        error(param.type.loc, "dynamic shapes are not supported: input '" + param.name +
                                  "' has type " + param.type.spelling);
        type.reset();
    } else if (type && type->dtype == ir::DType::String) {
        error(param.type.loc, "input '" + param.name + "' cannot be a string");
        type.reset();
    } else if (type && !checkedProduct(type->shape)) {
        error(param.type.loc, "input '" + param.name + "' of type " + param.type.spelling +
                                  " has too many elements");
        type.reset();
    }
    if (!type) {
        define(param.name, Symbol{param.loc, nullptr, std::nullopt, true});
        return;
    }
    if (symbols_.count(param.name)) {
        define(param.name, Symbol{param.loc}); // reports the redefinition
        return;
    }
    define(param.name, Symbol{param.loc, kernel_->addInput(param.name, *type)});
}

void FunctionLowering::lowerReturns() {
    std::set<std::string> returned;
    for (const syntax::Returned& output : function_.returns) {
        if (!returned.insert(output.name).second) {
            error(output.loc, "'" + output.name + "' is returned twice");
            continue;
        }
        Symbol* symbol = lookup(output.name, output.loc);
        if (symbol == nullptr) continue;
        if (symbol->value == nullptr && symbol->constant) {
            if (symbol->constant->isString()) {
                error(output.loc, "cannot return the string '" + output.name + "'");
                continue;
            }
            materialize(output.name, *symbol);
        }
        kernel_->outputs.push_back({output.name, symbol->value, output.loc});
    }
    if (function_.returns.empty())
        error(function_.returnsLoc.valid() ? function_.returnsLoc : function_.loc,
              "function '" + function_.name + "' returns nothing");
}

std::unique_ptr<ir::Module> lowerMil(const syntax::Program& program,
                                     const std::filesystem::path& modelDir,
                                     DiagnosticEngine& diagnostics, MetadataCheck check) {
    size_t errorsBefore = diagnostics.errorCount();
    if (!isKnownVersion(program.version))
        diagnostics.warning(program.versionLoc, "MIL program version " + program.version +
                                                    " is not one anec knows (1.0 to 1.5); "
                                                    "reading it anyway");
    BlobFiles blobs(modelDir, diagnostics, check);
    ValueReader values(diagnostics, blobs);
    auto module = std::make_unique<ir::Module>();
    std::map<std::string, SourceLoc> functions;
    for (const syntax::Function& function : program.functions) {
        auto [previous, inserted] = functions.emplace(function.name, function.loc);
        if (!inserted) {
            diagnostics.error(function.loc, "redefinition of function '" + function.name + "'");
            diagnostics.note(previous->second,
                             "previous definition of '" + function.name + "' is here");
            continue;
        }
        module->kernels.push_back(FunctionLowering(function, values, diagnostics).run());
    }
    if (program.functions.empty())
        diagnostics.error(program.versionLoc, "the MIL program has no functions");
    if (diagnostics.errorCount() > errorsBefore) return nullptr;
    return module;
}

} // namespace anec::mil
