// anec::Trainer and the anec_trainer_* C functions, through the shared library.
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "anec/anec.h"
#include "anec/anec.hpp"
#include "unit/temp_dir.hpp"

namespace fs = std::filesystem;

namespace {

fs::path tinyPath() {
    return fs::path(ANEC_SOURCE_DIR) / "examples" / "train_tiny.ane";
}

std::string tinyText() {
    std::ifstream in(tinyPath());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

anec::CompileOptions small() {
    anec::CompileOptions options;
    options.defines = {{"SEQ", 16}, {"LAYERS", 1}};
    return options;
}

void batchOf(int64_t count, std::vector<int32_t>& tokens, std::vector<int32_t>& targets,
             int offset = 0) {
    tokens.clear();
    targets.clear();
    for (int64_t i = 0; i < count; ++i) {
        tokens.push_back(static_cast<int32_t>(97 + (i + offset) % 11));
        targets.push_back(static_cast<int32_t>(97 + (i + offset + 1) % 11));
    }
}

} // namespace

TEST_CASE("api: a Trainer trains, saves and resumes bit for bit", "[api][train]") {
    anec::TrainOptions train;
    train.batch = 2;
    anec::Trainer trainer = anec::Trainer::compile(tinyText(), small(), tinyPath().string(), train);
    CHECK(trainer.sequences() == 2);
    CHECK(trainer.sequenceLength() == 16);
    CHECK(trainer.vocabulary() == 256);
    std::vector<int32_t> tokens, targets;
    batchOf(32, tokens, targets);
    double first = trainer.step(tokens, targets);
    CHECK(trainer.stepsDone() == 1);
    CHECK(trainer.lastStep().dispatches >= 2);
    CHECK(trainer.learningRate() > 0);

    anec::test::TempDir dir;
    std::string checkpoint = (dir.path() / "ckpt.safetensors").string();
    trainer.saveCheckpoint(checkpoint);
    batchOf(32, tokens, targets, 3);
    double next = trainer.step(tokens, targets);

    anec::Trainer resumed = anec::Trainer::compile(tinyText(), small(), tinyPath().string(), train);
    resumed.loadCheckpoint(checkpoint);
    CHECK(resumed.stepsDone() == 1);
    CHECK(resumed.step(tokens, targets) == next); // bit for bit
    CHECK(first > 0);

    std::vector<std::string> names = trainer.weightNames();
    REQUIRE(!names.empty());
    CHECK(names.front() == "tok_embeddings");
    anec::Tensor w = trainer.weight("wq_0");
    CHECK(w.shape() == anec::Shape{64, 64});
    std::vector<float> zeros(64 * 64, 0.0f);
    trainer.setWeight("wq_0", anec::TensorView(zeros, {64, 64}));
    CHECK(trainer.weight("wq_0").toFloats() == zeros);
    anec::Tensor logits = trainer.logits(std::span<const int32_t>(tokens.data(), 16));
    CHECK(logits.shape() == anec::Shape{1, 256, 1, 16});
}

TEST_CASE("api: Trainer errors", "[api][train]") {
    anec::Trainer trainer = anec::Trainer::compile(tinyText(), small(), tinyPath().string());
    std::vector<int32_t> tokens(3), targets(3);
    try {
        trainer.step(tokens, targets);
        FAIL("a wrong size was accepted");
    } catch (const anec::Error& e) {
        CHECK(e.code() == anec::ErrorCode::InvalidArgument);
        CHECK(std::string(e.what()).find("tokens and as many targets, got 3") != std::string::npos);
    }
    std::vector<int32_t> big(static_cast<size_t>(trainer.sequences() * 16), 300);
    CHECK_THROWS_WITH(trainer.step(big, big), Catch::Contains("outside the vocabulary of 256"));
    CHECK_THROWS_WITH(trainer.weight("nope"), Catch::Contains("no weight 'nope'"));
    CHECK_THROWS_WITH(anec::Trainer::compile("const X = 1\n"), Catch::Contains("no training step"));
    anec::test::TempDir dir;
    CHECK_THROWS_WITH(trainer.loadCheckpoint((dir.path() / "missing.safetensors").string()),
                      Catch::Contains("missing.safetensors"));
}

TEST_CASE("c api: anec_trainer_* train a step and report errors", "[api][train][c]") {
    anec_compile_options* options = nullptr;
    REQUIRE(anec_compile_options_create(&options) == ANEC_OK);
    const char* defines[] = {"SEQ=16", "LAYERS=1"};
    REQUIRE(anec_compile_options_set_defines(options, defines, 2) == ANEC_OK);
    anec_trainer* trainer = nullptr;
    anec_status status = anec_trainer_create(tinyPath().string().c_str(), options,
                                             ANEC_BACKEND_REFERENCE, 1, &trainer);
    INFO(anec_last_error());
    REQUIRE(status == ANEC_OK);
    anec_compile_options_free(options);

    int64_t sequences = 0, seq = 0, vocabulary = 0;
    REQUIRE(anec_trainer_shape(trainer, &sequences, &seq, &vocabulary) == ANEC_OK);
    CHECK(sequences == 1);
    CHECK(seq == 16);
    CHECK(vocabulary == 256);
    std::vector<int32_t> tokens, targets;
    batchOf(16, tokens, targets);
    double loss = 0;
    REQUIRE(anec_trainer_step(trainer, tokens.data(), targets.data(), 16, &loss) == ANEC_OK);
    CHECK(loss > 4);
    CHECK(anec_trainer_steps_done(trainer) == 1);
    uint64_t dispatches = 0;
    size_t compiles = 0;
    REQUIRE(anec_trainer_counters(trainer, &dispatches, nullptr, nullptr, &compiles) == ANEC_OK);
    CHECK(dispatches == 1);
    CHECK(compiles == 1);

    REQUIRE(anec_trainer_weight_count(trainer) > 0);
    CHECK(std::string(anec_trainer_weight_name(trainer, 0)) == "tok_embeddings");
    CHECK(anec_trainer_weight_name(trainer, 100000) == nullptr);
    anec_tensor_info info{};
    REQUIRE(anec_trainer_weight_info(trainer, "norm", &info) == ANEC_OK);
    CHECK(info.rank == 1);
    CHECK(info.shape[0] == 64);
    std::vector<float> norm(64);
    REQUIRE(anec_trainer_get_weight(trainer, "norm", ANEC_DTYPE_FLOAT32, norm.data(),
                                    norm.size() * 4) == ANEC_OK);
    CHECK(norm[0] != 0);
    std::vector<float> ones(64, 1.0f);
    REQUIRE(anec_trainer_set_weight(trainer, "norm", ANEC_DTYPE_FLOAT32, ones.data(), 256) ==
            ANEC_OK);
    REQUIRE(anec_trainer_get_weight(trainer, "norm", ANEC_DTYPE_FLOAT32, norm.data(), 256) ==
            ANEC_OK);
    CHECK(norm == ones);

    CHECK(anec_trainer_step(trainer, tokens.data(), targets.data(), 3, &loss) ==
          ANEC_ERROR_INVALID_ARGUMENT);
    CHECK(anec_trainer_step(nullptr, tokens.data(), targets.data(), 16, &loss) ==
          ANEC_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(anec_last_error()) == "trainer is NULL");
    CHECK(anec_trainer_get_weight(trainer, "norm", ANEC_DTYPE_FLOAT32, norm.data(), 12) ==
          ANEC_ERROR_INVALID_ARGUMENT);
    CHECK(anec_trainer_weight_info(trainer, "nope", &info) == ANEC_ERROR_INVALID_ARGUMENT);

    anec::test::TempDir dir;
    std::string path = (dir.path() / "c.safetensors").string();
    REQUIRE(anec_trainer_save_checkpoint(trainer, path.c_str()) == ANEC_OK);
    REQUIRE(anec_trainer_load_checkpoint(trainer, path.c_str()) == ANEC_OK);
    CHECK(anec_trainer_load_checkpoint(trainer, (path + ".nope").c_str()) == ANEC_ERROR_LOAD);
    anec_trainer_free(trainer);
    anec_trainer_free(nullptr);

    anec_trainer* missing = nullptr;
    CHECK(anec_trainer_create("/nonexistent/x.ane", nullptr, ANEC_BACKEND_REFERENCE, 0, &missing) !=
          ANEC_OK);
    CHECK(missing == nullptr);
}
