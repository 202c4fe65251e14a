// The embedding API on a kernel whose I/O the compiler packed (pack-io): the kernel lists and
// takes the original named tensors, with and without CompileOptions::packIo.
#include <catch2/catch.hpp>

#include "anec/anec.hpp"

namespace {

const char* kTwoInputs =
    R"(kernel mix(a: fp32[1, 4, 1, 2], b: fp32[1, 2, 1, 2]) -> (y: fp32[1, 4, 1, 2], z: fp32[1, 2, 1, 2]) {
    y = a * 2
    z = b - a[:, 1:3, :, :]
}
)";

std::vector<std::string> names(const std::vector<anec::TensorInfo>& infos) {
    std::vector<std::string> result;
    for (const anec::TensorInfo& info : infos)
        result.push_back(info.name);
    return result;
}

} // namespace

TEST_CASE("API: a packed kernel shows and takes its original named tensors", "[packio][api]") {
    std::vector<float> a{1, 2, 3, 4, 5, 6, 7, 8}, b{10, 20, 30, 40};
    std::map<std::string, std::vector<float>> results[2];
    for (bool packIo : {true, false}) {
        anec::CompileOptions options;
        options.packIo = packIo;
        anec::Program program = anec::Program::compile(kTwoInputs, options, "mix.ane");
        const anec::KernelInfo& info = program.kernel("mix");
        CHECK(names(info.inputs) == std::vector<std::string>{"a", "b"});
        CHECK(names(info.outputs) == std::vector<std::string>{"y", "z"});
        CHECK(info.inputs[1].shape == anec::Shape{1, 2, 1, 2});
        auto outputs = program.run("mix", {{"a", anec::TensorView(a, {1, 4, 1, 2})},
                                           {"b", anec::TensorView(b, {1, 2, 1, 2})}});
        REQUIRE(outputs.size() == 2);
        results[packIo]["y"] = outputs.at("y").toFloats();
        results[packIo]["z"] = outputs.at("z").toFloats();
    }
    CHECK(results[1]["y"] == std::vector<float>{2, 4, 6, 8, 10, 12, 14, 16});
    CHECK(results[1]["z"] == std::vector<float>{7, 16, 25, 34});
    CHECK(results[1] == results[0]);
}
