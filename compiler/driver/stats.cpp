#include "driver/stats.hpp"

#include <algorithm>
#include <array>
#include <iomanip>
#include <set>
#include <sstream>

namespace anec::driver {

namespace {
uint64_t elements(const ir::Value* value) {
    return value ? static_cast<uint64_t>(std::max<int64_t>(value->type.numElements(), 0)) : 0;
}
uint64_t bytes(const ir::Value* value) {
    return value ? static_cast<uint64_t>(std::max<int64_t>(value->type.byteSize(), 0)) : 0;
}

bool isDataMovement(const std::string& kind) {
    static const std::set<std::string> kinds = {
        "const", "identity",    "cast",    "reshape",       "transpose",     "concat",
        "split", "expand_dims", "squeeze", "slice_by_size", "slice_by_index"};
    return kinds.count(kind) > 0;
}

// Per-output-element cost of ops that are not one operation per element.
uint64_t perElementCost(const std::string& kind) {
    if (kind == "softmax") return 5;    // max, sub, exp, sum, div
    if (kind == "layer_norm") return 8; // mean, sub, square, mean, rsqrt, mul, gamma, beta
    if (kind == "gelu") return 8;       // tanh/erf polynomial
    if (kind == "silu") return 2;       // sigmoid, mul
    return 1;
}

// scores = q @ k^T (2*L*S*E), scale and mask (2 per score), softmax (5 per score),
// probs @ v (2*L*S*Ev), per batch element.
uint64_t attentionFlops(const ir::Op& op, bool matrixOnly) {
    const ir::Shape& k = op.operands[1]->type.shape;
    const ir::Shape& v = op.operands[2]->type.shape;
    if (k.size() < 2 || v.empty()) return 0;
    const uint64_t e = static_cast<uint64_t>(k.back());
    const uint64_t ev = static_cast<uint64_t>(v.back());
    const uint64_t scores = elements(op.result()) / std::max<uint64_t>(ev, 1) *
                            static_cast<uint64_t>(k[k.size() - 2]); // batch * L * S
    const uint64_t elementwise = matrixOnly ? 0 : 2 + perElementCost("softmax");
    return scores * (2 * e + elementwise + 2 * ev);
}

std::string withCommas(uint64_t n) {
    std::string digits = std::to_string(n), out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

// opFlops, or with matrixOnly its matrix part (KernelStats::matrixFlops) of a matrix op.
uint64_t estimateFlops(const ir::Op& op, bool matrixOnly) {
    const std::string& kind = op.kind();
    if (isDataMovement(kind) || op.results.empty()) return 0;
    const uint64_t out = elements(op.result());
    if (kind == "conv" && op.operands.size() > 1 && op.operands[1]) {
        // 2 * Cout * Cin/groups * kH * kW * outH * outW * N: the weight holds Cin/groups * kH * kW
        // multiply-adds per output element.
        const ir::Shape& w = op.operands[1]->type.shape;
        uint64_t perOutput = 1;
        for (size_t d = 1; d < w.size(); ++d)
            perOutput *= static_cast<uint64_t>(w[d]);
        const bool biased = op.operands.size() > 2 && op.operands[2];
        // The bias: one add per output element, elementwise work.
        return 2 * out * perOutput + (biased && !matrixOnly ? out : 0);
    }
    if (kind == "scaled_dot_product_attention" && op.operands.size() > 2 && op.operands[1] &&
        op.operands[2])
        return attentionFlops(op, matrixOnly);
    if (kind == "matmul" && op.operands.size() > 1 && op.operands[0]) {
        // 2 * M * N * K * batch: K multiply-adds per output element.
        const ir::Shape& x = op.operands[0]->type.shape;
        const bool* transposeX = op.attr<bool>("transpose_x");
        size_t rank = x.size();
        uint64_t k = rank == 0   ? 1
                     : rank == 1 ? static_cast<uint64_t>(x[0])
                                 : static_cast<uint64_t>(transposeX && *transposeX ? x[rank - 2]
                                                                                   : x[rank - 1]);
        return 2 * out * k;
    }
    if (kind.rfind("reduce_", 0) == 0)
        return elements(op.operands.empty() ? nullptr : op.operands[0]);
    return out * perElementCost(kind);
}
} // namespace

uint64_t opFlops(const ir::Op& op) {
    return estimateFlops(op, false);
}

uint64_t opMatrixFlops(const ir::Op& op) {
    const std::string& kind = op.kind();
    if (kind != "conv" && kind != "matmul" && kind != "scaled_dot_product_attention") return 0;
    return estimateFlops(op, true);
}

KernelStats kernelStats(const ir::Kernel& kernel) {
    KernelStats stats;
    stats.kernel = kernel.name;
    for (const ir::KernelOutput& output : kernel.outputs)
        stats.outputBytes += bytes(output.value);
    for (const auto& input : kernel.inputs)
        stats.inputBytes += bytes(input.get());
    for (const auto& op : kernel.ops) {
        ++stats.opsByKind[op->kind()];
        stats.flops += opFlops(*op);
        stats.matrixFlops += opMatrixFlops(*op);
    }
    // The measures passes remark on, measured the same way (passes::measureFootprint).
    passes::Footprint footprint = passes::measureFootprint(kernel);
    stats.intermediateBytes = static_cast<uint64_t>(footprint.intermediateBytes);
    stats.weightBytes = static_cast<uint64_t>(footprint.weightBytes);
    return stats;
}

std::vector<KernelStats> moduleStats(const ir::Module& module) {
    std::vector<KernelStats> stats;
    for (const auto& kernel : module.kernels)
        stats.push_back(kernelStats(*kernel));
    return stats;
}

std::vector<KernelStats> moduleStats(const ir::Module& module,
                                     const std::vector<passes::PassResult>& passResults) {
    std::vector<KernelStats> stats = moduleStats(module);
    for (const passes::PassResult& result : passResults)
        for (const passes::PassRemark& remark : result.remarks)
            for (KernelStats& kernel : stats)
                if (kernel.kernel == remark.kernel) kernel.remarks.push_back(remark);
    return stats;
}

StepStats stepStats(const ir::TrainStep& step,
                    const std::function<const ir::Kernel*(const std::string&)>& findKernel) {
    StepStats stats;
    stats.step = step.name;
    stats.microBatches = step.microBatches;
    stats.programs = step.programs().size();
    for (const ir::StepDispatch& dispatch : step.dispatches) {
        const uint64_t runs = static_cast<uint64_t>(step.runsPerStep(dispatch));
        stats.dispatches += runs;
        if (const ir::Kernel* kernel = findKernel(dispatch.kernel)) {
            KernelStats each = kernelStats(*kernel);
            stats.flops += runs * each.flops;
            stats.matrixFlops += runs * each.matrixFlops;
        }
        auto crossing = [&](const std::map<std::string, std::string>& bindings) {
            uint64_t bytes = 0;
            for (const auto& [io, name] : bindings)
                if (const ir::StepTensor* tensor = step.find(name);
                    tensor && ir::crossesHost(tensor->role, step.hostUpdate))
                    bytes += static_cast<uint64_t>(tensor->type.byteSize());
            return runs * bytes;
        };
        stats.bytesToDevice += crossing(dispatch.inputs);
        stats.bytesFromDevice += crossing(dispatch.outputs);
    }
    for (const ir::StepTensor& tensor : step.tensors)
        if (tensor.role == ir::StepTensorRole::Weight || tensor.role == ir::StepTensorRole::Moment)
            stats.residentBytes += static_cast<uint64_t>(tensor.type.byteSize());
    return stats;
}

std::vector<StepStats> trainStepStats(const ir::Module& module) {
    std::vector<StepStats> all;
    for (const ir::TrainStep& step : module.trainSteps)
        all.push_back(
            stepStats(step, [&](const std::string& name) { return module.findKernel(name); }));
    return all;
}

namespace {
class Table {
  public:
    void row(std::string label, std::string a, std::string b) {
        rows_.push_back({std::move(label), std::move(a), std::move(b)});
    }
    std::string str() const {
        size_t widths[3] = {0, 3, 3};
        for (const auto& r : rows_)
            for (size_t i = 0; i < 3; ++i)
                widths[i] = std::max(widths[i], r[i].size());
        std::ostringstream out;
        for (const auto& r : rows_) {
            out << "  " << std::left << std::setw(static_cast<int>(widths[0])) << r[0];
            for (size_t i = 1; i < 3; ++i)
                out << "  " << std::right << std::setw(static_cast<int>(widths[i])) << r[i];
            out << "\n";
        }
        return out.str();
    }

  private:
    std::vector<std::array<std::string, 3>> rows_;
};

const KernelStats* findKernel(const std::vector<KernelStats>& all, const std::string& name) {
    for (const KernelStats& stats : all)
        if (stats.kernel == name) return &stats;
    return nullptr;
}

std::string number(const KernelStats* stats, uint64_t KernelStats::*field) {
    return stats ? withCommas(stats->*field) : "-";
}

// "  -O1 fuse-horizontal: stacked ... (+1 op, +4,096 intermediate bytes)", one line per remark.
std::string remarkLines(const KernelStats* stats) {
    if (!stats) return {};
    std::string lines;
    for (const passes::PassRemark& remark : stats->remarks) {
        std::string growth;
        auto add = [&](int64_t amount, const std::string& what) {
            if (amount <= 0) return;
            growth += (growth.empty() ? "" : ", ") + std::string("+") +
                      withCommas(static_cast<uint64_t>(amount)) + " " + what;
        };
        add(remark.growth.ops, remark.growth.ops == 1 ? "op" : "ops");
        add(remark.growth.intermediateBytes, "intermediate bytes");
        add(remark.growth.weightBytes, "weight bytes");
        lines += "  -O1 " + remark.pass + ": " + remark.reason + " (" + growth + ")\n";
    }
    return lines;
}

void addRows(Table& table, const KernelStats* a, const KernelStats* b) {
    table.row("", "-O0", "-O1");
    std::set<std::string> kinds;
    for (const KernelStats* stats : {a, b})
        if (stats)
            for (const auto& [kind, count] : stats->opsByKind)
                kinds.insert(kind);
    auto opCount = [](const KernelStats* stats, const std::string& kind) -> std::string {
        if (!stats) return "-";
        auto it = stats->opsByKind.find(kind);
        return std::to_string(it == stats->opsByKind.end() ? 0 : it->second);
    };
    auto totalOps = [](const KernelStats* stats) -> std::string {
        if (!stats) return "-";
        size_t n = 0;
        for (const auto& [kind, count] : stats->opsByKind)
            n += count;
        return std::to_string(n);
    };
    table.row("ops", totalOps(a), totalOps(b));
    for (const std::string& kind : kinds)
        table.row("  " + kind, opCount(a, kind), opCount(b, kind));
    table.row("FLOPs", number(a, &KernelStats::flops), number(b, &KernelStats::flops));
    table.row("  matrix", number(a, &KernelStats::matrixFlops),
              number(b, &KernelStats::matrixFlops));
    table.row("weight bytes", number(a, &KernelStats::weightBytes),
              number(b, &KernelStats::weightBytes));
    table.row("input bytes", number(a, &KernelStats::inputBytes),
              number(b, &KernelStats::inputBytes));
    table.row("output bytes", number(a, &KernelStats::outputBytes),
              number(b, &KernelStats::outputBytes));
    table.row("intermediate bytes", number(a, &KernelStats::intermediateBytes),
              number(b, &KernelStats::intermediateBytes));
    auto count = [](const KernelStats* stats, size_t KernelStats::*field) -> std::string {
        return stats ? std::to_string(stats->*field) : "-";
    };
    table.row("ANE programs", count(a, &KernelStats::programs), count(b, &KernelStats::programs));
    table.row("dispatches", count(a, &KernelStats::dispatches), count(b, &KernelStats::dispatches));
}

KernelStats total(const std::vector<KernelStats>& all) {
    KernelStats sum;
    sum.kernel = "total";
    sum.programs = sum.dispatches = 0;
    for (const KernelStats& stats : all) {
        for (const auto& [kind, count] : stats.opsByKind)
            sum.opsByKind[kind] += count;
        sum.flops += stats.flops;
        sum.matrixFlops += stats.matrixFlops;
        sum.weightBytes += stats.weightBytes;
        sum.inputBytes += stats.inputBytes;
        sum.outputBytes += stats.outputBytes;
        sum.intermediateBytes += stats.intermediateBytes;
        sum.programs += stats.programs;
        sum.dispatches += stats.dispatches;
    }
    return sum;
}
} // namespace

std::string formatStatsTable(const std::vector<KernelStats>& o0,
                             const std::vector<KernelStats>& o1) {
    std::vector<std::string> names;
    for (const auto* level : {&o0, &o1})
        for (const KernelStats& stats : *level)
            if (std::find(names.begin(), names.end(), stats.kernel) == names.end())
                names.push_back(stats.kernel);
    std::string out;
    for (const std::string& name : names) {
        Table table;
        addRows(table, findKernel(o0, name), findKernel(o1, name));
        out += "kernel " + name + "\n" + table.str() + remarkLines(findKernel(o1, name)) + "\n";
    }
    if (names.size() > 1) {
        KernelStats a = total(o0), b = total(o1);
        Table table;
        addRows(table, &a, &b);
        out += "total (" + std::to_string(names.size()) + " kernels)\n" + table.str();
    }
    return out;
}

std::string formatStepStats(const std::vector<StepStats>& o0, const std::vector<StepStats>& o1) {
    std::string out;
    for (size_t i = 0; i < o1.size(); ++i) {
        const StepStats* a = i < o0.size() ? &o0[i] : nullptr;
        const StepStats& b = o1[i];
        auto both = [&](auto field) {
            return std::pair{a ? withCommas(static_cast<uint64_t>(a->*field)) : std::string("-"),
                             withCommas(static_cast<uint64_t>(b.*field))};
        };
        Table table;
        auto row = [&](const std::string& label, auto field) {
            auto [x, y] = both(field);
            table.row(label, x, y);
        };
        table.row("", "-O0", "-O1");
        row("programs (compiles)", &StepStats::programs);
        row("dispatches", &StepStats::dispatches);
        row("FLOPs", &StepStats::flops);
        row("  matrix", &StepStats::matrixFlops);
        row("bytes to the device", &StepStats::bytesToDevice);
        row("bytes from the device", &StepStats::bytesFromDevice);
        row("resident state bytes", &StepStats::residentBytes);
        out += "training step " + b.step + " (per step: " + std::to_string(b.microBatches) +
               (b.microBatches == 1 ? " sequence" : " sequences") + ")\n" + table.str();
    }
    return out;
}

int statsCommand(const std::string& path, CompileOptions options, std::ostream& out,
                 std::ostream& err) {
    std::vector<KernelStats> levels[2];
    std::vector<StepStats> steps[2];
    DiagnosticPrinter printer(err); // a warning both levels report is printed once
    for (int level = 0; level < 2; ++level) {
        CompileOptions levelOptions = options;
        levelOptions.optLevel = level;
        levelOptions.passes.reset();
        Compilation compilation(levelOptions);
        bool ok = compilation.loadFile(path) && compilation.optimize();
        printer.print(compilation.diagnostics());
        if (!ok || compilation.diagnostics().hasErrors()) {
            size_t n = compilation.diagnostics().errorCount();
            if (n > 0) err << n << (n == 1 ? " error" : " errors") << " generated.\n";
            return 1;
        }
        levels[level] = moduleStats(*compilation.module(), compilation.passResults());
        steps[level] = trainStepStats(*compilation.module());
    }
    out << formatStatsTable(levels[0], levels[1]);
    if (!steps[1].empty()) out << "\n" << formatStepStats(steps[0], steps[1]);
    return 0;
}

} // namespace anec::driver
