// MIL text, weight blobs and program.json emitted from hand-built IR.
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <sstream>

#include "mil/blob.hpp"
#include "mil/emitter.hpp"
#include "support/diagnostics.hpp"
#include "unit/mil/mil_test_support.hpp"

using namespace anec;
using namespace anec::mil;
using namespace anec::mil::test;
namespace fs = std::filesystem;

namespace {
const std::string kBuildInfo =
    R"([buildInfo = dict<string, string>({{"coremlc-component-MIL", "3510.2.1"}, {"coremlc-version", "3505.4.1"}, {"coremltools-component-milinternal", ""}, {"coremltools-version", "9.0"}})])";

// The op of every statement except `const`, in order.
std::vector<std::string> opSequence(const std::string& mil) {
    std::vector<std::string> ops;
    std::regex statement(R"(^ {8}.*?= ([a-z_0-9]+)\()");
    std::istringstream lines(mil);
    for (std::string line; std::getline(lines, line);) {
        std::smatch match;
        if (std::regex_search(line, match, statement) && match[1] != "const")
            ops.push_back(match[1]);
    }
    return ops;
}

std::vector<std::string> linesOf(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

bool hasLine(const std::string& mil, const std::string& line) {
    auto lines = linesOf(mil);
    return std::find(lines.begin(), lines.end(), line) != lines.end();
}

const std::string kSeedMil = R"(program(1.3)
)" + kBuildInfo + R"(
{
    func main<ios18>(tensor<fp32, [1, 4096, 1, 64]> x) {
        string x16_dtype = const()[name = string("x16_dtype"), val = string("fp16")];
        tensor<fp16, [1, 4096, 1, 64]> x16 = cast(dtype = x16_dtype, x = x)[name = string("x16")];
        tensor<int32, [4]> dh1_begin = const()[name = string("dh1_begin"), val = tensor<int32, [4]>([0, 0, 0, 0])];
        tensor<int32, [4]> dh1_size = const()[name = string("dh1_size"), val = tensor<int32, [4]>([1, 2048, 1, 64])];
        tensor<fp16, [1, 2048, 1, 64]> dh1 = slice_by_size(begin = dh1_begin, size = dh1_size, x = x16)[name = string("dh1")];
        tensor<int32, [4]> dh3_begin = const()[name = string("dh3_begin"), val = tensor<int32, [4]>([0, 2048, 0, 0])];
        tensor<int32, [4]> dh3_size = const()[name = string("dh3_size"), val = tensor<int32, [4]>([1, 2048, 1, 64])];
        tensor<fp16, [1, 2048, 1, 64]> dh3 = slice_by_size(begin = dh3_begin, size = dh3_size, x = x16)[name = string("dh3")];
        tensor<fp16, [768, 2048, 1, 1]> W1_T = const()[name = string("W1_T"), val = tensor<fp16, [768, 2048, 1, 1]>(BLOBFILE(path = string("@model_path/weights/W1_T.bin"), offset = uint64(64)))];
        tensor<fp16, [768, 2048, 1, 1]> W3_T = const()[name = string("W3_T"), val = tensor<fp16, [768, 2048, 1, 1]>(BLOBFILE(path = string("@model_path/weights/W3_T.bin"), offset = uint64(64)))];
        tensor<int32, [2]> dx1_dilations = const()[name = string("dx1_dilations"), val = tensor<int32, [2]>([1, 1])];
        int32 dx1_groups = const()[name = string("dx1_groups"), val = int32(1)];
        tensor<int32, [4]> dx1_pad = const()[name = string("dx1_pad"), val = tensor<int32, [4]>([0, 0, 0, 0])];
        string dx1_pad_type = const()[name = string("dx1_pad_type"), val = string("valid")];
        tensor<int32, [2]> dx1_strides = const()[name = string("dx1_strides"), val = tensor<int32, [2]>([1, 1])];
        tensor<fp16, [1, 768, 1, 64]> dx1 = conv(dilations = dx1_dilations, groups = dx1_groups, pad = dx1_pad, pad_type = dx1_pad_type, strides = dx1_strides, weight = W1_T, x = dh1)[name = string("dx1")];
        tensor<int32, [2]> dx3_dilations = const()[name = string("dx3_dilations"), val = tensor<int32, [2]>([1, 1])];
        int32 dx3_groups = const()[name = string("dx3_groups"), val = int32(1)];
        tensor<int32, [4]> dx3_pad = const()[name = string("dx3_pad"), val = tensor<int32, [4]>([0, 0, 0, 0])];
        string dx3_pad_type = const()[name = string("dx3_pad_type"), val = string("valid")];
        tensor<int32, [2]> dx3_strides = const()[name = string("dx3_strides"), val = tensor<int32, [2]>([1, 1])];
        tensor<fp16, [1, 768, 1, 64]> dx3 = conv(dilations = dx3_dilations, groups = dx3_groups, pad = dx3_pad, pad_type = dx3_pad_type, strides = dx3_strides, weight = W3_T, x = dh3)[name = string("dx3")];
        tensor<fp16, [1, 768, 1, 64]> sum = add(x = dx1, y = dx3)[name = string("sum")];
        string y_dtype = const()[name = string("y_dtype"), val = string("fp32")];
        tensor<fp32, [1, 768, 1, 64]> y = cast(dtype = y_dtype, x = sum)[name = string("y")];
    } -> (y);
}
)";
} // namespace

TEST_CASE("the seed kernel is emitted in the seed's style", "[mil]") {
    auto kernel = seedKernel();
    Program program = emitProgram(*kernel, {});
    CHECK(program.kernelName == "ffn_w13_bwd");
    CHECK(program.milText == kSeedMil);
    std::vector<std::string> expected{"cast", "slice_by_size", "slice_by_size", "conv",
                                      "conv", "add",           "cast"};
    CHECK(opSequence(program.milText) == expected);

    fs::path seedMil = fs::path(ANEC_SHARED_DIR) / "seeds/ffn_w13_bwd/model.mil";
    if (fs::exists(seedMil)) {
        std::ifstream in(seedMil);
        std::stringstream seed;
        seed << in.rdbuf();
        auto seedLines = linesOf(seed.str());
        auto ourLines = linesOf(program.milText);
        // Same header, buildInfo, braces, signature and return as the seed.
        for (size_t i : {0, 1, 2, 3})
            CHECK(ourLines.at(i) == seedLines.at(i));
        CHECK(ourLines.end()[-2] == seedLines.end()[-2]);
        CHECK(ourLines.back() == seedLines.back());
        CHECK(opSequence(seed.str()) == expected);
    } else {
        WARN("seed model.mil not found at " << seedMil << "; comparison skipped");
    }
}

TEST_CASE("each weight goes to its own blob file by default", "[mil]") {
    auto kernel = seedKernel();
    Program program = emitProgram(*kernel, {});
    REQUIRE(program.weightFiles.size() == 2);
    CHECK(program.weightFiles[0].relativePath == "weights/W1_T.bin");
    CHECK(program.weightFiles[1].relativePath == "weights/W3_T.bin");
    std::vector<const ir::Op*> consts;
    for (const auto& op : kernel->ops)
        if (op->isConst()) consts.push_back(op.get());
    REQUIRE(consts.size() == 2);
    for (size_t i = 0; i < 2; ++i) {
        const WeightFile& file = program.weightFiles[i];
        REQUIRE(file.bytes.size() == 128 + 768 * 2048 * 2);
        BlobReader reader(file.bytes, file.relativePath);
        CHECK(reader.count() == 1);
        auto data = reader.read(64, BlobDType::Float16, 768 * 2048);
        CHECK(std::equal(data.begin(), data.end(), consts[i]->constData->bytes().begin(),
                         consts[i]->constData->bytes().end()));
    }
}

TEST_CASE("singleWeightFile puts every weight in weights/weight.bin", "[mil]") {
    auto kernel = seedKernel();
    EmitOptions options;
    options.singleWeightFile = true;
    Program program = emitProgram(*kernel, options);
    REQUIRE(program.weightFiles.size() == 1);
    CHECK(program.weightFiles[0].relativePath == "weights/weight.bin");
    const uint64_t dataBytes = 768 * 2048 * 2;
    const uint64_t second = 64 + 64 + dataBytes; // already 64-aligned
    CHECK(program.milText.find(
              "BLOBFILE(path = string(\"@model_path/weights/weight.bin\"), offset = uint64(64))") !=
          std::string::npos);
    CHECK(program.milText.find(
              "BLOBFILE(path = string(\"@model_path/weights/weight.bin\"), offset = uint64(" +
              std::to_string(second) + "))") != std::string::npos);
    BlobReader reader(program.weightFiles[0].bytes, "weight.bin");
    CHECK(reader.count() == 2);
    CHECK(reader.metadataOffsets() == std::vector<uint64_t>{64, second});
    CHECK(reader.read(second, BlobDType::Float16, 768 * 2048).size() == dataBytes);
    auto weights = program.description["weights"];
    REQUIRE(weights.size() == 2);
    CHECK(weights[1]["offset"] == second);
    CHECK(weights[1]["path"] == "weights/weight.bin");
}

TEST_CASE("the opset selects the program version and function opset", "[mil]") {
    auto kernel = seedKernel();
    for (auto [opset, header, func] :
         {std::tuple{Opset::iOS16, "program(1.0)\n", "func main<ios16>("},
          std::tuple{Opset::iOS17, "program(1.0)\n", "func main<ios17>("},
          std::tuple{Opset::iOS18, "program(1.3)\n", "func main<ios18>("}}) {
        EmitOptions options;
        options.opset = opset;
        Program program = emitProgram(*kernel, options);
        CHECK(program.milText.rfind(header, 0) == 0);
        CHECK(linesOf(program.milText).at(1) == kBuildInfo);
        CHECK(program.milText.find(func) != std::string::npos);
        CHECK(program.description["opset"] == std::string(opsetName(opset)));
    }
}

TEST_CASE("emission is deterministic", "[mil]") {
    auto kernel = seedKernel();
    Program first = emitProgram(*kernel, {});
    Program second = emitProgram(*kernel, {});
    CHECK(first.milText == second.milText);
    CHECK(first.description.dump() == second.description.dump());
    REQUIRE(first.weightFiles.size() == second.weightFiles.size());
    for (size_t i = 0; i < first.weightFiles.size(); ++i) {
        CHECK(first.weightFiles[i].relativePath == second.weightFiles[i].relativePath);
        CHECK(first.weightFiles[i].bytes == second.weightFiles[i].bytes);
    }
    // A separately built, identical kernel (different addresses) gives the same bytes.
    auto again = seedKernel();
    CHECK(emitProgram(*again, {}).milText == first.milText);
}

TEST_CASE("program.json lists inputs and outputs in binding order", "[mil]") {
    ir::Kernel kernel;
    kernel.name = "two";
    ir::Value* b = kernel.addInput("b", {ir::DType::Fp16, {1, 8, 1, 16}});
    ir::Value* a = kernel.addInput("a", {ir::DType::Fp16, {1, 8, 1, 16}});
    ir::Builder builder(kernel);
    ir::Value* sum = need(builder.createValue("add", {a, b}, {}, {}, "s"));
    ir::Value* product = need(builder.createValue("mul", {a, b}, {}, {}, "p"));
    kernel.outputs.push_back({"z", sum, {}});
    kernel.outputs.push_back({"out", product, {}});
    Program program = emitProgram(kernel, {});
    CHECK(linesOf(program.milText).at(3) ==
          "    func main<ios18>(tensor<fp16, [1, 8, 1, 16]> b, tensor<fp16, [1, 8, 1, 16]> a) {");
    CHECK(linesOf(program.milText).end()[-2] == "    } -> (z, out);");

    const nlohmann::json& d = program.description;
    CHECK(d["kernel"] == "two");
    CHECK(d["opset"] == "ios18");
    REQUIRE(d["inputs"].size() == 2);
    CHECK(d["inputs"][0] == nlohmann::json{{"name", "a"},
                                           {"dtype", "fp16"},
                                           {"shape", {1, 8, 1, 16}},
                                           {"bytes", 256},
                                           {"index", 1}});
    CHECK(d["inputs"][1]["name"] == "b");
    CHECK(d["inputs"][1]["index"] == 0);
    CHECK(d["outputs"][0]["name"] == "out");
    CHECK(d["outputs"][0]["index"] == 1);
    CHECK(d["outputs"][1]["name"] == "z");
    CHECK(d["weights"] == nlohmann::json::array());
}

TEST_CASE("value names are made MIL-safe and unique", "[mil]") {
    ir::Kernel kernel;
    kernel.name = "names";
    ir::Value* x = kernel.addInput("x", {ir::DType::Fp16, {1, 4}});
    ir::Builder b(kernel);
    ir::Value* t1 = need(b.createValue("relu", {x}, {}, {}, "t"));
    ir::Value* t2 = need(b.createValue("relu", {t1}, {}, {}, "t"));
    ir::Value* dotted = need(b.createValue("exp", {t2}, {}, {}, "a.b"));
    ir::Value* anon1 = need(b.createValue("add", {dotted, x}));
    ir::Value* anon2 = need(b.createValue("add", {anon1, x}));
    ir::Value* shadow = need(b.createValue("sigmoid", {anon2}, {}, {}, "y")); // `y` is the output
    ir::Value* keyword = need(b.createValue("tanh", {shadow}, {}, {}, "tensor"));
    ir::Value* reduced =
        need(b.createValue("reduce_sum", {keyword}, {{"axes", IntList{1}}}, {}, "r"));
    ir::Value* attrClash = need(b.createValue("relu", {reduced}, {}, {}, "r_axes"));
    ir::Value* y = need(b.createValue("relu", {attrClash}, {}, {}, "y"));
    kernel.outputs.push_back({"y", y, {}});
    std::string mil = emitProgram(kernel, {}).milText;
    INFO(mil);
    CHECK(hasLine(mil, "        tensor<fp16, [1, 4]> t = relu(x = x)[name = string(\"t\")];"));
    CHECK(hasLine(mil, "        tensor<fp16, [1, 4]> t_1 = relu(x = t)[name = string(\"t_1\")];"));
    CHECK(hasLine(mil, "        tensor<fp16, [1, 4]> a_b = exp(x = t_1)[name = string(\"a_b\")];"));
    CHECK(hasLine(
        mil,
        "        tensor<fp16, [1, 4]> add_0 = add(x = a_b, y = x)[name = string(\"add_0\")];"));
    CHECK(hasLine(
        mil,
        "        tensor<fp16, [1, 4]> add_1 = add(x = add_0, y = x)[name = string(\"add_1\")];"));
    CHECK(hasLine(
        mil, "        tensor<fp16, [1, 4]> y_1 = sigmoid(x = add_1)[name = string(\"y_1\")];"));
    CHECK(hasLine(
        mil, "        tensor<fp16, [1, 4]> _tensor = tanh(x = y_1)[name = string(\"_tensor\")];"));
    CHECK(hasLine(mil, "        tensor<int32, [1]> r_axes = const()[name = string(\"r_axes\"), val "
                       "= tensor<int32, [1]>([1])];"));
    CHECK(hasLine(
        mil,
        "        bool r_keep_dims = const()[name = string(\"r_keep_dims\"), val = bool(false)];"));
    CHECK(hasLine(mil, "        tensor<fp16, [1]> r = reduce_sum(axes = r_axes, keep_dims = "
                       "r_keep_dims, x = _tensor)[name = string(\"r\")];"));
    CHECK(hasLine(
        mil, "        tensor<fp16, [1]> r_axes_1 = relu(x = r)[name = string(\"r_axes_1\")];"));
    CHECK(hasLine(mil, "        tensor<fp16, [1]> y = relu(x = r_axes_1)[name = string(\"y\")];"));
}

TEST_CASE("outputs that are inputs, consts or repeated values get identity ops", "[mil]") {
    ir::Kernel kernel;
    kernel.name = "aliases";
    ir::Value* x = kernel.addInput("x", {ir::DType::Fp16, {1, 4}});
    ir::Builder b(kernel);
    auto half =
        std::make_shared<ir::ConstData>(ir::ConstData::splat({ir::DType::Fp16, {1, 4}}, 0.5));
    ir::Value* c = b.createConst(half, {}, "c");
    ir::Value* r = need(b.createValue("relu", {x}, {}, {}, "r"));
    kernel.outputs.push_back({"same", x, {}});
    kernel.outputs.push_back({"first", r, {}});
    kernel.outputs.push_back({"second", r, {}});
    kernel.outputs.push_back({"k", c, {}});
    std::string mil = emitProgram(kernel, {}).milText;
    INFO(mil);
    CHECK(hasLine(mil, "        tensor<fp16, [1, 4]> c = const()[name = string(\"c\"), val = "
                       "tensor<fp16, [1, 4]>([0.5, 0.5, 0.5, 0.5])];"));
    CHECK(hasLine(mil,
                  "        tensor<fp16, [1, 4]> first = relu(x = x)[name = string(\"first\")];"));
    CHECK(hasLine(mil,
                  "        tensor<fp16, [1, 4]> same = identity(x = x)[name = string(\"same\")];"));
    CHECK(hasLine(
        mil,
        "        tensor<fp16, [1, 4]> second = identity(x = first)[name = string(\"second\")];"));
    CHECK(hasLine(mil, "        tensor<fp16, [1, 4]> k = identity(x = c)[name = string(\"k\")];"));
    CHECK(hasLine(mil, "    } -> (same, first, second, k);"));
    CHECK(opSequence(mil) == std::vector<std::string>{"relu", "identity", "identity", "identity"});
}

TEST_CASE("constants are inline up to 16 elements, in blobs beyond", "[mil]") {
    ir::Kernel kernel;
    kernel.name = "consts";
    ir::Value* x = kernel.addInput("x", {ir::DType::Fp16, {1, 17}});
    ir::Builder b(kernel);
    ir::Value* scalar = b.createConst(
        std::make_shared<ir::ConstData>(ir::ConstData::splat({ir::DType::Fp16, {}}, 0.5)), {},
        "half");
    std::vector<double> sixteen(16, 1.5), seventeen(17, 0.25);
    ir::Value* small = b.createConst(std::make_shared<ir::ConstData>(ir::ConstData::fromDoubles(
                                         {ir::DType::Fp16, {16, 1}}, sixteen)),
                                     {}, "small");
    ir::Value* large = b.createConst(std::make_shared<ir::ConstData>(ir::ConstData::fromDoubles(
                                         {ir::DType::Fp16, {1, 17}}, seventeen)),
                                     {}, "large");
    ir::Value* flags = b.createConst(
        std::make_shared<ir::ConstData>(ir::ConstData::splat({ir::DType::Bool, {1, 17}}, 1)), {},
        "flags");
    ir::Value* m = need(b.createValue("mul", {x, scalar}, {}, {}, "m"));
    ir::Value* a = need(b.createValue("add", {m, large}, {}, {}, "a"));
    ir::Value* s = need(b.createValue("select", {flags, a, x}, {}, {}, "s"));
    kernel.outputs.push_back({"y", need(b.createValue("add", {s, small}, {}, {}, "y")), {}});
    Program program = emitProgram(kernel, {});
    const std::string& mil = program.milText;
    INFO(mil);
    CHECK(hasLine(mil, "        fp16 half = const()[name = string(\"half\"), val = fp16(0.5)];"));
    CHECK(mil.find("tensor<fp16, [16, 1]> small = const()[name = string(\"small\"), val = "
                   "tensor<fp16, [16, 1]>([1.5, 1.5,") != std::string::npos);
    CHECK(hasLine(mil, "        tensor<fp16, [1, 17]> large = const()[name = string(\"large\"), "
                       "val = tensor<fp16, [1, 17]>(BLOBFILE(path = "
                       "string(\"@model_path/weights/large.bin\"), offset = uint64(64)))];"));
    // MILBlob has no bool type: bool constants stay inline whatever their size.
    CHECK(mil.find("tensor<bool, [1, 17]> flags = const()[name = string(\"flags\"), val = "
                   "tensor<bool, [1, 17]>([true,") != std::string::npos);
    CHECK(hasLine(mil, "        tensor<fp16, [1, 17]> s = select(a = a, b = x, cond = flags)[name "
                       "= string(\"s\")];"));
    REQUIRE(program.weightFiles.size() == 1);
    BlobReader reader(program.weightFiles[0].bytes, "large.bin");
    auto data = reader.read(64, BlobDType::Float16, 17);
    CHECK(data[0] == 0x00); // fp16 0.25 = 0x3400
    CHECK(data[1] == 0x34);
    auto weights = program.description["weights"];
    REQUIRE(weights.size() == 1);
    CHECK(weights[0] == nlohmann::json{{"name", "large"},
                                       {"path", "weights/large.bin"},
                                       {"offset", 64},
                                       {"dtype", "fp16"},
                                       {"shape", {1, 17}},
                                       {"bytes", 34}});
}

TEST_CASE("weight file names are unique, also without regard to case", "[mil]") {
    ir::Kernel kernel;
    kernel.name = "files";
    ir::Value* x = kernel.addInput("x", {ir::DType::Fp16, {1, 4, 1, 1}});
    ir::Builder b(kernel);
    ir::Value* w = b.createConst(patternWeight({4, 4, 1, 1}, "W", 1), {}, "W");
    ir::Value* w2 = b.createConst(patternWeight({4, 4, 1, 1}, "w", 2), {}, "w");
    ir::Value* shared = b.createConst(patternWeight({4, 4, 1, 1}, "../up", 3), {}, "up");
    ir::Value* c1 = need(b.createValue("conv", {x, w}, {}, {}, "c1"));
    ir::Value* c2 = need(b.createValue("conv", {c1, w2}, {}, {}, "c2"));
    kernel.outputs.push_back({"y", need(b.createValue("conv", {c2, shared}, {}, {}, "c3")), {}});
    Program program = emitProgram(kernel, {});
    REQUIRE(program.weightFiles.size() == 3);
    CHECK(program.weightFiles[0].relativePath == "weights/W.bin");
    CHECK(program.weightFiles[1].relativePath == "weights/w_1.bin");
    CHECK(program.weightFiles[2].relativePath == "weights/___up.bin");
}

TEST_CASE("variadic operands are tuples, multi-result ops use a result tuple", "[mil]") {
    ir::Kernel kernel;
    kernel.name = "shapes";
    ir::Value* x = kernel.addInput("x", {ir::DType::Fp16, {1, 6, 1, 4}});
    ir::Builder b(kernel);
    ir::Op* split = need(b.create(
        "split", {x}, {{"axis", int64_t{1}}, {"split_sizes", IntList{2, 4}}}, {}, "parts"));
    REQUIRE(split->results.size() == 2);
    split->results[0]->name = "p";
    split->results[1]->name = "q";
    ir::Value* cat = need(b.createValue("concat", {split->result(1), split->result(0), x},
                                        {{"axis", int64_t{1}}}, {}, "cat"));
    ir::Value* sliced = need(
        b.createValue("slice_by_index", {cat},
                      {{"begin", IntList{0, 0, 0, 0}}, {"end", IntList{1, 12, 1, 4}}}, {}, "sl"));
    ir::Value* clipped =
        need(b.createValue("clip", {sliced}, {{"alpha", -0.1}, {"beta", 6.0}}, {}, "cl"));
    kernel.outputs.push_back({"y", clipped, {}});
    std::string mil = emitProgram(kernel, {}).milText;
    INFO(mil);
    CHECK(
        hasLine(mil, "        int32 p_axis = const()[name = string(\"p_axis\"), val = int32(1)];"));
    CHECK(hasLine(mil, "        tensor<int32, [2]> p_split_sizes = const()[name = "
                       "string(\"p_split_sizes\"), val = tensor<int32, [2]>([2, 4])];"));
    // num_splits 0 means "not given" and is left out.
    CHECK(mil.find("num_splits") == std::string::npos);
    CHECK(hasLine(
        mil, "        (tensor<fp16, [1, 2, 1, 4]> p, tensor<fp16, [1, 4, 1, 4]> q) = split(axis = "
             "p_axis, split_sizes = p_split_sizes, x = x)[name = string(\"p\")];"));
    CHECK(hasLine(mil,
                  "        tensor<fp16, [1, 12, 1, 4]> cat = concat(axis = cat_axis, interleave "
                  "= cat_interleave, values = (q, p, x))[name = string(\"cat\")];"));
    // Empty stride and masks are MIL's defaults and are left out.
    CHECK(hasLine(mil, "        tensor<fp16, [1, 12, 1, 4]> sl = slice_by_index(begin = sl_begin, "
                       "end = sl_end, x = cat)[name = string(\"sl\")];"));
    CHECK(hasLine(mil,
                  "        fp16 y_alpha = const()[name = string(\"y_alpha\"), val = fp16(-0.1)];"));
    CHECK(hasLine(mil, "        fp16 y_beta = const()[name = string(\"y_beta\"), val = fp16(6)];"));
}

TEST_CASE("absent optional operands are left out", "[mil]") {
    ir::Kernel kernel;
    kernel.name = "norm";
    ir::Value* x = kernel.addInput("x", {ir::DType::Fp16, {1, 4}});
    ir::Builder b(kernel);
    ir::Value* beta = b.createConst(
        std::make_shared<ir::ConstData>(ir::ConstData::splat({ir::DType::Fp16, {4}}, 0.25)), {},
        "beta");
    ir::Value* y = need(b.createValue("layer_norm", {x, nullptr, beta}, {{"axes", IntList{1}}}));
    kernel.outputs.push_back({"y", y, {}});
    std::string mil = emitProgram(kernel, {}).milText;
    INFO(mil);
    CHECK(hasLine(mil, "        fp16 y_epsilon = const()[name = string(\"y_epsilon\"), val = "
                       "fp16(1e-05)];"));
    CHECK(hasLine(mil, "        tensor<fp16, [1, 4]> y = layer_norm(axes = y_axes, beta = beta, "
                       "epsilon = y_epsilon, x = x)[name = string(\"y\")];"));
}

TEST_CASE("kernels that cannot be written as MIL are reported", "[mil]") {
    SECTION("an output never assigned") {
        ir::Kernel kernel;
        kernel.name = "k";
        kernel.addInput("x", {ir::DType::Fp16, {1}});
        kernel.outputs.push_back({"y", nullptr, {}});
        CHECK(errorOf([&] { emitProgram(kernel, {}); }) ==
              "kernel 'k': output 'y' is never assigned");
    }
    SECTION("an input name that is not an identifier") {
        ir::Kernel kernel;
        kernel.name = "k";
        ir::Value* x = kernel.addInput("x-1", {ir::DType::Fp16, {1}});
        kernel.outputs.push_back({"y", x, {}});
        CHECK(errorOf([&] { emitProgram(kernel, {}); }) ==
              "kernel 'k': input name 'x-1' is not a valid MIL identifier");
    }
    SECTION("an output named like an input") {
        ir::Kernel kernel;
        kernel.name = "k";
        ir::Value* x = kernel.addInput("x", {ir::DType::Fp16, {1}});
        kernel.outputs.push_back({"x", x, {}});
        CHECK(errorOf([&] { emitProgram(kernel, {}); }) ==
              "kernel 'k': output name 'x' is already used by an input or output");
    }
    SECTION("a weight of a type MILBlob cannot hold") {
        ir::Kernel kernel;
        kernel.name = "k";
        ir::Value* x = kernel.addInput("x", {ir::DType::Fp16, {1}});
        ir::Builder b(kernel);
        auto mask =
            std::make_shared<ir::ConstData>(ir::ConstData::splat({ir::DType::Bool, {1}}, 1));
        mask->blobName = "M";
        ir::Value* m = b.createConst(mask, {}, "M");
        kernel.outputs.push_back({"y", need(b.createValue("select", {m, x, x}, {}, {}, "y")), {}});
        CHECK(errorOf([&] { emitProgram(kernel, {}); }) ==
              "kernel 'k': weight 'M' of type bool[1] cannot be stored in a weight blob");
    }
}
