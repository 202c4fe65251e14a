// Dynamic weights through `anec build` and `anec run`: program.json lists their initial values
// (in weights/<name>.init.bin or the single weight file, never referenced by the MIL text), and
// `anec run` runs without a value for them (or with --input W=w.npy to override).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "support/npy.hpp"
#include "unit/driver/test_support.hpp"

using namespace anec::test;
namespace fs = std::filesystem;
using anec::npy::Array;
using anec::npy::DType;

namespace {
// y = linear(x, W) + x with W = ones (initial): every y is 5 * x for x constant over channels.
const char* kSource = R"(dynamic weight W: fp16[4, 4] = ones()
weight b: fp16[1, 4, 1, 1] = zeros()
kernel k(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 4, 1, 2]) {
    y = linear(x, W) + x + b
}
)";

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::vector<double> valuesOf(const fs::path& path) {
    auto array = anec::npy::read(path.string());
    REQUIRE(array.ok());
    std::vector<double> values;
    for (int64_t i = 0; i < array->numElements(); ++i)
        values.push_back(array->at(i));
    return values;
}

void writeNpy(const fs::path& path, std::vector<int64_t> shape, const std::vector<double>& values) {
    REQUIRE(anec::npy::write(path.string(), Array::fromDoubles(DType::Float32, shape, values)));
}
} // namespace

TEST_CASE("build: program.json lists the dynamic weights' initial values", "[dynamic][build]") {
    TempDir dir;
    writeFile(dir / "k.ane", kSource);
    for (bool single : {false, true}) {
        INFO("single weight file: " << single);
        fs::path out = dir / (single ? "single" : "split");
        std::vector<std::string> args{"build", (dir / "k.ane").string(), "-o", out.string()};
        if (single) args.push_back("--single-weight-file");
        CliResult built = runAnec(args);
        INFO(built.err);
        REQUIRE(built.status == 0);
        auto json = nlohmann::json::parse(readFile(out / "k" / "program.json"));
        REQUIRE(json.contains("dynamic_weights"));
        const nlohmann::json& entry = json["dynamic_weights"].at(0);
        CHECK(entry["name"] == "W");
        std::string path = single ? "weights/weight.bin" : "weights/W.init.bin";
        CHECK(entry["path"] == path);
        CHECK(fs::exists(out / "k" / path));
        CHECK(entry["dtype"] == "fp16");
        CHECK(entry["shape"] == nlohmann::json::array({4, 4}));
        // The MIL text takes W as an input and never reads the initial value.
        std::string mil = readFile(out / "k" / "model.mil");
        CHECK(contains(mil, "tensor<fp16, [4, 4]> W)"));
        CHECK_FALSE(contains(mil, "init"));
    }
}

TEST_CASE("run: a built program runs without its dynamic weights, or with an override",
          "[dynamic][run]") {
    TempDir dir;
    writeFile(dir / "k.ane", kSource);
    for (bool single : {false, true}) {
        INFO("single weight file: " << single);
        fs::path out = dir / (single ? "single" : "split");
        std::vector<std::string> args{"build", (dir / "k.ane").string(), "-o", out.string()};
        if (single) args.push_back("--single-weight-file");
        REQUIRE(runAnec(args).status == 0);
        writeNpy(dir / "x.npy", {1, 4, 1, 2}, {1, 2, 1, 2, 1, 2, 1, 2});

        CliResult initial =
            runAnec({"run", (out / "k").string(), "--input", "x=" + (dir / "x.npy").string(),
                     "--output-dir", dir.path().string(), "--backend", "reference"});
        INFO(initial.err);
        REQUIRE(initial.status == 0);
        CHECK(contains(initial.out, "input W: fp16[4,4] dynamic weight, initial value"));
        CHECK(valuesOf(dir / "y.npy") == std::vector<double>{5, 10, 5, 10, 5, 10, 5, 10});

        // W = 2 * identity overrides the initial value: y = 3 x.
        writeNpy(dir / "w.npy", {4, 4}, {2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2});
        CliResult given =
            runAnec({"run", (out / "k").string(), "--input", "x=" + (dir / "x.npy").string(),
                     "--input", "W=" + (dir / "w.npy").string(), "--output-dir",
                     dir.path().string(), "--backend", "reference"});
        INFO(given.err);
        REQUIRE(given.status == 0);
        CHECK(valuesOf(dir / "y.npy") == std::vector<double>{3, 6, 3, 6, 3, 6, 3, 6});
    }
}

TEST_CASE("run: a program.json naming a dynamic weight the MIL lacks is an error",
          "[dynamic][run]") {
    TempDir dir;
    writeFile(dir / "k.ane", kSource);
    REQUIRE(runAnec({"build", (dir / "k.ane").string(), "-o", (dir / "out").string()}).status == 0);
    fs::path json = dir / "out" / "k" / "program.json";
    std::string text = readFile(json);
    text.replace(text.find("\"name\": \"W\""), 11, "\"name\": \"V\"");
    writeFile(json, text);
    CliResult result = runAnec({"run", (dir / "out" / "k").string(), "--random-inputs", "1"});
    CHECK(result.status != 0);
    CHECK(contains(result.err, "model.mil:4:10: error: IR verifier: kernel 'k': dynamic weight "
                               "'V' is not an input of the kernel"));
}
