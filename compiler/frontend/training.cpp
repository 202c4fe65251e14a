// Sema of `train NAME { ... }` declarations and the step they add to the module: the stages are
// lowered once more with every trained weight as a dynamic weight (so that a whole run compiles
// each program once), then training::buildStep builds the programs and the schedule.
#include <algorithm>
#include <functional>
#include <map>

#include "fmt/format.h"
#include "frontend/lowering.hpp"
#include "support/suggest.hpp"
#include "training/step_builder.hpp"

namespace anec::frontend {

namespace {

using Option = ast::TrainOption;

const std::vector<std::string> kTrainKeys = {
    "model",        "loss",       "optimizer", "lr",     "beta1",     "beta2", "eps",
    "weight_decay", "momentum",   "warmup",    "decay",  "min_lr",    "clip",  "scale",
    "batch",        "accumulate", "frozen",    "update", "segment_mb"};

class TrainLowerer {
  public:
    TrainLowerer(const ast::TrainDecl& decl, Module& main, Reporter& reporter, ir::Module& module)
        : decl_(decl), main_(main), globals_(main.globals), evaluator_(*main.evaluator),
          reporter_(reporter), module_(module) {}

    void overrideBatch(int64_t batch) { batchOverride_ = batch; }

    void lower(bool kernelsValid) {
        size_t errorsBefore = reporter_.errorCount();
        readOptions();
        if (stageEntries_.empty() && reporter_.errorCount() == errorsBefore)
            reporter_.error(decl_.loc, "train '" + decl_.name +
                                           "' needs 'model KERNELS' (the stages in order)");
        if (!lossEntry_ && reporter_.errorCount() == errorsBefore)
            reporter_.error(decl_.loc, "train '" + decl_.name +
                                           "' needs 'loss KERNEL' (logits, targets -> loss)");
        if (!kernelsValid || reporter_.errorCount() != errorsBefore) return;

        training::StepSpec spec;
        spec.name = decl_.name;
        spec.loc = decl_.loc;
        spec.optimizer = optimizer_;
        spec.microBatches = batchOverride_.value_or(batch_) * accumulate_;
        spec.hostUpdate = hostUpdate_;
        spec.frozen = frozen_;
        spec.segmentWeightBytes = static_cast<uint64_t>(segmentMb_ * 1024 * 1024);
        std::vector<std::unique_ptr<ir::Kernel>> lowered = lowerWithTrainedWeights();
        if (reporter_.errorCount() != errorsBefore) return;
        for (size_t i = 0; i + 1 < lowered.size(); ++i)
            spec.stages.push_back(lowered[i].get());
        spec.loss = lowered.back().get();
        auto built = training::buildStep(spec);
        if (!built) {
            reporter_.error(decl_.loc, "train '" + decl_.name + "': " + built.error());
            return;
        }
        for (const ir::VjpRangeWarning& warning : built->warnings) {
            reporter_.warning(decl_.loc,
                              "in the gradient of train '" + decl_.name + "': " + warning.message);
            reporter_.note(warning.loc, "the op is here");
        }
        warnOverCompileBudget(built->step);
        for (auto& kernel : built->kernels)
            module_.kernels.push_back(std::move(kernel));
        module_.trainSteps.push_back(std::move(built->step));
    }

  private:
    // The ANE compiler fails near 119 compiles per process (rule 15); the runtime's default
    // budget is 100, and every program of a step is compiled once per run.
    void warnOverCompileBudget(const ir::TrainStep& step) {
        constexpr size_t kDefaultCompileBudget = 100;
        const size_t programs = step.programs().size();
        if (programs > kDefaultCompileBudget)
            reporter_.warning(decl_.loc,
                              fmt::format("train '{}' has {} programs, more than the ANE's default "
                                          "compile budget of {} per process (rule 15): raise "
                                          "segment_mb for fewer, larger programs",
                                          decl_.name, programs, kDefaultCompileBudget));
    }

    void readOptions() {
        std::map<std::string, SourceLoc> seen;
        for (const Option& option : decl_.options) {
            const std::string& key = option.key.name;
            if (std::find(kTrainKeys.begin(), kTrainKeys.end(), key) == kTrainKeys.end()) {
                reporter_.error(option.key.loc, "unknown key '" + key + "' of 'train'" +
                                                    didYouMean(key, kTrainKeys));
                continue;
            }
            if (!seen.emplace(key, option.key.loc).second) {
                if (reporter_.error(option.key.loc, "'" + key + "' is given twice"))
                    reporter_.note(seen.at(key), "first given here");
                continue;
            }
            readOption(option);
        }
    }

    void readOption(const Option& option) {
        const std::string& key = option.key.name;
        ir::OptimizerConfig& o = optimizer_;
        if (key == "model") return readModel(option);
        if (key == "loss") {
            if (one(option)) lossEntry_ = kernelEntry(*option.values[0]);
            return;
        }
        if (key == "frozen") return readFrozen(option);
        if (key == "optimizer")
            return readWord(option, {"sgd", "adam", "adamw"}, [&](auto& w) {
                o.kind = w == "sgd"    ? ir::OptimizerKind::Sgd
                         : w == "adam" ? ir::OptimizerKind::Adam
                                       : ir::OptimizerKind::AdamW;
            });
        if (key == "update")
            return readWord(option, {"ane", "host"}, [&](auto& w) { hostUpdate_ = w == "host"; });
        if (key == "batch" || key == "accumulate" || key == "warmup" || key == "decay")
            return readCount(option);
        // Reals: each with its valid range.
        struct Real {
            double* field;
            double min, max;
            bool minOpen;
        };
        const std::map<std::string, Real> reals = {{"lr", {&o.lr, 0, 10, true}},
                                                   {"beta1", {&o.beta1, 0, 1, false}},
                                                   {"beta2", {&o.beta2, 0, 1, false}},
                                                   {"eps", {&o.eps, 0, 1, true}},
                                                   {"weight_decay", {&o.weightDecay, 0, 1, false}},
                                                   {"momentum", {&o.momentum, 0, 1, false}},
                                                   {"min_lr", {&o.minLr, 0, 10, false}},
                                                   {"clip", {&o.clipNorm, 0, 1e9, true}},
                                                   {"scale", {&o.lossScale, 0, 65504, true}},
                                                   {"segment_mb", {&segmentMb_, 0, 1e6, true}}};
        const Real& real = reals.at(key);
        if (!one(option)) return;
        auto value = evaluator_.evalReal(*option.values[0]);
        if (!value) return;
        bool low = real.minOpen ? !(*value > real.min) : !(*value >= real.min);
        bool high = key == "beta1" || key == "beta2" ? !(*value < real.max) : !(*value <= real.max);
        if (low || high) {
            reporter_.error(option.values[0]->loc,
                            fmt::format("'{}' must be in {}{:g}, {:g}{}, got {:g}", key,
                                        real.minOpen ? "(" : "[", real.min, real.max,
                                        key == "beta1" || key == "beta2" ? ")" : "]", *value));
            return;
        }
        *real.field = *value;
    }

    bool one(const Option& option) {
        if (option.values.size() == 1 && option.values[0]) return true;
        if (option.values.size() > 1)
            reporter_.error(option.values[1]->loc, "'" + option.key.name + "' takes one value");
        return false;
    }

    void readCount(const Option& option) {
        if (!one(option)) return;
        auto value = evaluator_.evalInt(*option.values[0]);
        if (!value) return;
        const std::string& key = option.key.name;
        bool positive = key == "batch" || key == "accumulate";
        if (*value < (positive ? 1 : 0) || *value > 1000000) {
            reporter_.error(option.values[0]->loc,
                            fmt::format("'{}' must be {} 1000000, got {}", key,
                                        positive ? "between 1 and" : "between 0 and", *value));
            return;
        }
        if (key == "batch") batch_ = *value;
        if (key == "accumulate") accumulate_ = *value;
        if (key == "warmup") optimizer_.warmup = *value;
        if (key == "decay") optimizer_.decaySteps = *value;
    }

    void readWord(const Option& option, const std::vector<std::string>& words,
                  const std::function<void(const std::string&)>& set) {
        if (!one(option)) return;
        const auto* ref = option.values[0]->as<ast::NameRef>();
        std::string word = ref ? ref->name : "";
        if (std::find(words.begin(), words.end(), word) == words.end()) {
            std::string list;
            for (const std::string& w : words)
                list += (list.empty() ? "" : ", ") + w;
            reporter_.error(option.values[0]->loc,
                            "'" + option.key.name + "' is one of " + list +
                                (word.empty() ? "" : didYouMean(word, words)));
            return;
        }
        set(word);
    }

    // A kernel, or a kernel array standing for its elements in index order.
    void readModel(const Option& option) {
        for (const ast::ExprPtr& value : option.values) {
            if (!value) continue;
            const auto* ref = value->as<ast::NameRef>();
            auto array = ref ? globals_.arrays.find(ref->name) : globals_.arrays.end();
            if (array != globals_.arrays.end() && array->second.kind == ArrayEntry::Kind::Kernel) {
                for (const auto& [index, entry] : array->second.elements)
                    stageEntries_.push_back(&globals_.kernels.at(entry));
                continue;
            }
            if (const KernelEntry* entry = kernelEntry(*value)) stageEntries_.push_back(entry);
        }
    }

    const KernelEntry* kernelEntry(const ast::Expr& value) {
        const auto* ref = value.as<ast::NameRef>();
        if (ref) {
            auto kernel = globals_.kernels.find(ref->name);
            if (kernel != globals_.kernels.end()) return &kernel->second;
        }
        std::vector<std::string> kernels;
        for (const auto& [name, entry] : globals_.kernels)
            kernels.push_back(name);
        for (const auto& [name, array] : globals_.arrays)
            if (array.kind == ArrayEntry::Kind::Kernel) kernels.push_back(name);
        std::string name = ref ? ref->name : "";
        auto array = globals_.arrays.find(name);
        bool otherArray =
            array != globals_.arrays.end() && (array->second.kind == ArrayEntry::Kind::Fuse ||
                                               array->second.kind == ArrayEntry::Kind::Grad);
        bool other =
            ref && (globals_.fusions.count(name) || globals_.grads.count(name) || otherArray);
        reporter_.error(value.loc,
                        !ref    ? "expected the name of a kernel"
                        : other ? "'" + name +
                                      "' is a fused or gradient kernel; the model and the loss "
                                      "are plain kernels (the step fuses and differentiates them)"
                                : "unknown kernel '" + name + "'" + didYouMean(name, kernels));
        return nullptr;
    }

    void readFrozen(const Option& option) {
        for (const ast::ExprPtr& value : option.values) {
            const auto* ref = value ? value->as<ast::NameRef>() : nullptr;
            auto array = ref ? globals_.arrays.find(ref->name) : globals_.arrays.end();
            if (array != globals_.arrays.end() && array->second.kind == ArrayEntry::Kind::Weight) {
                for (const auto& [index, entry] : array->second.elements)
                    frozen_.insert(entry);
                continue;
            }
            if (ref && globals_.weights.count(ref->name)) {
                frozen_.insert(ref->name);
                continue;
            }
            std::vector<std::string> weights;
            for (const auto& [name, entry] : globals_.weights)
                weights.push_back(name);
            if (value)
                reporter_.error(value->loc, ref ? "unknown weight '" + ref->name + "'" +
                                                      didYouMean(ref->name, weights)
                                                : std::string("expected the name of a weight"));
        }
    }

    // The stages and the loss, lowered again with every float weight not frozen as a dynamic
    // weight: linear becomes a matmul over a runtime weight, as for `dynamic weight`.
    std::vector<std::unique_ptr<ir::Kernel>> lowerWithTrainedWeights() {
        for (const auto& [name, entry] : globals_.weights)
            if (entry.data && ir::isFloat(entry.data->type().dtype) && !frozen_.count(name))
                globals_.trainedWeights.insert(name);
        std::vector<std::unique_ptr<ir::Kernel>> kernels;
        std::set<const ast::FnDecl*> inlined;
        std::vector<const KernelEntry*> entries = stageEntries_;
        entries.push_back(lossEntry_);
        for (const KernelEntry* entry : entries)
            kernels.push_back(lowerKernel(*entry, main_, reporter_, inlined));
        globals_.trainedWeights.clear();
        return kernels;
    }

    const ast::TrainDecl& decl_;
    Module& main_;
    Globals& globals_;
    ConstEvaluator& evaluator_;
    Reporter& reporter_;
    ir::Module& module_;
    std::vector<const KernelEntry*> stageEntries_;
    const KernelEntry* lossEntry_ = nullptr;
    ir::OptimizerConfig optimizer_;
    int64_t batch_ = 1, accumulate_ = 1;
    std::optional<int64_t> batchOverride_;
    bool hostUpdate_ = false;
    double segmentMb_ = 32; // weights per program: the ANE's ~32 MB on-chip working set
    std::set<std::string> frozen_;
};

} // namespace

void lowerTraining(Module& main, Reporter& reporter, ir::Module& module, bool kernelsValid,
                   std::optional<int64_t> batch) {
    const std::vector<TrainEntry>& trains = main.globals.trains;
    for (size_t i = 1; i < trains.size(); ++i)
        if (reporter.error(trains[i].decl->loc, "a program declares one training step; '" +
                                                    trains[0].decl->name + "' is declared already"))
            reporter.note(trains[0].decl->loc, "declared here");
    if (trains.empty()) return;
    TrainLowerer lowerer(*trains[0].decl, main, reporter, module);
    if (batch) lowerer.overrideBatch(*batch);
    lowerer.lower(kernelsValid);
}

} // namespace anec::frontend
