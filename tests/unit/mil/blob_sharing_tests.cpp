// Identical blobs are stored once: constants (and dynamic weights' initial values) with the same
// dtype and bytes share one blob, at one file and offset, and mil::blobBytes counts what is
// stored. Checked against the files themselves (BlobReader) and by reading the program back.
#include "unit/mil/mil_test_support.hpp"

#include <filesystem>
#include <regex>
#include <set>

#include <unistd.h>

#include "mil/blob.hpp"
#include "mil/emitter.hpp"
#include "mil/output.hpp"
#include "mil/parser.hpp"

using namespace anec;
using namespace anec::mil;
using namespace anec::mil::test;
namespace fs = std::filesystem;

namespace {
// x [1, 8, 1, 2] through three 1x1 convs: A and B hold the same bytes (B under another name and
// shape [8, 8, 1, 1] vs A's), C others; `Big` is an unnamed constant of 64 elements (a blob by
// size) equal to A's bytes; the dynamic weight D starts at C's bytes, E at bytes of its own.
std::unique_ptr<ir::Kernel> sharingKernel(bool withDynamic) {
    auto kernel = std::make_unique<ir::Kernel>();
    kernel->name = "shared";
    ir::Value* x = kernel->addInput("x", {ir::DType::Fp16, {1, 8, 1, 2}});
    ir::Builder b(*kernel);
    auto a = patternWeight({8, 8, 1, 1}, "A", 1);
    auto same = std::make_shared<ir::ConstData>(*a);
    same->blobName = "B";
    auto c = patternWeight({8, 8, 1, 1}, "C", 2);
    auto big =
        std::make_shared<ir::ConstData>(ir::TensorType{ir::DType::Fp16, {1, 8, 1, 8}}, a->bytes());
    ir::Value* ya = need(b.createValue("conv", {x, b.createConst(a, {}, "A")}, {}, {}, "ya"));
    ir::Value* yb = need(b.createValue("conv", {x, b.createConst(same, {}, "B")}, {}, {}, "yb"));
    ir::Value* yc = need(b.createValue("conv", {x, b.createConst(c, {}, "C")}, {}, {}, "yc"));
    ir::Value* sum = need(b.createValue("add", {ya, yb}, {}, {}, "sum"));
    ir::Value* all = need(b.createValue("add", {sum, yc}, {}, {}, "all"));
    ir::Value* wide = need(b.createValue("reshape", {b.createConst(big, {}, "big")},
                                         {{"shape", IntList{1, 8, 1, 8}}}, {}, "wide"));
    kernel->outputs.push_back({"y", all, {}});
    kernel->outputs.push_back({"w", wide, {}});
    if (withDynamic) {
        kernel->addInput("D", {ir::DType::Fp16, {8, 8, 1, 1}});
        kernel->addInput("E", {ir::DType::Fp16, {8, 8, 1, 1}});
        kernel->dynamicWeights.push_back({"D", patternWeight({8, 8, 1, 1}, "", 2)});
        kernel->dynamicWeights.push_back({"E", patternWeight({8, 8, 1, 1}, "", 3)});
    }
    return kernel;
}

// "path offset" of every BLOBFILE in the MIL text, by the const's name.
std::map<std::string, std::string> blobRefs(const std::string& milText) {
    std::map<std::string, std::string> refs;
    std::regex ref(
        R"re((\w+) = const\(\)\[name = string\("\w+"\), val = tensor<[^>]*>\(BLOBFILE\(path = string\("([^"]*)"\), offset = uint64\((\d+)\)\)\))re");
    for (auto it = std::sregex_iterator(milText.begin(), milText.end(), ref);
         it != std::sregex_iterator(); ++it)
        refs[(*it)[1]] = (*it)[2].str() + " " + (*it)[3].str();
    return refs;
}

// The data bytes of every blob in the program's weight files, read back from the files.
uint64_t storedBytes(const Program& program) {
    uint64_t total = 0;
    for (const WeightFile& file : program.weightFiles) {
        BlobReader reader(file.bytes, file.relativePath);
        for (uint64_t offset : reader.metadataOffsets())
            total += reader.info(offset).sizeInBytes;
    }
    return total;
}
} // namespace

TEST_CASE("blobs with equal bytes are stored once and referred to at one file and offset",
          "[mil][blobs]") {
    auto kernel = sharingKernel(false);
    Program program = emitProgram(*kernel, {});
    std::map<std::string, std::string> refs = blobRefs(program.milText);
    CHECK(refs == std::map<std::string, std::string>{{"A", "@model_path/weights/A.bin 64"},
                                                     {"B", "@model_path/weights/A.bin 64"},
                                                     {"C", "@model_path/weights/C.bin 64"},
                                                     {"big", "@model_path/weights/A.bin 64"}});
    REQUIRE(program.weightFiles.size() == 2);
    CHECK(program.weightFiles[0].relativePath == "weights/A.bin");
    CHECK(program.weightFiles[1].relativePath == "weights/C.bin");
    CHECK(program.description["weights"].size() == 2);
    CHECK(storedBytes(program) == 2 * 8 * 8 * 2);
    CHECK(blobBytes(*kernel) == 2 * 8 * 8 * 2);

    // One weight file: one blob per content as well.
    EmitOptions single;
    single.singleWeightFile = true;
    Program one = emitProgram(*kernel, single);
    REQUIRE(one.weightFiles.size() == 1);
    CHECK(BlobReader(one.weightFiles[0].bytes).count() == 2);
    std::map<std::string, std::string> oneRefs = blobRefs(one.milText);
    CHECK(oneRefs["B"] == oneRefs["A"]);
    CHECK(oneRefs["big"] == oneRefs["A"]);
    CHECK(oneRefs["C"] != oneRefs["A"]);
}

TEST_CASE("a dynamic weight's initial value shares the blob of equal bytes", "[mil][blobs]") {
    auto kernel = sharingKernel(true);
    Program program = emitProgram(*kernel, {});
    const nlohmann::json& dynamic = program.description["dynamic_weights"];
    REQUIRE(dynamic.size() == 2);
    CHECK(dynamic[0]["name"] == "D");
    CHECK(dynamic[0]["path"] == "weights/C.bin"); // C's bytes
    CHECK(dynamic[0]["offset"] == 64);
    CHECK(dynamic[1]["path"] == "weights/E.init.bin");
    std::set<std::string> files;
    for (const WeightFile& file : program.weightFiles)
        files.insert(file.relativePath);
    CHECK(files == std::set<std::string>{"weights/A.bin", "weights/C.bin", "weights/E.init.bin"});
    CHECK(storedBytes(program) == 3 * 8 * 8 * 2);
    CHECK(blobBytes(*kernel) == 3 * 8 * 8 * 2);
    // Only live constants when asked.
    CHECK(blobBytes(*kernel, [](const ir::Op& op) { return op.result()->name != "C"; }) ==
          3 * 8 * 8 * 2); // C's bytes are still D's initial value
    CHECK(blobBytes(*kernel, [](const ir::Op&) { return false; }) == 2 * 8 * 8 * 2);
}

TEST_CASE("a program with shared blobs reads back with every constant's value", "[mil][blobs]") {
    auto kernel = sharingKernel(false);
    Program program = emitProgram(*kernel, {});
    const fs::path dir =
        fs::temp_directory_path() / ("anec-blob-sharing-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    writeProgramFiles(dir, program);
    SourceManager sources;
    DiagnosticEngine diagnostics(sources);
    auto module = parseMilFile(dir, sources, diagnostics);
    fs::remove_all(dir);
    REQUIRE(module);
    std::map<std::string, std::vector<uint8_t>> values;
    for (const auto& op : module->kernels.front()->ops)
        if (op->isConst() && op->constData) values[op->result()->name] = op->constData->bytes();
    for (const auto& op : kernel->ops) {
        if (!op->isConst()) continue;
        INFO("const " << op->result()->name);
        REQUIRE(values.count(op->result()->name));
        CHECK(values[op->result()->name] == op->constData->bytes());
    }
}
