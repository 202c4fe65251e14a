// `anec check model.mil` and `anec build model.mil -o DIR` through the CLI and driver::Compilation.
#include <catch2/catch.hpp>

#include "unit/milparse/milparse_test_support.hpp"

namespace fs = std::filesystem;
using anec::test::CliResult;
using anec::test::readFile;
using anec::test::runAnec;
using anec::test::TempDir;
using anec::test::writeFile;

namespace {
const std::string kProgram = R"(program(1.3)
[buildInfo = dict<string, string>({{"coremlc-component-MIL", "3510.2.1"}, {"coremlc-version", "3505.4.1"}, {"coremltools-component-milinternal", ""}, {"coremltools-version", "9.0"}})]
{
    func main<ios18>(tensor<fp16, [1, 4, 1, 8]> x) {
        tensor<fp16, [1, 4, 1, 8]> s = sigmoid(x = x)[name = string("s")];
        tensor<fp16, [1, 4, 1, 8]> y = mul(x = x, y = s)[name = string("y")];
    } -> (y);
}
)";
} // namespace

TEST_CASE("anec check validates a MIL file", "[milparse][cli]") {
    TempDir dir;
    writeFile(dir / "model.mil", kProgram);
    // check compiles as build does: for the generic target, with its warnings (-w: none).
    CliResult ok = runAnec({"check", (dir / "model.mil").string(), "-w"});
    INFO(ok.err);
    CHECK(ok.status == 0);
    CHECK(ok.err.empty());
    CHECK(runAnec({"check", dir.path().string()}).status == 0); // the program directory

    std::string broken = kProgram;
    broken.replace(broken.find("sigmoid"), 7, "sigmoyd");
    writeFile(dir / "broken.mil", broken);
    CliResult bad = runAnec({"check", (dir / "broken.mil").string()});
    CHECK(bad.status == 1);
    CHECK(bad.err ==
          (dir / "broken.mil").string() +
              ":5:40: error: unknown op 'sigmoyd'\n"
              "        tensor<fp16, [1, 4, 1, 8]> s = sigmoyd(x = x)[name = string(\"s\")];\n"
              "                                       ^\n"
              "1 error generated.\n");

    CliResult define = runAnec({"check", (dir / "model.mil").string(), "-D", "SEQ=4"});
    CHECK(define.status == 1);
    CHECK(define.err == "anec: error: -D SEQ: MIL input has no constants to override\n"
                        "1 error generated.\n");
}

TEST_CASE("anec build re-emits a MIL program through the pipeline", "[milparse][cli]") {
    TempDir dir, out;
    writeFile(dir / "model.mil", kProgram);
    CliResult built = runAnec({"build", (dir / "model.mil").string(), "-o", out.path().string()});
    INFO(built.err);
    REQUIRE(built.status == 0);
    CHECK(readFile(out / "main/model.mil") == kProgram);
    CHECK(readFile(out / "main/program.json").find("\"kernel\": \"main\"") != std::string::npos);

    // A directory written by `anec build` keeps its kernel name (from program.json).
    TempDir again;
    built = runAnec({"build", (out / "main").string(), "-o", again.path().string()});
    REQUIRE(built.status == 0);
    CHECK(readFile(again / "main/model.mil") == kProgram);

    CliResult printed = runAnec({"build", (dir / "model.mil").string(), "--emit=mil"});
    CHECK(printed.status == 0);
    CHECK(printed.out == kProgram);
    CliResult ir = runAnec({"build", (dir / "model.mil").string(), "--emit=ir"});
    CHECK(ir.status == 0);
    CHECK(ir.out.find("sigmoid") != std::string::npos);
}

TEST_CASE("anec build of the seed's model.mil", "[milparse][cli][seed]") {
    fs::path seed = fs::path(ANEC_SHARED_DIR) / "seeds/ffn_w13_bwd";
    if (!fs::exists(seed / "model.mil")) {
        WARN("seed not found at " << seed << "; skipped");
        return;
    }
    TempDir out;
    CliResult built =
        runAnec({"build", (seed / "model.mil").string(), "-O0", "-o", out.path().string()});
    INFO(built.err);
    REQUIRE(built.status == 0);
    // Re-emitted without optimisation, the weights come out byte for byte under their names.
    CHECK(readFile(out / "main/weights/w1t.bin") == readFile(seed / "weights/w1t.bin"));
    CHECK(readFile(out / "main/weights/w3t.bin") == readFile(seed / "weights/w3t.bin"));
    std::string mil = readFile(out / "main/model.mil");
    CHECK(
        mil.find("BLOBFILE(path = string(\"@model_path/weights/w1t.bin\"), offset = uint64(64))") !=
        std::string::npos);

    // At -O1 the two convs over adjacent slices become one conv over the whole input, with the
    // weights concatenated along Cin.
    TempDir fused;
    REQUIRE(runAnec({"build", (seed / "model.mil").string(), "-o", fused.path().string()}).status ==
            0);
    std::string fusedMil = readFile(fused / "main/model.mil");
    CHECK(fusedMil.find("tensor<fp16, [768, 4096, 1, 1]>") != std::string::npos);
    CHECK(fusedMil.find("slice_by_size") == std::string::npos);
}

TEST_CASE("disagreeing blob metadata: a warning, an error with --strict in check, build and run",
          "[milparse][cli][blob]") {
    TempDir dir, out;
    std::vector<uint8_t> blob = anec::milparse::test::weightBlob();
    for (size_t i = 0; i < 8; ++i) // a data offset of 0
        blob[64 + 16 + i] = 0;
    writeFile(dir / "weights/w.bin", std::string(blob.begin(), blob.end()));
    std::string type = "tensor<fp16, [2, 2]>";
    writeFile(dir / "model.mil",
              anec::milparse::test::weightProgram("@model_path/weights/w.bin", "64", type));
    std::string mil = (dir / "model.mil").string();
    std::string where = mil + ":4:" + std::to_string(anec::milparse::test::blobColumn(type)) + ": ";
    std::string assumption = "weights/w.bin: blob at offset 64: the metadata's data offset is 0; "
                             "assumed the data follows the metadata, at offset 128\n";
    std::string error = "weights/w.bin: blob at offset 64: data offset 0 overlaps its own "
                        "metadata\n";

    CliResult check = runAnec({"check", mil, "--target", "none"});
    CHECK(check.status == 0);
    CHECK_THAT(check.err, Catch::StartsWith(where + "warning: " + assumption));
    CliResult strict = runAnec({"check", mil, "--strict"});
    CHECK(strict.status == 1);
    CHECK_THAT(strict.err, Catch::StartsWith(where + "error: " + error));
    CHECK_THAT(strict.err, Catch::EndsWith("1 error generated.\n"));
    CHECK(runAnec({"check", mil, "--target", "none", "--warnings=error"}).status == 1);

    CliResult build = runAnec({"build", mil, "--strict", "-o", out.path().string()});
    CHECK(build.status == 1);
    CHECK_THAT(build.err, Catch::StartsWith(where + "error: " + error));
    CHECK_FALSE(fs::exists(out / "main"));
    CHECK(runAnec({"build", mil, "-o", out.path().string()}).status == 0);

    std::vector<std::string> run{
        "run", mil, "--random-inputs", "1", "--output-dir", (out / "run").string()};
    CliResult lenient = runAnec(run);
    CHECK(lenient.status == 0);
    CHECK_THAT(lenient.err, Catch::StartsWith(where + "warning: " + assumption));
    run.push_back("--strict");
    CliResult strictRun = runAnec(run);
    CHECK(strictRun.status == 1);
    CHECK_THAT(strictRun.err, Catch::StartsWith(where + "error: " + error));
}
