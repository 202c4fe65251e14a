// ane-legalize's warnings (message and line:col through .ane sources), what a legalized build
// writes (program.json "target"/"host_dtype", program(1.5) and 128-byte blobs on m5), `anec run`
// of a built legalized program, and every example legalized for generic against unlegalized.
#include "unit/examples.hpp"
#include "unit/passes/legalize_test_support.hpp"

#include <filesystem>

#include "mil/blob.hpp"
#include "mil/emitter.hpp"
#include "support/npy.hpp"
#include "unit/driver/test_support.hpp"

using namespace anec;
using namespace anec::passes;
using namespace anec::passes::test;
namespace fs = std::filesystem;

namespace {
bool contains(const std::vector<std::string>& warnings, const std::string& expected) {
    std::string all;
    for (const std::string& warning : warnings)
        all += warning + "\n";
    INFO("the warnings:\n" << all);
    bool found = std::find(warnings.begin(), warnings.end(), expected) != warnings.end();
    CHECK(found);
    return found;
}

std::vector<mil::Program> emitFor(const std::string& text, std::optional<AneTarget> target) {
    driver::Compilation compilation(targetOptions(target));
    compilation.loadSource("test.ane", text);
    std::vector<mil::Program> programs = compilation.emit();
    REQUIRE(programs.size() == 1);
    return programs;
}
} // namespace

TEST_CASE("ane-legalize warns about matmul inner dimensions (rule 13)", "[legalize]") {
    const char* text =
        R"(kernel k(a: fp16[1, 64, 96, 48], b: fp16[1, 64, 48, 64]) -> (y: fp16[1, 64, 96, 64]) {
    y = a @ b
}
)";
    auto warnings = warningsFor(text, AneTarget::M4);
    CHECK(contains(warnings, "2:11: warning: matmul inner dimension 48 is not a multiple of 32, "
                             "which the ANE may reject (rule 13): pad the contracted dimension "
                             "with zeros to a multiple of 32"));
    CHECK(warningsFor(text, std::nullopt).empty());
    CHECK(
        warningsFor(
            R"(kernel k(a: fp16[1, 64, 96, 64], b: fp16[1, 64, 64, 64]) -> (y: fp16[1, 64, 96, 64]) {
    y = a @ b
}
)",
            AneTarget::M4)
            .empty());
}

TEST_CASE("ane-legalize warns about convs with very many input channels (rule 12)", "[legalize]") {
    const char* text = R"(weight W: fp16[64, 16384] = zeros()
kernel k(x: fp16[1, 16384, 1, 512]) -> (y: fp16[1, 64, 1, 512]) {
    let a = x * 2
    y = linear(a, W)
}
)";
    auto warnings = warningsFor(text, AneTarget::M4);
    CHECK(contains(warnings, "4:9: warning: conv with 16384 input channels: the ANE compiler "
                             "rejects very large inputs (32000 channels failed, rule 12): split "
                             "the input channels into several convs and add their results"));
    CHECK(warnings.size() == 1);
}

TEST_CASE("ane-legalize warns about small inputs and outputs (rule 6)", "[legalize]") {
    const char* text = R"(kernel k(x: fp16[1, 768, 1, 32], s: fp16[1, 768, 1, 1]) -> (
    y: fp16[1, 768, 1, 32], t: fp16[1, 768, 1, 1]) {
    y = x + s
    t = s * 2
}
)";
    auto warnings = warningsFor(text, AneTarget::M4);
    CHECK(warnings.size() == 1);
    CHECK(contains(warnings, "1:8: warning: kernel 'k': input 's' (fp16[1,768,1,1], 1536 bytes) "
                             "and output 't' (fp16[1,768,1,1], 1536 bytes) are below the ANE's "
                             "49,152-byte minimum surface; the runtime pads surfaces to that "
                             "size, but reports say tensors this small (seq 1) fail at eval "
                             "(rule 6): use a longer sequence or batch calls"));
}

TEST_CASE("ane-legalize warns on m3 about width-axis reshape, slice and concat (rule 17)",
          "[legalize]") {
    const char* simple = R"(kernel k(x: fp16[1, 64, 16, 64]) -> (y: fp16[1, 64, 16, 64]) {
    let a = x[:, :, :, 0:32]
    let b = concat([a, a], axis = 3)
    let c = reshape(b, [1, 64, 32, 32])
    y = reshape(c, [1, 64, 16, 64]) + x[:, :, 0:16, :]
}
)";
    auto warnings = warningsFor(simple, AneTarget::M3);
    CHECK(contains(warnings, "2:14: warning: slice_by_size along the width (last) axis, "
                             "fp16[1,64,16,64] -> fp16[1,64,16,32], was rejected on M3 Ultra "
                             "(rule 17): work along another axis (transpose first)"));
    CHECK(contains(warnings, "3:13: warning: concat along the width (last) axis, "
                             "fp16[1,64,16,32] -> fp16[1,64,16,64], was rejected on M3 Ultra "
                             "(rule 17): work along another axis (transpose first)"));
    CHECK(contains(warnings, "4:13: warning: reshape along the width (last) axis, "
                             "fp16[1,64,16,64] -> fp16[1,64,32,32], was rejected on M3 Ultra "
                             "(rule 17): work along another axis (transpose first)"));
    CHECK(warnings.size() == 4); // and the reshape back
    CHECK(warningsFor(simple, AneTarget::M4).empty());
}

TEST_CASE("ane-legalize warns about casts it cannot remove and concats it cannot rewrite",
          "[legalize]") {
    const char* text =
        R"(kernel k(x: fp16[1, 64, 1, 512], i: int32[1, 64, 1, 512]) -> (y: fp16[1, 64, 1, 512], j: int32[1, 128, 1, 512]) {
    let wide = cast(x, fp32)
    y = cast(wide * 2, fp16)
    j = concat([i, i], axis = 1)
}
)";
    auto warnings = warningsFor(text, AneTarget::Generic);
    CHECK(contains(warnings, "2:16: warning: cast from fp16[1,64,1,512] to fp32[1,64,1,512] stays "
                             "in the program, but this target's ANE cannot run cast (M1/M2; "
                             "ane-and-mil.md §3): compute in fp16, or build for --target m3, m4 "
                             "or m5"));
    CHECK(contains(warnings, "3:9: warning: cast from fp32[1,64,1,512] to fp16[1,64,1,512] stays "
                             "in the program, but this target's ANE cannot run cast (M1/M2; "
                             "ane-and-mil.md §3): compute in fp16, or build for --target m3, m4 "
                             "or m5"));
    CHECK(contains(warnings, "4:9: warning: concat of int32[1,128,1,512] stays in the program, "
                             "but this target's ANE rejects concat (rule 7) and only "
                             "floating-point concats are rewritten: concatenate on the host, or "
                             "build for --target m3 or m4"));
    CHECK(warnings.size() == 3);
    CHECK(warningsFor(text, AneTarget::M4).empty());
}

TEST_CASE("program.json records the target and host dtypes; m5 gets program(1.5) and 128-byte "
          "blobs",
          "[legalize]") {
    const char* text = R"(weight W: fp16[256, 256] = random(seed = 1, scale = 0.05)
weight V: fp16[256, 256] = random(seed = 2, scale = 0.05)
kernel k(a: fp32[1, 256, 1, 64], b: fp32[1, 256, 1, 64], c: fp32[1, 256, 1, 64]) -> (y: fp32[1, 256, 1, 64], z: fp32[1, 256, 1, 64]) {
    y = linear(a + c, W)
    z = linear(b, V)
}
)";
    mil::Program generic = emitFor(text, AneTarget::Generic).front();
    const nlohmann::json& d = generic.description;
    CHECK(d["target"] == "generic");
    REQUIRE(d.contains("packing"));
    for (const auto& member : d["packing"]["packed_in"]) {
        CHECK(member["host_dtype"] == "fp32");
        CHECK(member["dtype"] == "fp16");
    }
    for (const auto& output : d["outputs"]) {
        CHECK(output["host_dtype"] == "fp32");
        CHECK(output["dtype"] == "fp16");
    }
    CHECK(generic.milText.rfind("program(1.3)", 0) == 0);
    CHECK(generic.milText.find("cast") == std::string::npos);

    mil::Program none = emitFor(text, std::nullopt).front();
    CHECK_FALSE(none.description.contains("target"));
    CHECK(none.description.dump().find("host_dtype") == std::string::npos);

    mil::Program m5 = emitFor(text, AneTarget::M5).front();
    CHECK(m5.description["target"] == "m5");
    CHECK(m5.milText.rfind("program(1.5)", 0) == 0);
    REQUIRE(m5.weightFiles.size() == 2);
    for (const mil::WeightFile& file : m5.weightFiles) {
        mil::BlobReader reader(file.bytes, file.relativePath);
        for (uint64_t offset : reader.metadataOffsets())
            CHECK(reader.info(offset).dataOffset % 128 == 0);
    }
}

TEST_CASE("on m5 the initial values of dynamic weights are 128-byte aligned too", "[legalize]") {
    // Two initial values in the single weight file: the second one's data lands at a 128-byte
    // boundary only when the file is written at the target's alignment.
    const char* text = R"(dynamic weight W: fp16[64, 64] = random(seed = 1, scale = 0.05)
dynamic weight V: fp16[64, 96] = random(seed = 2, scale = 0.05)
kernel k(x: fp16[1, 64, 1, 512], z: fp16[1, 96, 1, 512]) -> (y: fp16[1, 64, 1, 512]) {
    y = linear(x, W) + linear(z, V)
}
)";
    driver::CompileOptions options = targetOptions(AneTarget::M5);
    options.emit.singleWeightFile = true;
    driver::Compilation compilation(options);
    compilation.loadSource("test.ane", text);
    std::vector<mil::Program> programs = compilation.emit();
    REQUIRE(programs.size() == 1);
    REQUIRE(programs[0].weightFiles.size() == 1);
    const mil::WeightFile& file = programs[0].weightFiles[0];
    mil::BlobReader reader(file.bytes, file.relativePath);
    REQUIRE(reader.count() == 2);
    for (uint64_t offset : reader.metadataOffsets())
        CHECK(reader.info(offset).dataOffset % 128 == 0);
}

TEST_CASE("MILBlob files with 128-byte data alignment write and read back", "[legalize]") {
    mil::BlobWriter writer(128);
    std::vector<uint8_t> first(10, 1), second(200, 2), third(64, 3);
    uint64_t a = writer.add(mil::BlobDType::UInt8, first);
    uint64_t b = writer.add(mil::BlobDType::UInt8, second);
    uint64_t c = writer.add(mil::BlobDType::UInt8, third);
    CHECK(a == 64);
    CHECK(b == 192); // data at 256
    CHECK(c == 576); // the data of b ends at 456: the next data at 640
    mil::BlobReader reader(writer.bytes(), "aligned.bin");
    CHECK(reader.metadataOffsets() == std::vector<uint64_t>{a, b, c});
    auto bytes = reader.read(b, mil::BlobDType::UInt8, 200);
    CHECK(std::vector<uint8_t>(bytes.begin(), bytes.end()) == second);
    CHECK_THROWS_WITH(mil::BlobWriter(96), "MILBlob alignment must be a multiple of 64, got 96");
    // 64-byte alignment is unchanged: metadata right after the data.
    mil::BlobWriter plain;
    plain.add(mil::BlobDType::UInt8, first);
    CHECK(plain.add(mil::BlobDType::UInt8, second) == 192);
    CHECK(plain.add(mil::BlobDType::UInt8, third) == 512);
    mil::BlobWriter packed;
    packed.add(mil::BlobDType::UInt8, std::vector<uint8_t>(64, 0));
    CHECK(packed.add(mil::BlobDType::UInt8, first) == 192);
}

TEST_CASE("anec build --target and anec run of the built program convert on the host",
          "[legalize]") {
    anec::test::TempDir dir;
    const char* text =
        R"(kernel k(a: fp32[1, 32, 1, 512], b: fp32[1, 16, 1, 512]) -> (y: fp32[1, 32, 1, 512], z: fp32[1, 16, 1, 512]) {
    y = a * 3
    z = concat([b, a[:, 0:8, :, :]], axis = 1)[:, 0:16, :, :] - 1
}
)";
    anec::test::writeFile(dir / "k.ane", text);
    auto built =
        anec::test::runAnec({"build", (dir / "k.ane").string(), "-o", (dir / "out").string()});
    INFO(built.err);
    REQUIRE(built.status == 0);
    nlohmann::json description =
        nlohmann::json::parse(anec::test::readFile(dir / "out" / "k" / "program.json"));
    CHECK(description["target"] == "generic");
    CHECK(anec::test::readFile(dir / "out" / "k" / "model.mil").find("= concat(") ==
          std::string::npos);

    auto none = anec::test::runAnec(
        {"build", (dir / "k.ane").string(), "-o", (dir / "plain").string(), "--target", "none"});
    REQUIRE(none.status == 0);
    CHECK(anec::test::readFile(dir / "plain" / "k" / "model.mil").find("= concat(") !=
          std::string::npos);

    for (const std::string& source : {(dir / "out").string(), (dir / "k.ane").string()}) {
        INFO(source);
        auto ran = anec::test::runAnec({"run", source, "--random-inputs", "5", "--backend",
                                        "reference", "--output-dir", (dir / "legal").string()});
        INFO(ran.err);
        REQUIRE(ran.status == 0);
        auto plain = anec::test::runAnec({"run", (dir / "k.ane").string(), "--random-inputs", "5",
                                          "--target", "none", "--backend", "reference",
                                          "--output-dir", (dir / "unlegal").string()});
        REQUIRE(plain.status == 0);
        for (const char* output : {"y.npy", "z.npy"}) {
            std::string legal = anec::test::readFile(dir / "legal" / output);
            CHECK(legal.find("<f4") != std::string::npos); // callers get fp32
            CHECK(legal == anec::test::readFile(dir / "unlegal" / output));
        }
    }
    auto bad =
        anec::test::runAnec({"build", (dir / "k.ane").string(), "--emit", "ir", "--target", "m9"});
    CHECK(bad.status == 2);
    CHECK(bad.err.find("--target") != std::string::npos);
    auto m1 =
        anec::test::runAnec({"build", (dir / "k.ane").string(), "--emit", "ir", "--target", "m1"});
    CHECK(m1.status == 0);
    CHECK(m1.out.find("= concat(") == std::string::npos);
    auto stats = anec::test::runAnec({"stats", (dir / "k.ane").string(), "--target", "m4"});
    CHECK(stats.status == 0);
}

TEST_CASE("a malformed host_dtype in program.json is an error", "[legalize]") {
    anec::test::TempDir dir;
    anec::test::writeFile(dir / "k.ane",
                          "kernel k(x: fp32[1, 64, 1, 512]) -> (y: fp32[1, 64, 1, 512]) {\n"
                          "    y = x * 2\n}\n");
    REQUIRE(anec::test::runAnec({"build", (dir / "k.ane").string(), "-o", (dir / "out").string()})
                .status == 0);
    fs::path json = dir / "out" / "k" / "program.json";
    std::string text = anec::test::readFile(json);
    size_t at = text.find("\"host_dtype\": \"fp32\"");
    REQUIRE(at != std::string::npos);
    anec::test::writeFile(json,
                          text.substr(0, at) + "\"host_dtype\": \"int32\"" +
                              text.substr(at + std::string("\"host_dtype\": \"fp32\"").size()));
    auto ran = anec::test::runAnec({"run", (dir / "out").string(), "--random-inputs", "1"});
    CHECK(ran.status == 1);
    CHECK(ran.err.find("error: IR verifier: kernel 'k': host-converted input 'x'") !=
          std::string::npos);
    CHECK(ran.err.find("host conversion is between fp16 (program) and fp32 (callers)") !=
          std::string::npos);
}

// Legalizing changes only how a value is computed where the rewrite is not exact (gelu, silu:
// a few fp16 roundings); everything else (concat embeddings, host conversion, pack-io without
// outputs) gives the same bits.
TEST_CASE("every example legalized for generic computes what it did unlegalized",
          "[legalize][examples]") {
    size_t exact = 0, close = 0;
    for (const anec::test::Example& example : anec::test::examples()) {
        const fs::path& file = example.path;
        auto load = [&](std::optional<AneTarget> target) {
            driver::CompileOptions options = targetOptions(target);
            options.frontend.defines = example.defines;
            auto compilation = std::make_shared<driver::Compilation>(options);
            REQUIRE(compilation->loadFile(file));
            REQUIRE(compilation->optimize());
            return std::shared_ptr<ir::Module>(compilation, compilation->module());
        };
        auto plain = load(std::nullopt);
        auto legal = load(AneTarget::Generic);
        for (const auto& kernel : plain->kernels) {
            if (plain->isStepProgram(kernel->name)) continue; // tests/unit/train runs these
            INFO(example.file() << example.configText() << " kernel " << kernel->name);
            CHECK(legal->findKernel(kernel->name)->legalizedFor == "generic");
            CHECK_FALSE(hasKind(*legal->findKernel(kernel->name), "concat"));
            bool approximate = hasKind(*kernel, "gelu") || hasKind(*kernel, "silu");
            auto inputs = inputsFor(*kernel, 11);
            double difference = maxDifference(runKernel(plain, kernel->name, inputs),
                                              runKernel(legal, kernel->name, inputs));
            if (approximate) {
                CHECK(difference < 2e-2);
                ++close;
            } else {
                CHECK(difference == -1);
                ++exact;
            }
        }
    }
    CHECK(exact >= 6);
    CHECK(close >= 2);
}

TEST_CASE("scaled_dot_product_attention needs opset ios18 unless legalization decomposes it",
          "[legalize]") {
    anec::test::TempDir dir;
    anec::test::writeFile(dir / "k.ane",
                          "kernel k(q: fp16[1, 64, 32], kk: fp16[1, 64, 32], v: fp16[1, 64, 32])\n"
                          "    -> (y: fp16[1, 64, 32]) {\n"
                          "    y = scaled_dot_product_attention(q, kk, v)\n}\n");
    std::string source = (dir / "k.ane").string();
    auto old = anec::test::runAnec(
        {"build", source, "--emit=mil", "--opset", "ios17", "--target", "none"});
    CHECK(old.status == 1);
    CHECK(old.err ==
          "anec: error: kernel 'k': scaled_dot_product_attention needs opset ios18 or later "
          "(building for ios17): use --opset ios18, or --target, whose legalization decomposes "
          "it\n");
    CHECK(anec::test::runAnec({"build", source, "--emit=mil", "--opset", "ios17"}).status == 0);
    CHECK(anec::test::runAnec({"build", source, "--emit=mil", "--target", "none"}).status == 0);
}
