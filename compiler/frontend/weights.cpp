// Weight sources: the deterministic random generator, zeros/ones and .npy files.
#include "frontend/weights.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "frontend/arguments.hpp"
#include "frontend/declarations.hpp"
#include "support/fp16.hpp"
#include "support/memory_limit.hpp"
#include "support/npy.hpp"

namespace anec::frontend {

namespace {
void storeFloat(ir::DType dtype, uint8_t* p, double value) {
    switch (dtype) {
    case ir::DType::Fp16: {
        uint16_t bits = doubleToHalf(value);
        std::memcpy(p, &bits, 2);
        return;
    }
    case ir::DType::Fp32: {
        float f = static_cast<float>(value); // round to nearest even
        std::memcpy(p, &f, 4);
        return;
    }
    case ir::DType::Fp64:
        std::memcpy(p, &value, 8);
        return;
    case ir::DType::Int32: {
        int32_t i = static_cast<int32_t>(value);
        std::memcpy(p, &i, 4);
        return;
    }
    case ir::DType::Bool:
        *p = value != 0.0;
        return;
    default:
        return;
    }
}

template <typename ValueAt>
ir::ConstData fillConstData(const ir::TensorType& type, ValueAt valueAt) {
    size_t size = ir::dtypeSize(type.dtype);
    std::vector<uint8_t> bytes(static_cast<size_t>(type.numElements()) * size);
    for (size_t i = 0, n = static_cast<size_t>(type.numElements()); i < n; ++i)
        storeFloat(type.dtype, bytes.data() + i * size, valueAt(i));
    return ir::ConstData(type, std::move(bytes));
}

const ast::Expr* argValue(const BoundArguments& args, size_t i) {
    return args[i] ? args[i]->value.get() : nullptr;
}

class WeightLoader {
  public:
    WeightLoader(ConstEvaluator& evaluator, Reporter& reporter, const std::string& baseDir)
        : evaluator_(evaluator), reporter_(reporter), baseDir_(baseDir),
          budget_("the weights before it") {}

    std::shared_ptr<const ir::ConstData> load(const WeightEntry& entry) {
        const ast::WeightDecl& decl = *entry.decl;
        Scope scope;
        bindLoopVars(scope, entry.env);
        scope_ = &scope;
        name_ = entry.name;
        LoopFrames frames(reporter_, entry.env);
        auto type = evaluator_.evalType(decl.type, scope_);
        if (!decl.source) return initialZeros(decl, type);
        const auto* call = decl.source->as<ast::CallExpr>();
        if (!call) {
            reporter_.error(
                decl.source->loc,
                "a weight needs a source: random(seed, scale), npy(\"file\"), zeros() or ones()");
            return nullptr;
        }
        if (!type) return nullptr;
        if (!storable(decl, *type) || !fitsInMemory(decl, *type)) return nullptr;
        std::optional<ir::ConstData> data = loadSource(decl, *type, *call, decl.source->loc);
        if (!data) return nullptr;
        data->blobName = name_;
        return std::make_shared<const ir::ConstData>(std::move(*data));
    }

  private:
    // A weight becomes a MILBlob, which has no bool type (the emitter would refuse it).
    bool storable(const ast::WeightDecl& decl, const ir::TensorType& type) {
        if (type.dtype != ir::DType::Bool) return true;
        reporter_.error(decl.type.loc, "weight '" + name_ +
                                           "' cannot be bool: weight files have "
                                           "no bool type; declare it fp16 and compare, e.g. '" +
                                           name_ + " > 0'");
        return false;
    }

    // Every weight is held in memory while compiling: each, and all of them together, must
    // fit the memory limit (support/memory_limit.hpp).
    bool fitsInMemory(const ast::WeightDecl& decl, const ir::TensorType& type) {
        try {
            budget_.charge("weight '" + name_ + "' " + type.str(),
                           static_cast<uint64_t>(type.byteSize()));
            return true;
        } catch (const MemoryLimitError& e) {
            reporter_.error(decl.type.loc, e.what());
            return false;
        }
    }

    // A dynamic weight may omit its source: it starts at zeros. Any other weight needs one.
    std::shared_ptr<const ir::ConstData> initialZeros(const ast::WeightDecl& decl,
                                                      const std::optional<ir::TensorType>& type) {
        if (!decl.dynamic) {
            reporter_.error(decl.loc, "weight '" + name_ +
                                          "' needs a source: = random(seed, scale), npy(\"file\"), "
                                          "zeros() or ones() (only a dynamic weight may omit it)");
            return nullptr;
        }
        if (!type) return nullptr;
        if (!storable(decl, *type) || !fitsInMemory(decl, *type)) return nullptr;
        ir::ConstData data = fillConstData(*type, [](size_t) { return 0.0; });
        data.blobName = name_;
        return std::make_shared<const ir::ConstData>(std::move(data));
    }

    std::optional<ir::ConstData> loadSource(const ast::WeightDecl& decl, const ir::TensorType& type,
                                            const ast::CallExpr& call, SourceLoc loc) {
        if (call.callee == "random") return loadRandom(decl, type, call, loc);
        if (call.callee == "npy") return loadNpy(decl, type, call, loc);
        if (call.callee == "zeros" || call.callee == "ones") {
            if (!bindArguments(call.callee, {}, call.args, loc, reporter_)) return std::nullopt;
            double value = call.callee == "ones" ? 1.0 : 0.0;
            return fillConstData(type, [value](size_t) { return value; });
        }
        reporter_.error(loc, "unknown weight source '" + call.callee +
                                 "' (expected random, npy, zeros or ones)");
        return std::nullopt;
    }

    std::optional<ir::ConstData> loadRandom(const ast::WeightDecl& decl, const ir::TensorType& type,
                                            const ast::CallExpr& call, SourceLoc loc) {
        auto args = bindArguments("random", {{"seed"}, {"scale"}}, call.args, loc, reporter_);
        if (!args) return std::nullopt;
        auto seed = evaluator_.evalInt(*argValue(*args, 0), scope_);
        auto scale = evaluator_.evalReal(*argValue(*args, 1), scope_);
        if (!seed || !scale) return std::nullopt;
        if (*seed < 0) {
            reporter_.error(argValue(*args, 0)->loc,
                            "random seed must be non-negative, got " + std::to_string(*seed));
            return std::nullopt;
        }
        if (!ir::isFloat(type.dtype)) {
            reporter_.error(decl.type.loc, "random weights must be fp16 or fp32, '" + name_ +
                                               "' is " + type.str());
            return std::nullopt;
        }
        return randomConstData(type, static_cast<uint64_t>(*seed), *scale);
    }

    std::optional<ir::ConstData> loadNpy(const ast::WeightDecl&, const ir::TensorType& type,
                                         const ast::CallExpr& call, SourceLoc loc) {
        auto args = bindArguments("npy", {{"path"}}, call.args, loc, reporter_);
        if (!args) return std::nullopt;
        const ast::Expr& pathExpr = *argValue(*args, 0);
        const auto* path = pathExpr.as<ast::StringLit>();
        if (!path) {
            reporter_.error(pathExpr.loc, "npy expects a file name string");
            return std::nullopt;
        }
        auto formatted = evaluator_.formatString(path->value, pathExpr.loc, scope_);
        if (!formatted) return std::nullopt;
        const std::string& shown = *formatted;
        std::filesystem::path file(shown);
        if (file.is_relative()) file = std::filesystem::path(baseDir_) / file;
        std::error_code ec;
        if (!std::filesystem::is_regular_file(file, ec)) {
            reporter_.error(pathExpr.loc, "cannot open weight file '" + shown + "'");
            return std::nullopt;
        }
        auto array = npy::read(file.string());
        if (!array) {
            reporter_.error(pathExpr.loc, "weight file '" + shown +
                                              "' is not a valid .npy file: " + array.error());
            return std::nullopt;
        }
        if (!compatible(*array, type)) {
            reporter_.error(pathExpr.loc, "weight '" + name_ + "' is declared " + type.str() +
                                              " but " + shown + " holds " + array->typeString());
            return std::nullopt;
        }
        const npy::Array& values = *array;
        return fillConstData(type,
                             [&values](size_t i) { return values.at(static_cast<int64_t>(i)); });
    }

    static bool compatible(const npy::Array& array, const ir::TensorType& type) {
        if (array.shape != type.shape) return false;
        bool floatFile = array.dtype == npy::DType::Float16 || array.dtype == npy::DType::Float32 ||
                         array.dtype == npy::DType::Float64;
        if (ir::isFloat(type.dtype)) return floatFile;
        if (type.dtype == ir::DType::Int32) return array.dtype == npy::DType::Int32;
        return type.dtype == ir::DType::Bool && array.dtype == npy::DType::Bool;
    }

    ConstEvaluator& evaluator_;
    Reporter& reporter_;
    std::string baseDir_;
    MemoryBudget budget_;
    const Scope* scope_ = nullptr; // the loop variables of the weight being loaded
    std::string name_;             // its entry name ("Wq_3")
};
} // namespace

double uniformSigned(uint64_t z, double scale) {
    double u = static_cast<double>(z >> 11) * 0x1.0p-53;
    return scale * (2.0 * u - 1.0);
}

ir::ConstData randomConstData(const ir::TensorType& type, uint64_t seed, double scale) {
    SplitMix64 generator(seed);
    return fillConstData(type, [&](size_t) { return uniformSigned(generator.next(), scale); });
}

void loadWeights(Module& main, Reporter& reporter, const std::string& baseDir) {
    WeightLoader loader(*main.evaluator, reporter, baseDir);
    for (const std::string& name : main.globals.weightOrder) {
        WeightEntry& entry = main.globals.weights.at(name);
        entry.data = loader.load(entry);
    }
}

} // namespace anec::frontend
