// The MIL reader on valid programs in the styles that occur in practice: the seed's spaced
// style, compact hand-written MIL, the older rank-0 spelling, weights packed into one blob file,
// several inputs and outputs, weights sliced out of an input, comments and every literal form.
#include "unit/milparse/milparse_test_support.hpp"

#include <cmath>

#include "ir/verifier.hpp"
#include "support/fp16.hpp"

using namespace anec;
using namespace anec::milparse::test;
namespace fs = std::filesystem;

namespace {
using IntList = std::vector<int64_t>;

template <typename T> const T& attr(const ir::Op& op, const std::string& name) {
    const T* value = op.attr<T>(name);
    INFO("attribute " << name << " of " << op.kind());
    REQUIRE(value != nullptr);
    return *value;
}

std::shared_ptr<ir::ConstData> fp16Tensor(ir::Shape shape, double first, double step) {
    ir::TensorType type{ir::DType::Fp16, std::move(shape)};
    std::vector<double> values(static_cast<size_t>(type.numElements()));
    for (size_t i = 0; i < values.size(); ++i)
        values[i] = first + step * static_cast<double>(i);
    return std::make_shared<ir::ConstData>(ir::ConstData::fromDoubles(type, values));
}

const ir::ConstData& constOf(const ir::Value* value) {
    REQUIRE(value != nullptr);
    REQUIRE(value->definingOp != nullptr);
    REQUIRE(value->definingOp->isConst());
    return *value->definingOp->constData;
}
} // namespace

TEST_CASE("a minimal program parses into one kernel", "[milparse]") {
    auto parsed = parseOk(program("tensor<fp16, [1, 4]> x, tensor<fp16, [1, 4]> y",
                                  "        tensor<fp16, [1, 4]> z = add(x = x, y = y)[name = "
                                  "string(\"sum\")];\n",
                                  "z"));
    const ir::Kernel& kernel = onlyKernel(*parsed);
    CHECK(kernel.name == "main");
    REQUIRE(kernel.inputs.size() == 2);
    CHECK(kernel.inputs[0]->name == "x");
    CHECK(kernel.inputs[1]->type.str() == "fp16[1,4]");
    CHECK(opKinds(kernel) == std::vector<std::string>{"add"});
    const ir::Op& add = *kernel.ops.front();
    CHECK(add.name == "sum");
    CHECK(add.result()->name == "z");
    CHECK(add.operands == std::vector<ir::Value*>{kernel.inputs[0].get(), kernel.inputs[1].get()});
    CHECK(add.loc.line == 4);
    CHECK(add.loc.column == 34);
    REQUIRE(kernel.outputs.size() == 1);
    CHECK(kernel.outputs[0].name == "z");
    CHECK(kernel.outputs[0].value == add.result());
}

TEST_CASE("the seed's style: consts shared as attributes, BLOBFILE weights", "[milparse]") {
    TempDir dir;
    auto w1 = fp16Tensor({8, 4, 1, 1}, -1.0, 1.0 / 16);
    auto w3 = fp16Tensor({8, 4, 1, 1}, 0.5, -1.0 / 64);
    mil::BlobWriter one, three;
    one.add(*w1);
    three.add(*w3);
    writeFile(dir / "weights/w1t.bin", one.bytes());
    writeFile(dir / "weights/w3t.bin", three.bytes());
    std::string text = R"(program(1.3)
[buildInfo = dict<string, string>({{"coremlc-component-MIL", "3510.2.1"}, {"coremlc-version", "3505.4.1"}, {"coremltools-component-milinternal", ""}, {"coremltools-version", "9.0"}})]
{
    func main<ios18>(tensor<fp32, [1, 8, 1, 16]> x) {
        string d1 = const()[name = string("d1"), val = string("fp16")];
        tensor<fp16, [1, 8, 1, 16]> x16 = cast(dtype = d1, x = x)[name = string("cx")];
        tensor<int32, [4]> b1 = const()[name = string("b1"), val = tensor<int32, [4]>([0, 0, 0, 0])];
        tensor<int32, [4]> s1 = const()[name = string("s1"), val = tensor<int32, [4]>([1, 4, 1, 16])];
        tensor<fp16, [1, 4, 1, 16]> dh1 = slice_by_size(x = x16, begin = b1, size = s1)[name = string("sl1")];
        tensor<int32, [4]> b3 = const()[name = string("b3"), val = tensor<int32, [4]>([0, 4, 0, 0])];
        tensor<fp16, [1, 4, 1, 16]> dh3 = slice_by_size(x = x16, begin = b3, size = s1)[name = string("sl3")];
        string pt = const()[name = string("pt"), val = string("valid")];
        tensor<int32, [2]> st = const()[name = string("st"), val = tensor<int32, [2]>([1, 1])];
        tensor<int32, [4]> pd = const()[name = string("pd"), val = tensor<int32, [4]>([0, 0, 0, 0])];
        tensor<int32, [2]> dl = const()[name = string("dl"), val = tensor<int32, [2]>([1, 1])];
        int32 gr = const()[name = string("gr"), val = int32(1)];
        tensor<fp16, [8, 4, 1, 1]> W1t = const()[name = string("W1t"), val = tensor<fp16, [8, 4, 1, 1]>(BLOBFILE(path = string("@model_path/weights/w1t.bin"), offset = uint64(64)))];
        tensor<fp16, [8, 4, 1, 1]> W3t = const()[name = string("W3t"), val = tensor<fp16, [8, 4, 1, 1]>(BLOBFILE(path = string("@model_path/weights/w3t.bin"), offset = uint64(64)))];
        tensor<fp16, [1, 8, 1, 16]> dx1 = conv(dilations = dl, groups = gr, pad = pd, pad_type = pt, strides = st, weight = W1t, x = dh1)[name = string("cv1")];
        tensor<fp16, [1, 8, 1, 16]> dx3 = conv(dilations = dl, groups = gr, pad = pd, pad_type = pt, strides = st, weight = W3t, x = dh3)[name = string("cv3")];
        tensor<fp16, [1, 8, 1, 16]> sum = add(x = dx1, y = dx3)[name = string("ad")];
        string d2 = const()[name = string("d2"), val = string("fp32")];
        tensor<fp32, [1, 8, 1, 16]> y = cast(dtype = d2, x = sum)[name = string("co")];
    } -> (y);
}
)";
    auto parsed = parseOk(text, dir.path());
    const ir::Kernel& kernel = onlyKernel(*parsed);
    // Consts used only as parameters are attributes, not ops; the weights are const ops.
    CHECK(opKinds(kernel) == std::vector<std::string>{"cast", "slice_by_size", "slice_by_size",
                                                      "const", "const", "conv", "conv", "add",
                                                      "cast"});
    const ir::Op& cast = *findOp(kernel, "cast");
    CHECK(attr<std::string>(cast, "dtype") == "fp16");
    CHECK(cast.result()->name == "x16");
    CHECK(cast.name == "cx");
    const ir::Op& slice = *findOp(kernel, "slice_by_size", 1);
    CHECK(attr<IntList>(slice, "begin") == IntList{0, 4, 0, 0});
    CHECK(attr<IntList>(slice, "size") == IntList{1, 4, 1, 16});
    const ir::Op& conv = *findOp(kernel, "conv", 1);
    CHECK(attr<std::string>(conv, "pad_type") == "valid");
    CHECK(attr<int64_t>(conv, "groups") == 1);
    const ir::ConstData& weight = constOf(conv.operands[1]);
    CHECK(weight == *w3);
    CHECK(weight.blobName == "w3t");
    CHECK(conv.operands[1]->name == "W3t");
    CHECK(conv.operands[1]->definingOp->name == "W3t");
    CHECK(kernel.outputs[0].value->type.str() == "fp32[1,8,1,16]");
}

TEST_CASE("compact spelling without spaces", "[milparse]") {
    std::string text =
        "program(1.3)\n{\nfunc main<ios18>(tensor<fp16,[1,4,1,2]> x){\n"
        "tensor<int32,[2]> p=const()[name=string(\"p\"),val=tensor<int32,[2]>([1,1])];\n"
        "tensor<int32,[4]> sh=const()[name=string(\"sh\"),val=tensor<int32,[4]>([1,2,2,2])];\n"
        "tensor<fp16,[1,2,2,2]> r=reshape(x=x,shape=sh)[name=string(\"r\")];\n"
        "tensor<fp16,[1,2,2,2]> m=mul(x=r,y=r)[name=string(\"m\")];\n"
        "}->(m);\n}\n";
    auto parsed = parseOk(text);
    const ir::Kernel& kernel = onlyKernel(*parsed);
    // `p` is never used: it stays a const op (the pipeline removes it).
    CHECK(opKinds(kernel) == std::vector<std::string>{"const", "reshape", "mul"});
    CHECK(attr<IntList>(*findOp(kernel, "reshape"), "shape") == IntList{1, 2, 2, 2});
    CHECK(constOf(kernel.ops.front()->result()).toInts() == IntList{1, 1});
}

TEST_CASE("the older spelling: program(1.0), ios16, tensor<T, []> scalars", "[milparse]") {
    std::string text = R"(program(1.0)
[buildInfo = dict<tensor<string, []>, tensor<string, []>>({{"coremlc-component-MIL", "5.33.5"}, {"coremlc-version", "1877.40.3"}})]
{
    func main<ios16>(tensor<fp32, [1, 3, 1, 5]> x) {
        tensor<string, []> d = const()[name = tensor<string, []>("d"), val = tensor<string, []>("fp16")];
        tensor<fp16, [1, 3, 1, 5]> h = cast(dtype = d, x = x)[name = tensor<string, []>("h")];
        tensor<int32, []> ax = const()[name = tensor<string, []>("ax"), val = tensor<int32, []>(-1)];
        tensor<fp16, [1, 3, 1, 5]> s = softmax(axis = ax, x = h)[name = tensor<string, []>("s")];
        tensor<bool, []> keep = const()[name = tensor<string, []>("keep"), val = tensor<bool, []>(true)];
        tensor<int32, [1]> axes = const()[name = tensor<string, []>("axes"), val = tensor<int32, [1]>([3])];
        tensor<fp16, [1, 3, 1, 1]> r = reduce_sum(axes = axes, keep_dims = keep, x = s)[name = tensor<string, []>("r")];
        tensor<fp16, []> half = const()[name = tensor<string, []>("half"), val = tensor<fp16, []>(0.5)];
        tensor<fp16, [1, 3, 1, 1]> out = mul(x = r, y = half)[name = tensor<string, []>("out")];
    } -> (out);
}
)";
    auto parsed = parseOk(text);
    const ir::Kernel& kernel = onlyKernel(*parsed);
    CHECK(opKinds(kernel) ==
          std::vector<std::string>{"cast", "softmax", "reduce_sum", "const", "mul"});
    CHECK(attr<std::string>(*findOp(kernel, "cast"), "dtype") == "fp16");
    CHECK(findOp(kernel, "cast")->name == "h");
    CHECK(attr<int64_t>(*findOp(kernel, "softmax"), "axis") == -1);
    CHECK(attr<bool>(*findOp(kernel, "reduce_sum"), "keep_dims"));
    const ir::ConstData& half = constOf(findOp(kernel, "mul")->operands[1]);
    CHECK(half.type().str() == "fp16");
    CHECK(half.at(0) == 0.5);
}

TEST_CASE("several weights in one blob file at offsets 64, 576, ...", "[milparse]") {
    TempDir dir;
    auto a = fp16Tensor({16, 14}, 0.0, 1.0 / 256); // 448 bytes: the next blob is at 64+64+448
    auto b = fp16Tensor({4, 14}, -2.0, 1.0 / 32);
    ir::ConstData c =
        ir::ConstData::fromDoubles({ir::DType::Fp32, {3}}, std::vector{1.5, -2.0, 8.0});
    mil::BlobWriter writer;
    CHECK(writer.add(*a) == 64);
    CHECK(writer.add(*b) == 576);
    CHECK(writer.add(c) == 768);
    writeFile(dir / "weights/weight.bin", writer.bytes());
    std::string text = R"(program(1.3)
{
    func main<ios18>(tensor<fp16, [4, 16]> x) {
        tensor<fp16, [16, 14]> A = const()[name = string("A"), val = tensor<fp16, [16, 14]>(BLOBFILE(path = string("@model_path/weights/weight.bin"), offset = uint64(64)))];
        tensor<fp16, [4, 14]> B = const()[name = string("B"), val = tensor<fp16, [4, 14]>(BLOBFILE(path = string("@model_path/weights/weight.bin"), offset = uint64(576)))];
        tensor<fp32, [3]> C = const()[name = string("C"), val = tensor<fp32, [3]>(BLOBFILE(path = string("@model_path/weights/weight.bin"), offset = uint64(768)))];
        tensor<fp16, [16, 14]> A2 = const()[name = string("A2"), val = tensor<fp16, [16, 14]>(BLOBFILE(path = string("@model_path/weights/weight.bin"), offset = uint64(0x40)))];
        tensor<fp16, [4, 14]> xa = matmul(x = x, y = A)[name = string("xa")];
        tensor<fp16, [4, 14]> xb = matmul(x = x, y = A2)[name = string("xb")];
        tensor<fp16, [4, 14]> s = add(x = xa, y = xb)[name = string("s")];
        tensor<fp16, [4, 14]> y = add(x = s, y = B)[name = string("y")];
    } -> (y, C);
}
)";
    auto parsed = parseOk(text, dir.path());
    const ir::Kernel& kernel = onlyKernel(*parsed);
    const ir::Op& first = *findOp(kernel, "matmul");
    const ir::Op& second = *findOp(kernel, "matmul", 1);
    CHECK(constOf(first.operands[1]) == *a);
    CHECK(constOf(findOp(kernel, "add", 1)->operands[1]) == *b);
    CHECK(constOf(kernel.outputs[1].value) == c);
    // The same blob read twice is one constant; blob names tell the blobs of the file apart.
    CHECK(first.operands[1]->definingOp->constData == second.operands[1]->definingOp->constData);
    CHECK(constOf(first.operands[1]).blobName == "weight_64");
    CHECK(constOf(findOp(kernel, "add", 1)->operands[1]).blobName == "weight_576");
    CHECK(constOf(kernel.outputs[1].value).blobName == "weight_768");
    // Emitted into one weight file again, the blobs keep their offsets.
    mil::EmitOptions options;
    options.singleWeightFile = true;
    mil::Program again = mil::emitProgram(kernel, options);
    REQUIRE(again.weightFiles.size() == 1);
    CHECK(again.weightFiles[0].bytes == writer.bytes());
}

TEST_CASE("multi-input, multi-output functions and both multi-result spellings", "[milparse]") {
    std::string text = R"(program(1.3)
{
    func main<ios18>(tensor<fp16, [1, 8, 1, 4]> a, tensor<fp16, [1, 8, 1, 4]> b, tensor<fp16, [1, 1, 1, 4]> bias) {
        int32 one = const()[name = string("one"), val = int32(1)];
        tensor<int32, [2]> sizes = const()[name = string("sizes"), val = tensor<int32, [2]>([2, 6])];
        (tensor<fp16, [1, 2, 1, 4]> lo, tensor<fp16, [1, 6, 1, 4]> hi) = split(axis = one, split_sizes = sizes, x = a)[name = string("lo")];
        int32 two = const()[name = string("two"), val = int32(2)];
        tensor<fp16, [1, 4, 1, 4]> p, tensor<fp16, [1, 4, 1, 4]> q = split(axis = one, num_splits = two, x = b)[name = string("pq")];
        bool no = const()[name = string("no"), val = bool(false)];
        tensor<fp16, [1, 12, 1, 4]> cat = concat(axis = one, interleave = no, values = (hi, p, lo))[name = string("cat")];
        tensor<fp16, [1, 4, 1, 4]> shifted = add(x = q, y = bias)[name = string("shifted")];
    } -> (cat, shifted, b);
}
)";
    auto parsed = parseOk(text);
    const ir::Kernel& kernel = onlyKernel(*parsed);
    REQUIRE(kernel.inputs.size() == 3);
    const ir::Op& first = *findOp(kernel, "split");
    REQUIRE(first.results.size() == 2);
    CHECK(first.result(0)->name == "lo");
    CHECK(first.result(1)->name == "hi");
    CHECK(attr<IntList>(first, "split_sizes") == IntList{2, 6});
    const ir::Op& second = *findOp(kernel, "split", 1);
    CHECK(second.result(1)->name == "q");
    CHECK(attr<int64_t>(second, "num_splits") == 2);
    const ir::Op& cat = *findOp(kernel, "concat");
    CHECK(cat.operands ==
          std::vector<ir::Value*>{first.result(1), second.result(0), first.result(0)});
    CHECK_FALSE(attr<bool>(cat, "interleave"));
    REQUIRE(kernel.outputs.size() == 3);
    CHECK(kernel.outputs[0].value == cat.result());
    CHECK(kernel.outputs[2].name == "b");
    CHECK(kernel.outputs[2].value == kernel.inputs[1].get());
}

TEST_CASE("dynamic weights: a matmul whose weights are sliced out of an input", "[milparse]") {
    std::string text = R"(program(1.3)
{
    func main<ios18>(tensor<fp16, [1, 1, 96, 64]> packed) {
        tensor<int32, [4]> xb = const()[name = string("xb"), val = tensor<int32, [4]>([0, 0, 0, 0])];
        tensor<int32, [4]> xs = const()[name = string("xs"), val = tensor<int32, [4]>([1, 1, 32, 64])];
        tensor<fp16, [1, 1, 32, 64]> act = slice_by_size(x = packed, begin = xb, size = xs)[name = string("act")];
        tensor<int32, [4]> wb = const()[name = string("wb"), val = tensor<int32, [4]>([0, 0, 32, 0])];
        tensor<int32, [4]> ws = const()[name = string("ws"), val = tensor<int32, [4]>([1, 1, 64, -1])];
        tensor<fp16, [1, 1, 64, 64]> w = slice_by_size(x = packed, begin = wb, size = ws)[name = string("w")];
        bool tx = const()[name = string("tx"), val = bool(false)];
        bool ty = const()[name = string("ty"), val = bool(true)];
        tensor<fp16, [1, 1, 32, 64]> y = matmul(transpose_x = tx, transpose_y = ty, x = act, y = w)[name = string("mm")];
    } -> (y);
}
)";
    auto parsed = parseOk(text);
    const ir::Kernel& kernel = onlyKernel(*parsed);
    const ir::Op& matmul = *findOp(kernel, "matmul");
    CHECK(matmul.operands[1] == findOp(kernel, "slice_by_size", 1)->result());
    CHECK(attr<bool>(matmul, "transpose_y"));
    CHECK(matmul.result()->type.str() == "fp16[1,1,32,64]");
}

TEST_CASE("program(1.5), comments, function attributes and every literal form", "[milparse]") {
    std::string text = R"(// A hand-written program.
program(1.5) // the M5 generation
[buildInfo = dict<string, string>({{"k", "v \"quoted\" \\ \x41"}}), note = tuple<string, list<int32, ?>>(("a", [1, 2]))]
{
    // one function with attributes
    func main<ios18>(tensor<fp16, [1, 4]> x) [FlexibleShapeInformation = tuple<tuple<string, dict<string, tensor<int32, [?]>>>>((("DefaultShapes", {{"x", [1, 4]}})))] {
        fp16 h = const()[name = string("h"), val = fp16(0x1p-3)];      // 0.125
        fp16 n = const()[name = string("n"), val = fp16(-0x1.8p+1)];   // -3
        fp32 e = const()[name = string("e"), val = fp32(1.5e-3)];
        fp16 big = const()[name = string("big"), val = fp16(inf)];
        fp16 nn = const()[name = string("nn"), val = fp16(-inf)];
        tensor<fp16, [4]> v = const()[name = string("v"), val = tensor<fp16, [4]>([-1, +2.5, .25, 3E0])];
        tensor<int32, [2, 2]> m = const()[name = string("m"), val = tensor<int32, [2, 2]>([[-2147483648, 0x7fffffff], [-0x10, 7]])];
        tensor<fp16, [1, 4]> a = mul(x = x, y = h)[name = string("a")];
        tensor<fp16, [1, 4]> b = add(x = a, y = n)[name = string("b")];
        tensor<fp16, [1, 4]> c = add(x = b, y = v)[name = string("c")];
        tensor<fp16, [1, 4]> d = clip(alpha = nn, beta = big, x = c)[name = string("d")];
    } -> (d, m, e);
}
)";
    auto parsed = parseOk(text);
    const ir::Kernel& kernel = onlyKernel(*parsed);
    CHECK(constOf(findOp(kernel, "mul")->operands[1]).at(0) == 0.125);
    CHECK(constOf(findOp(kernel, "add")->operands[1]).at(0) == -3.0);
    CHECK(constOf(findOp(kernel, "add", 1)->operands[1]).toDoubles() ==
          std::vector<double>{-1, 2.5, 0.25, 3});
    const ir::Op& clip = *findOp(kernel, "clip");
    CHECK(std::isinf(attr<double>(clip, "beta")));
    CHECK(attr<double>(clip, "alpha") < 0);
    CHECK(constOf(kernel.outputs[1].value).toInts() == IntList{-2147483648LL, 2147483647, -16, 7});
    CHECK(constOf(kernel.outputs[2].value).at(0) == static_cast<double>(1.5e-3f));
}

TEST_CASE("inline literal arguments and parameters inside the brackets", "[milparse]") {
    std::string text = R"(program(1.3)
{
    func main<ios18>(tensor<fp16, [1, 4, 3, 3]> x) {
        tensor<fp16, [4, 4, 1, 1]> w = const()[name = string("w"), val = tensor<fp16, [4, 4, 1, 1]>([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])];
        tensor<fp16, [1, 4, 2, 2]> c = conv(weight = w, x = x)[name = string("c"), strides = tensor<int32, [2]>([2, 2]), pad_type = string("same")];
        tensor<fp16, [1, 4, 2, 2]> s = softmax(axis = int32(1), x = c)[name = string("s")];
        tensor<fp16, [1, 4, 2, 2]> y = mul(x = s, y = fp16(0.5))[name = string("y")];
    } -> (y);
}
)";
    auto parsed = parseOk(text);
    const ir::Kernel& kernel = onlyKernel(*parsed);
    CHECK(opKinds(kernel) == std::vector<std::string>{"const", "conv", "softmax", "const", "mul"});
    const ir::Op& conv = *findOp(kernel, "conv");
    CHECK(attr<IntList>(conv, "strides") == IntList{2, 2});
    CHECK(attr<std::string>(conv, "pad_type") == "same");
    CHECK(attr<IntList>(conv, "dilations") == IntList{1, 1}); // the default
    CHECK(attr<int64_t>(*findOp(kernel, "softmax"), "axis") == 1);
    const ir::Value* half = findOp(kernel, "mul")->operands[1];
    CHECK(constOf(half).at(0) == 0.5);
    CHECK(half->name == "y_y");
}

TEST_CASE("bare true and false argument values mean bool(true) and bool(false)", "[milparse]") {
    // Public ANE code writes `transpose_y = true`, in the parentheses and in the brackets.
    std::string text = R"(program(1.3)
{
    func main<ios18>(tensor<fp16, [1, 4, 8]> x, tensor<fp16, [1, 6, 8]> w) {
        tensor<fp16, [1, 4, 6]> m = matmul(transpose_x = false, transpose_y = true, x = x, y = w)[name = string("m")];
        tensor<fp16, [1, 4, 12]> c = concat(axis = int32(2), values = (m, m))[interleave = true, name = string("c")];
        bool flag = const()[name = string("flag"), val = false];
        tensor<fp16, [1, 4, 12]> y = concat(axis = int32(2), interleave = flag, values = (c))[name = string("y")];
    } -> (y);
}
)";
    auto parsed = parseOk(text);
    const ir::Kernel& kernel = onlyKernel(*parsed);
    const ir::Op& matmul = *findOp(kernel, "matmul");
    CHECK(attr<bool>(matmul, "transpose_y"));
    CHECK_FALSE(attr<bool>(matmul, "transpose_x"));
    CHECK(attr<bool>(*findOp(kernel, "concat", 0), "interleave"));
    CHECK_FALSE(attr<bool>(*findOp(kernel, "concat", 1), "interleave"));
    // Where a bool is wrong it is reported like bool(true), at the value.
    CHECK(errors(program("tensor<fp16, [1, 4]> x",
                         "        tensor<fp16, [1, 4]> y = softmax(axis = true, x = x);\n", "y")) ==
          std::vector<std::string>{"4:49: error: argument 'axis' of 'softmax' must be an int32 "
                                   "scalar, got bool"});
}

TEST_CASE("declared result types may leave dimensions open", "[milparse]") {
    auto parsed = parseOk(
        program("tensor<fp16, [2, 3]> x",
                "        tensor<fp16, [?, 3]> y = relu(x = x)[name = string(\"y\")];\n", "y"));
    CHECK(onlyKernel(*parsed).outputs[0].value->type.str() == "fp16[2,3]");
}

TEST_CASE("one kernel per function", "[milparse]") {
    std::string text = R"(program(1.3)
{
    func first<ios18>(tensor<fp16, [2]> x) {
        tensor<fp16, [2]> y = relu(x = x)[name = string("y")];
    } -> (y);
    func second<ios17>(tensor<fp32, [3]> a, tensor<fp32, [3]> b) {
        tensor<fp32, [3]> c = sub(x = a, y = b)[name = string("c")];
    } -> (c);
}
)";
    auto parsed = parseOk(text);
    REQUIRE(parsed->module->kernels.size() == 2);
    CHECK(parsed->module->kernels[0]->name == "first");
    CHECK(parsed->module->kernels[1]->name == "second");
    CHECK(opKinds(*parsed->module->kernels[1]) == std::vector<std::string>{"sub"});
}

TEST_CASE("a program.json beside the MIL names the kernel", "[milparse]") {
    TempDir dir;
    std::string text =
        program("tensor<fp16, [2]> x",
                "        tensor<fp16, [2]> y = relu(x = x)[name = string(\"y\")];\n", "y");
    writeFile(dir / "program.json", std::string(R"({"kernel": "ffn", "opset": "ios18"})"));
    CHECK(onlyKernel(*parseOk(text, dir.path())).name == "ffn");

    writeFile(dir / "program.json", std::string("{not json"));
    auto parsed = parseOk(text, dir.path());
    CHECK(onlyKernel(*parsed).name == "main");
    REQUIRE(parsed->messages().size() == 1);
    CHECK(parsed->messages()[0] == "warning: ignoring '" + (dir / "program.json").string() +
                                       "': it does not name the kernel (\"kernel\": \"name\")");
}

TEST_CASE("parseMilFile reads a file or a program directory", "[milparse]") {
    TempDir dir;
    writeFile(dir / "k/model.mil",
              program("tensor<fp16, [2]> x",
                      "        tensor<fp16, [2]> y = relu(x = x)[name = string(\"y\")];\n", "y"));
    for (const fs::path& path : {dir / "k", dir / "k/model.mil"}) {
        SourceManager sources;
        DiagnosticEngine diagnostics(sources);
        auto module = mil::parseMilFile(path, sources, diagnostics);
        REQUIRE(module != nullptr);
        CHECK(sources.path(1) == (dir / "k/model.mil").string());
    }
    SourceManager sources;
    DiagnosticEngine diagnostics(sources);
    CHECK(mil::parseMilFile(dir / "missing.mil", sources, diagnostics) == nullptr);
    REQUIRE(diagnostics.diagnostics().size() == 1);
    CHECK(diagnostics.diagnostics()[0].message ==
          "cannot open '" + (dir / "missing.mil").string() + "'");
}

TEST_CASE("the IR verifier accepts what the reader builds", "[milparse]") {
    auto parsed = parseOk(
        program("tensor<fp16, [1, 4]> x",
                "        tensor<fp16, [1, 4]> y = sigmoid(x = x)[name = string(\"y\")];\n", "y"));
    DiagnosticEngine verifier(parsed->sources);
    CHECK(ir::verifyModule(*parsed->module, verifier));
}

TEST_CASE("constexpr ops become constants at load time", "[milparse]") {
    TempDir dir;
    std::vector<uint8_t> quantized{0, 1, 2, 255, 254, 128}; // int8: 0, 1, 2, -1, -2, -128
    mil::BlobWriter writer;
    writer.add(mil::BlobDType::Int8, quantized);
    writeFile(dir / "weights/q.bin", writer.bytes());
    std::string text = R"(program(1.3)
{
    func main<ios18>(tensor<fp16, [4, 2]> x) {
        tensor<fp16, [2, 3]> w = constexpr_affine_dequantize()[axis = int32(0), name = string("w"), quantized_data = tensor<int8, [2, 3]>(BLOBFILE(path = string("@model_path/weights/q.bin"), offset = uint64(64))), scale = tensor<fp16, [2]>([0x1p-3, 2]), zero_point = tensor<int8, [2]>([0, -1])];
        tensor<fp16, [4, 3]> y = matmul(x = x, y = w)[name = string("y")];
        tensor<fp32, [2]> c = constexpr_cast(output_dtype = string("fp32"), source_val = tensor<fp16, [2]>([0.5, -3]))[name = string("c")];
    } -> (y, c);
}
)";
    auto parsed = parseOk(text, dir.path());
    const ir::Kernel& kernel = onlyKernel(*parsed);
    CHECK(opKinds(kernel) == std::vector<std::string>{"const", "matmul", "const"});
    const ir::ConstData& w = constOf(findOp(kernel, "matmul")->operands[1]);
    CHECK(w.type().str() == "fp16[2,3]");
    // Row 0: (q - 0) / 8; row 1: (q + 1) * 2.
    CHECK(w.toDoubles() == std::vector<double>{0, 0.125, 0.25, 0, -2, -254});
    CHECK(w.blobName.empty());
    const ir::ConstData& c = constOf(kernel.outputs[1].value);
    CHECK(c.type().str() == "fp32[2]");
    CHECK(c.toDoubles() == std::vector<double>{0.5, -3});
}
