// pack-io: inputs (outputs) of equal spatial size packed into one tensor. Golden IR before and
// after, the program.json layout, the MIL reader reading it back, and runs with the original
// names (-O1 packed vs -O1 --no-pack-io vs -O0, bit for bit: packing only moves data).
#include "unit/passes/pass_test_support.hpp"

#include <algorithm>

#include "ir/verifier.hpp"
#include "mil/emitter.hpp"
#include "mil/parser.hpp"
#include "support/npy.hpp"
#include "unit/driver/test_support.hpp"

using namespace anec;
using namespace anec::passes::test;
namespace fs = std::filesystem;

namespace {

const char* kTwoInTwoOut =
    R"(kernel k(a: fp16[1, 4, 1, 8], b: fp16[1, 2, 1, 8]) -> (y: fp16[1, 4, 1, 8], z: fp16[1, 2, 1, 8]) {
    y = a * 2
    z = b + a[:, 0:2, :, :]
}
)";

// fp32 I/O: the entry casts become one cast of the packed input, the exit casts one cast of the
// concatenated outputs.
const char* kFp32 =
    R"(kernel k(a: fp32[1, 4, 1, 8], b: fp32[1, 2, 1, 8]) -> (y: fp32[1, 4, 1, 8], z: fp32[1, 2, 1, 8]) {
    y = a * 2
    z = b + 1
}
)";

// Only a, b and d fit together (fp16, H=1, W=8); c has another width, e another dtype, f another
// rank: they stay separate. Outputs: p and r pack, q (fp32) does not.
const char* kMixed = R"(kernel mixed(c: fp16[1, 4, 1, 4], a: fp16[1, 4, 1, 8], e: fp32[1, 4, 1, 8],
             b: fp16[1, 2, 1, 8], f: fp16[4, 8], d: fp16[1, 3, 1, 8])
    -> (p: fp16[1, 4, 1, 8], q: fp32[1, 4, 1, 8], r: fp16[1, 1, 1, 8], s: fp16[1, 4, 1, 4]) {
    p = a * reshape(f, [1, 4, 1, 8]) + e
    q = a - 1
    r = reduce_sum(b, axes = [1], keep_dims = true) + reduce_max(d, axes = [1], keep_dims = true)
    s = c * 3
}
)";

std::vector<std::string> opKinds(const ir::Kernel& kernel) {
    std::vector<std::string> kinds;
    for (const auto& op : kernel.ops)
        if (!op->isConst()) kinds.push_back(op->kind());
    return kinds;
}

std::vector<std::string> namesOf(const std::vector<ir::InterfaceTensor>& tensors) {
    std::vector<std::string> names;
    for (const ir::InterfaceTensor& tensor : tensors)
        names.push_back(tensor.name);
    return names;
}

driver::CompileOptions options(int optLevel, bool packIo) {
    driver::CompileOptions result;
    result.optLevel = optLevel;
    result.packIo = packIo;
    return result;
}

std::map<std::string, runtime::Tensor> inputsFor(const ir::Kernel& kernel) {
    std::map<std::string, runtime::Tensor> inputs;
    uint64_t seed = 1;
    for (const ir::InterfaceTensor& input : ir::interfaceInputs(kernel))
        inputs[input.name] = makeInput(input.type, seed++);
    return inputs;
}

// Runs `text` at -O0, -O1 without and with packing on the same named inputs: identical outputs.
void requireSameOutputs(const std::string& text, const std::string& kernelName) {
    auto o0 = compileAne(text, options(0, true));
    auto unpacked = compileAne(text, options(1, false));
    auto packed = compileAne(text, options(1, true));
    const ir::Kernel& original = *o0->findKernel(kernelName);
    REQUIRE(!packed->findKernel(kernelName)->packing.empty());
    std::map<std::string, runtime::Tensor> inputs = inputsFor(original);
    auto expected = runKernel(o0, kernelName, inputs);
    for (const auto& module : {unpacked, packed}) {
        auto actual = runKernel(module, kernelName, inputs);
        REQUIRE(actual.size() == original.outputs.size());
        for (const ir::KernelOutput& output : original.outputs) {
            INFO("output " << output.name);
            REQUIRE(actual.count(output.name) == 1);
            CHECK(actual.at(output.name).type() == expected.at(output.name).type());
            auto a = actual.at(output.name).bytes(), e = expected.at(output.name).bytes();
            CHECK(std::equal(a.begin(), a.end(), e.begin(), e.end()));
        }
    }
}

} // namespace

TEST_CASE("pack-io packs two inputs and two outputs (golden IR)", "[packio]") {
    CHECK(
        irAfter(kTwoInTwoOut, {}) ==
        R"(kernel k(%a: fp16[1,4,1,8], %b: fp16[1,2,1,8]) -> (y: fp16[1,4,1,8], z: fp16[1,2,1,8]) {
  %0 = const() {value = 2.0} : fp16
  %y = mul(%a, %0) : fp16[1,4,1,8]
  %1 = slice_by_size(%a) {begin = [0, 0, 0, 0], size = [1, 2, 1, 8]} : fp16[1,2,1,8]
  %z = add(%b, %1) : fp16[1,2,1,8]
  return y = %y, z = %z
}
)");
    CHECK(irAfter(kTwoInTwoOut, {"pack-io"}) ==
          R"(kernel k(%packed_in: fp16[1,6,1,8]) -> (packed_out: fp16[1,6,1,8]) {
  packed input packed_in = [a: fp16[1,4,1,8] @0, b: fp16[1,2,1,8] @4]
  packed output packed_out = [y: fp16[1,4,1,8] @0, z: fp16[1,2,1,8] @4]
  %a = slice_by_size(%packed_in) {begin = [0, 0, 0, 0], size = [1, 4, 1, 8]} : fp16[1,4,1,8]
  %b = slice_by_size(%packed_in) {begin = [0, 4, 0, 0], size = [1, 2, 1, 8]} : fp16[1,2,1,8]
  %0 = const() {value = 2.0} : fp16
  %y = mul(%a, %0) : fp16[1,4,1,8]
  %1 = slice_by_size(%a) {begin = [0, 0, 0, 0], size = [1, 2, 1, 8]} : fp16[1,2,1,8]
  %z = add(%b, %1) : fp16[1,2,1,8]
  %packed_out = concat(%y, %z) {axis = 1, interleave = false} : fp16[1,6,1,8]
  return packed_out = %packed_out
}
)");
}

TEST_CASE("pack-io casts a packed fp32 input once and packed fp32 outputs once", "[packio]") {
    CHECK(irAfter(kFp32, {"pack-io", "dce"}) ==
          R"(kernel k(%packed_in: fp32[1,6,1,8]) -> (packed_out: fp32[1,6,1,8]) {
  packed input packed_in = [a: fp32[1,4,1,8] @0, b: fp32[1,2,1,8] @4]
  packed output packed_out = [y: fp32[1,4,1,8] @0, z: fp32[1,2,1,8] @4]
  %packed_in16 = cast(%packed_in) {dtype = "fp16"} : fp16[1,6,1,8]
  %a16 = slice_by_size(%packed_in16) {begin = [0, 0, 0, 0], size = [1, 4, 1, 8]} : fp16[1,4,1,8]
  %b16 = slice_by_size(%packed_in16) {begin = [0, 4, 0, 0], size = [1, 2, 1, 8]} : fp16[1,2,1,8]
  %0 = const() {value = 2.0} : fp16
  %y = mul(%a16, %0) : fp16[1,4,1,8]
  %1 = const() {value = 1.0} : fp16
  %z = add(%b16, %1) : fp16[1,2,1,8]
  %packed_out16 = concat(%y, %z) {axis = 1, interleave = false} : fp16[1,6,1,8]
  %packed_out = cast(%packed_out16) {dtype = "fp32"} : fp32[1,6,1,8]
  return packed_out = %packed_out
}
)");
    requireSameOutputs(kFp32, "k");
}

TEST_CASE("pack-io packs the largest compatible group and leaves the rest", "[packio]") {
    auto module = compileAne(kMixed);
    const ir::Kernel& kernel = *module->findKernel("mixed");
    std::vector<std::string> bound;
    for (const auto& input : kernel.inputs)
        bound.push_back(input->name);
    CHECK(bound == std::vector<std::string>{"c", "packed_in", "e", "f"});
    std::vector<std::string> returned;
    for (const ir::KernelOutput& output : kernel.outputs)
        returned.push_back(output.name);
    CHECK(returned == std::vector<std::string>{"packed_out", "q", "s"});
    CHECK(namesOf(ir::interfaceInputs(kernel)) ==
          std::vector<std::string>{"c", "a", "e", "b", "f", "d"});
    CHECK(namesOf(ir::interfaceOutputs(kernel)) == std::vector<std::string>{"p", "q", "r", "s"});
    REQUIRE(kernel.packing.size() == 2);
    const ir::PackedIo& in = kernel.packing[0];
    CHECK(in.name == "packed_in");
    REQUIRE(in.members.size() == 3);
    CHECK(in.members[2].name == "d");
    CHECK(in.members[2].channelOffset == 6);
    CHECK(in.members[2].index == 5);
    requireSameOutputs(kMixed, "mixed");
}

TEST_CASE("pack-io: ties go to the first-declared group; names do not collide", "[packio]") {
    auto module = compileAne(R"(kernel k(x: fp16[1, 2, 1, 4], packed_in: fp16[1, 2, 1, 8],
         y: fp16[1, 2, 1, 4], w: fp16[1, 1, 1, 8]) -> (packed_out: fp16[1, 2, 1, 4]) {
    packed_out = x + y + reduce_sum(packed_in + w, axes = [3], keep_dims = true)
})");
    const ir::Kernel& kernel = *module->findKernel("k");
    REQUIRE(kernel.packing.size() == 1);
    CHECK(kernel.packing[0].name == "packed_in_1");
    CHECK(kernel.packing[0].members[0].name == "x");
    CHECK(kernel.packing[0].members[1].name == "y");
    CHECK(kernel.inputs.size() == 3);
}

TEST_CASE("pack-io: -O0, --no-pack-io and packOutputs = false", "[packio]") {
    CHECK(compileAne(kTwoInTwoOut, options(0, true))->kernels[0]->packing.empty());
    CHECK(compileAne(kTwoInTwoOut, options(1, false))->kernels[0]->packing.empty());

    auto module = compileAne(kTwoInTwoOut, options(0, true));
    SourceManager sources;
    DiagnosticEngine diagnostics(sources);
    auto pass = passes::createPackIoPass({.packInputs = true, .packOutputs = false});
    CHECK(pass->run(*module, diagnostics) == 2);
    const ir::Kernel& kernel = *module->kernels[0];
    REQUIRE(kernel.packing.size() == 1);
    CHECK(kernel.packing[0].direction == ir::PackedIo::Direction::Input);
    CHECK(kernel.outputs.size() == 2);
    std::vector<std::string> kinds = opKinds(kernel);
    CHECK(std::count(kinds.begin(), kinds.end(), "concat") == 0);
    CHECK(ir::verifyModule(*module, diagnostics));
    CHECK(pass->run(*module, diagnostics) == 0); // already packed
}

TEST_CASE("the IR verifier checks the packing layout", "[packio]") {
    auto module = compileAne(kTwoInTwoOut);
    ir::Kernel& kernel = *module->kernels[0];
    REQUIRE(kernel.packing.size() == 2);
    SourceManager sources;
    DiagnosticEngine ok(sources);
    CHECK(ir::verifyModule(*module, ok));

    kernel.packing[0].members[1].channelOffset = 3;
    DiagnosticEngine bad(sources);
    CHECK_FALSE(ir::verifyModule(*module, bad));
    std::ostringstream text;
    bad.print(text);
    CHECK(text.str().find("member 'b' starts at channel 3, expected 4") != std::string::npos);

    kernel.packing[0].members[1].channelOffset = 4;
    kernel.packing[0].members[1].type.shape[1] = 3;
    DiagnosticEngine channels(sources);
    CHECK_FALSE(ir::verifyModule(*module, channels));
}

TEST_CASE("program.json records the packing layout", "[packio]") {
    auto module = compileAne(kMixed);
    mil::Program program = mil::emitProgram(*module->findKernel("mixed"), {});
    const nlohmann::json& json = program.description;
    std::vector<std::string> inputs;
    for (const auto& input : json["inputs"])
        inputs.push_back(input["name"]);
    CHECK(inputs == std::vector<std::string>{"c", "e", "f", "packed_in"}); // binding order
    const nlohmann::json& in = json["packing"]["packed_in"];
    REQUIRE(in.size() == 3);
    CHECK(in[0] == nlohmann::json{{"name", "a"},
                                  {"dtype", "fp16"},
                                  {"shape", {1, 4, 1, 8}},
                                  {"channel_offset", 0},
                                  {"channels", 4},
                                  {"byte_offset", 0},
                                  {"index", 1}});
    CHECK(in[1]["channel_offset"] == 4);
    CHECK(in[1]["byte_offset"] == 4 * 8 * 2);
    CHECK(in[2]["name"] == "d");
    CHECK(in[2]["index"] == 5);
    const nlohmann::json& out = json["packing"]["packed_out"];
    REQUIRE(out.size() == 2);
    CHECK(out[1]["name"] == "r");
    CHECK(out[1]["channel_offset"] == 4);
    CHECK(json["outputs"].size() == 3);

    auto unpacked = compileAne(kMixed, options(1, false));
    CHECK_FALSE(
        mil::emitProgram(*unpacked->findKernel("mixed"), {}).description.contains("packing"));
}

TEST_CASE("a built program with packing reads back, round trips and runs with named tensors",
          "[packio]") {
    test::TempDir dir;
    test::writeFile(dir / "k.ane", kMixed);
    // Unlegalized: generic would pack no outputs and convert e on the host.
    auto build = test::runAnec(
        {"build", (dir / "k.ane").string(), "-o", (dir / "out").string(), "--target", "none"});
    INFO(build.err);
    REQUIRE(build.status == 0);
    fs::path programDir = dir / "out" / "mixed";

    SourceManager sources;
    DiagnosticEngine diagnostics(sources);
    auto parsed = mil::parseMilFile(programDir, sources, diagnostics);
    REQUIRE(parsed);
    const ir::Kernel& kernel = *parsed->kernels[0];
    CHECK(namesOf(ir::interfaceInputs(kernel)) ==
          std::vector<std::string>{"c", "a", "e", "b", "f", "d"});
    CHECK(kernel.packing.size() == 2);
    mil::Program again = mil::emitProgram(kernel, {});
    CHECK(again.milText == test::readFile(programDir / "model.mil"));
    CHECK(again.description.dump(2) + "\n" == test::readFile(programDir / "program.json"));

    // Run the built directory with the original names; compare with the .ane at --no-pack-io.
    std::vector<std::string> inputArgs;
    auto source = compileAne(kMixed, options(0, true));
    for (const auto& [name, tensor] : inputsFor(*source->findKernel("mixed"))) {
        fs::path file = dir / (name + ".npy");
        npy::Array array;
        array.dtype =
            tensor.type().dtype == ir::DType::Fp32 ? npy::DType::Float32 : npy::DType::Float16;
        array.shape = tensor.type().shape;
        array.data.assign(tensor.bytes().begin(), tensor.bytes().end());
        REQUIRE(npy::write(file.string(), array).ok());
        inputArgs.push_back("--input");
        inputArgs.push_back(name + "=" + file.string());
    }
    std::vector<std::string> packedRun{"run", programDir.string(), "--output-dir",
                                       (dir / "packed").string()};
    std::vector<std::string> plainRun{"run", (dir / "k.ane").string(), "--no-pack-io",
                                      "--output-dir", (dir / "plain").string()};
    packedRun.insert(packedRun.end(), inputArgs.begin(), inputArgs.end());
    plainRun.insert(plainRun.end(), inputArgs.begin(), inputArgs.end());
    auto packed = test::runAnec(packedRun);
    INFO(packed.err);
    REQUIRE(packed.status == 0);
    auto plain = test::runAnec(plainRun);
    INFO(plain.err);
    REQUIRE(plain.status == 0);
    for (const char* output : {"p", "q", "r", "s"}) {
        INFO(output);
        std::string file = std::string(output) + ".npy";
        CHECK(test::readFile(dir / "packed" / file) == test::readFile(dir / "plain" / file));
        CHECK_FALSE(test::readFile(dir / "packed" / file).empty());
    }
    CHECK_FALSE(fs::exists(dir / "packed" / "packed_out.npy"));

    auto noPack = test::runAnec(
        {"build", (dir / "k.ane").string(), "--no-pack-io", "-o", (dir / "plainout").string()});
    REQUIRE(noPack.status == 0);
    CHECK(test::readFile(dir / "plainout" / "mixed" / "program.json").find("packing") ==
          std::string::npos);
}

TEST_CASE("a malformed packing in program.json is an error", "[packio]") {
    test::TempDir dir;
    test::writeFile(dir / "k.ane", kTwoInTwoOut);
    REQUIRE(
        test::runAnec({"build", (dir / "k.ane").string(), "-o", (dir / "out").string()}).status ==
        0);
    fs::path json = dir / "out" / "k" / "program.json";
    std::string text = test::readFile(json);
    size_t at = text.find("\"channel_offset\": 4");
    REQUIRE(at != std::string::npos);
    test::writeFile(json, text.replace(at, 19, "\"channel_offset\": 5"));
    auto run = test::runAnec({"run", (dir / "out" / "k").string(), "--random-inputs", "1",
                              "--output-dir", (dir / "r").string()});
    CHECK(run.status != 0);
    CHECK(run.err.find("member 'b' starts at channel 5, expected 4") != std::string::npos);
}

TEST_CASE("the runtime packs and unpacks: executables show the original names", "[packio]") {
    auto module = compileAne(kTwoInTwoOut);
    auto executable = runtime::createReferenceBackend()->prepare(module, "k");
    REQUIRE(executable->inputs().size() == 2);
    CHECK(executable->inputs()[0].name == "a");
    CHECK(executable->inputs()[1].type.str() == "fp16[1,2,1,8]");
    REQUIRE(executable->outputs().size() == 2);
    CHECK(executable->outputs()[1].name == "z");
    requireSameOutputs(kTwoInTwoOut, "k");

    runtime::Tensor a = makeInput({ir::DType::Fp16, {1, 4, 1, 8}}, 1);
    std::map<std::string, runtime::TensorView> onlyA{{"a", {a.type(), a.bytes()}}};
    CHECK_THROWS_WITH(executable->run(onlyA),
                      Catch::Contains("missing input 'b' (fp16[1,2,1,8]) for kernel 'k'"));
    std::map<std::string, runtime::TensorView> packedName{{"packed_in", {a.type(), a.bytes()}}};
    CHECK_THROWS_WITH(executable->run(packedName), Catch::Contains("unknown input 'packed_in'"));
}
