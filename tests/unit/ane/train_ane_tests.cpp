// The Trainer on the simulated ANE: examples/train_tiny.ane (-D SEQ=16 -D LAYERS=1) trains to the
// same losses, weights and optimizer moments, bit for bit, as on the reference backend, when the
// module is built for the simulated chip; built without a target (as `anec train FILE.ane` builds
// it), the ANE backend legalizes each program itself (silu becomes x * sigmoid(x) on m4, rounded
// twice), so the two backends agree only closely.
#include "ane_test_support.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "runtime/train/token_data.hpp"
#include "runtime/train/trainer.hpp"

using namespace anec;
namespace fs = std::filesystem;

namespace {

// examples/train_tiny.ane at SEQ 16, one layer, `batch` sequences a step, legalized for `target`
// (nullopt: none, as `anec train` compiles a source).
std::shared_ptr<const ir::Module> compileTiny(int64_t batch,
                                              std::optional<passes::AneTarget> target) {
    driver::CompileOptions options;
    options.target = target;
    options.frontend.defines = {{"SEQ", 16}, {"LAYERS", 1}};
    options.frontend.trainBatch = batch;
    options.warnings = WarningPolicy::None;
    auto compilation = std::make_shared<driver::Compilation>(options);
    REQUIRE(compilation->loadFile(fs::path(ANEC_SOURCE_DIR) / "examples" / "train_tiny.ane"));
    return ane::test::requireCompiled(compilation, "train_tiny.ane");
}

// "" when the tensors are equal bit for bit; else how many elements differ, and by how much.
std::string differences(const runtime::Tensor& actual, const runtime::Tensor& expected) {
    if (actual.type() != expected.type())
        return actual.type().str() + " vs " + expected.type().str();
    const ir::DType dtype = actual.type().dtype;
    const size_t size = ir::dtypeSize(dtype);
    int64_t count = 0, first = -1;
    double largest = 0;
    for (int64_t i = 0; i < actual.type().numElements(); ++i) {
        const size_t at = static_cast<size_t>(i) * size;
        if (std::equal(actual.bytes().begin() + at, actual.bytes().begin() + at + size,
                       expected.bytes().begin() + at))
            continue;
        double a = ir::loadElement(dtype, actual.bytes().data() + at);
        double e = ir::loadElement(dtype, expected.bytes().data() + at);
        largest = std::max(largest, std::abs(a - e));
        if (count++ == 0) first = i;
    }
    if (count == 0) return "";
    return std::to_string(count) + " of " + std::to_string(actual.type().numElements()) +
           " elements differ (the first at " + std::to_string(first) + "), by at most " +
           std::to_string(largest);
}

// What the two backends did over three steps of tiny.txt.
struct Run {
    std::vector<double> referenceLosses, simulatedLosses;
    std::map<std::string, std::string> stateDifferences; // weight or moment -> differences()
    size_t stateCompared = 0;
};

Run trainOnBoth(const std::shared_ptr<const ir::Module>& module, int64_t batch) {
    REQUIRE(module->trainSteps.size() == 1);
    const ir::TrainStep& step = module->trainSteps[0];
    CHECK(step.microBatches == batch);
    train::Trainer reference = train::Trainer::fromModule(module);
    train::TrainerOptions options;
    options.backend = runtime::BackendKind::AneSimulator;
    options.backendOptions.aneTarget = "m4";
    std::unique_ptr<train::Trainer> simulated;
    try {
        simulated = std::make_unique<train::Trainer>(train::Trainer::fromModule(module, options));
    } catch (const std::exception& e) {
        FAIL("the simulated ANE rejects the step's programs: " << e.what());
    }
    CHECK(simulated->compiles() == reference.compiles());

    Run run;
    train::TokenData data =
        train::TokenData::load(fs::path(ANEC_SOURCE_DIR) / "examples" / "data" / "tiny.txt", 256);
    for (uint64_t n = 1; n <= 3; ++n) {
        INFO("step " << n);
        train::Batch tokens = data.batch(n, static_cast<int>(batch), 16, 1);
        run.referenceLosses.push_back(reference.step(tokens.tokens, tokens.targets));
        try {
            run.simulatedLosses.push_back(simulated->step(tokens.tokens, tokens.targets));
        } catch (const std::exception& e) {
            FAIL("step " << n << " on the simulated ANE: " << e.what());
        }
        CHECK(simulated->lastLearningRate() == reference.lastLearningRate());
        CHECK(simulated->lastStep().dispatches == reference.lastStep().dispatches);
        CHECK(simulated->lastStep().bytesToDevice == reference.lastStep().bytesToDevice);
        CHECK(simulated->lastStep().bytesFromDevice == reference.lastStep().bytesFromDevice);
    }
    CHECK(simulated->stepsDone() == 3);
    // Every weight and moment: resident state, read back from the device.
    for (const ir::StepTensor& tensor : step.tensors) {
        if (tensor.role != ir::StepTensorRole::Weight && tensor.role != ir::StepTensorRole::Moment)
            continue;
        std::string difference =
            differences(simulated->tensor(tensor.name), reference.tensor(tensor.name));
        if (!difference.empty()) run.stateDifferences[tensor.name] = difference;
        ++run.stateCompared;
    }
    CHECK(run.stateCompared == 3 * step.trained.size()); // each weight and AdamW's two moments
    return run;
}

} // namespace

TEST_CASE("ane: a train step built for m4 runs on the simulated m4 bit for bit as on the "
          "reference backend",
          "[ane][train]") {
    for (int64_t batch : {1, 2}) {
        INFO("batch " << batch);
        Run run = trainOnBoth(compileTiny(batch, passes::AneTarget::M4), batch);
        CHECK(run.simulatedLosses == run.referenceLosses);
        CHECK(run.stateDifferences == std::map<std::string, std::string>{});
    }
}

TEST_CASE("ane: a train step built without a target runs on the simulated m4 close to the "
          "reference backend",
          "[ane][train]") {
    for (int64_t batch : {1, 2}) {
        INFO("batch " << batch);
        Run run = trainOnBoth(compileTiny(batch, std::nullopt), batch);
        // The first forward pass has the same loss; the gradients of silu differ in rounding.
        REQUIRE(run.simulatedLosses.size() == 3);
        CHECK(run.simulatedLosses[0] == run.referenceLosses[0]);
        for (size_t i = 0; i < 3; ++i)
            CHECK(run.simulatedLosses[i] == Approx(run.referenceLosses[i]).margin(0.02));
    }
}
