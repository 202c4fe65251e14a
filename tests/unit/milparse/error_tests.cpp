// What the MIL reader reports, word for word, with line and column: syntax errors, unknown ops
// and arguments, types that do not match, undefined names, and every way a weight blob can be
// missing, misaddressed or corrupt (never a crash).
#include "unit/milparse/milparse_test_support.hpp"

#include "support/fp16.hpp"

using namespace anec;
using namespace anec::milparse::test;
using Messages = std::vector<std::string>;

namespace {
// A function body of statements, indented by 8: column numbers below count from there.
std::string body(const std::string& statements) {
    return program("tensor<fp16, [1, 4]> x", statements, "y");
}
} // namespace

TEST_CASE("syntax errors say what was expected, where", "[milparse][errors]") {
    CHECK(errors(body("        tensor<fp16, [1, 4]> y = relu(x = x)[name = string(\"y\")]\n")) ==
          Messages{"4:65: error: expected ';' but found '}'"});
    CHECK(errors(body("        tensor<fp16, [1, 4]> y = relu(x = )[name = string(\"y\")];\n")) ==
          Messages{"4:43: error: expected a variable or a value but found ')'"});
    CHECK(errors(body("        tensor<fp16, [1, 4> y = relu(x = x);\n")) ==
          Messages{"4:27: error: expected ',' or ']' but found '>'"});
    CHECK(errors(body("        tensor<fp16, [1, 4]> true = relu(x = x);\n")) ==
          Messages{"4:30: error: expected a name but found reserved word 'true'"});
    CHECK(errors(body("        tensor<fp16, [1, 4]> y = relu(x = x) $;\n")) ==
          Messages{"4:46: error: unexpected character '$'"});
    CHECK(errors("program(1.3)\n    func main<ios18>() {\n    } -> ();\n}\n") ==
          Messages{"1:13: error: expected '{' but found 'func'"});
    CHECK(errors("program(1.3)\n{\n    func main<ios18>(tensor<fp16, [2]> x) {\n    } -> (x)\n") ==
          Messages{"4:13: error: expected 'func' or '}' but found end of file"});
    // Every broken statement is reported, not just the first.
    CHECK(errors(body("        tensor<fp16, [1, 4]> a = relu(x = x)[name = ];\n"
                      "        tensor<fp16, [1, 4]> y = relu(x = a)(name = string(\"y\"));\n")) ==
          Messages{"4:53: error: expected a variable or a value but found ']'",
                   "5:45: error: expected ';' or '[' but found '('"});
}

TEST_CASE("unterminated strings and bad escapes", "[milparse][errors]") {
    CHECK(errors(body("        tensor<fp16, [1, 4]> y = relu(x = x)[name = string(\"y)];\n")) ==
          Messages{"4:60: error: unterminated string literal"});
    CHECK(
        errors(body("        tensor<fp16, [1, 4]> y = relu(x = x)[name = string(\"a\\qb\")];\n")) ==
        Messages{"4:62: error: unknown escape sequence '\\q' in string literal"});
    CHECK(
        errors(body("        tensor<fp16, [1, 4]> y = relu(x = x)[name = string(\"\\x4\")];\n")) ==
        Messages{"4:61: error: '\\x' needs two hex digits"});
}

TEST_CASE("unknown ops and arguments, missing arguments", "[milparse][errors]") {
    CHECK(errors(body(
              "        tensor<fp16, [1, 4]> y = frobnicate(x = x)[name = string(\"y\")];\n")) ==
          Messages{"4:34: error: unknown op 'frobnicate'"});
    CHECK(errors(body(
              "        tensor<fp16, [1, 4]> y = add(x = x, z = x)[name = string(\"y\")];\n")) ==
          Messages{"4:45: error: 'add' has no argument 'z' (it takes x, y)",
                   "4:34: error: 'add' needs argument 'y'"});
    CHECK(errors(body("        tensor<fp16, [1, 4]> y = add(x = x, x = x, y = x);\n")) ==
          Messages{"4:45: error: argument 'x' of 'add' is given twice"});
    CHECK(errors(body("        tensor<fp16, [1, 4]> y = cast(x = x);\n")) ==
          Messages{"4:34: error: 'cast' needs argument 'dtype'"});
    CHECK(errors(body("        tensor<fp16, [1, 4]> y = const()[name = string(\"y\")];\n")) ==
          Messages{"4:34: error: const needs a value: val = ..."});
}

TEST_CASE("wrong kinds of arguments", "[milparse][errors]") {
    // An attribute bound to a tensor computed at run time.
    CHECK(errors(body("        tensor<fp16, [1, 4]> y = softmax(axis = x, x = x);\n")) ==
          Messages{"4:49: error: argument 'axis' of 'softmax' must be a constant, but 'x' is an "
                   "input"});
    CHECK(errors(body("        tensor<fp16, [1, 4]> r = relu(x = x);\n"
                      "        tensor<fp16, [1, 4]> y = softmax(axis = r, x = x);\n")) ==
          Messages{"5:49: error: argument 'axis' of 'softmax' must be a constant, but 'r' is "
                   "computed by 'relu'"});
    // A constant of the wrong type for the attribute.
    CHECK(errors(body("        tensor<int32, [1]> a = const()[val = tensor<int32, [1]>([1])];\n"
                      "        tensor<fp16, [1, 4]> y = softmax(axis = a, x = x);\n")) ==
          Messages{"5:49: error: argument 'axis' of 'softmax' must be an int32 scalar, got "
                   "tensor<int32, [1]>"});
    CHECK(errors(body("        tensor<fp16, [1, 4]> y = cast(dtype = int32(1), x = x);\n")) ==
          Messages{"4:47: error: argument 'dtype' of 'cast' must be a string, got int32"});
    // A string where a tensor is needed, a tuple where one value is.
    CHECK(errors(body("        string s = const()[val = string(\"a\")];\n"
                      "        tensor<fp16, [1, 4]> y = add(x = x, y = s);\n")) ==
          Messages{"5:49: error: argument 'y' of 'add' takes a tensor, but 's' is a string"});
    CHECK(errors(body("        tensor<fp16, [1, 4]> y = add(x = (x, x), y = x);\n")) ==
          Messages{"4:42: error: argument 'x' of 'add' takes one value, not a tuple"});
    CHECK(errors(body("        tensor<fp16, [1, 4]> y = relu(x = x)[name = int32(3)];\n")) ==
          Messages{"4:53: error: the name of an op must be a string, got int32"});
}

TEST_CASE("declared types must match the inferred ones", "[milparse][errors]") {
    CHECK(errors(body("        tensor<fp16, [1, 8]> y = relu(x = x)[name = string(\"y\")];\n")) ==
          Messages{"4:9: error: declared type tensor<fp16, [1, 8]> of 'y' does not match the type "
                   "tensor<fp16, [1, 4]> inferred for 'relu'"});
    CHECK(errors(body("        tensor<fp32, [1, 4]> y = relu(x = x);\n")) ==
          Messages{"4:9: error: declared type tensor<fp32, [1, 4]> of 'y' does not match the type "
                   "tensor<fp16, [1, 4]> inferred for 'relu'"});
    CHECK(
        errors(body(
            "        tensor<fp16, [1, 4]> y = add(x = x, y = tensor<fp16, [3]>([1, 2, 3]));\n")) ==
        Messages{"4:34: error: cannot add fp16[1,4] and fp16[3]"});
    CHECK(
        errors(body("        tensor<int32, [2]> c = const()[val = tensor<int32, [3]>([1, 2, 3])];\n"
                    "        tensor<fp16, [1, 4]> y = relu(x = x);\n")) ==
        Messages{"4:9: error: 'c' is declared as tensor<int32, [2]> but its value has type "
                 "tensor<int32, [3]>"});
    CHECK(errors(body("        tensor<fp16, [1, 4]> y, tensor<fp16, [1, 4]> z = relu(x = x);\n")) ==
          Messages{"4:9: error: 'relu' produces 1 result, but 2 are declared"});
}

TEST_CASE("bad and unsupported types", "[milparse][errors]") {
    CHECK(errors(program("tensor<bf16, [1, 4]> x",
                         "        tensor<fp16, [1, 4]> y = relu(x = x);\n", "y")) ==
          Messages{"3:22: error: element type 'bf16' is not supported by anec"});
    CHECK(errors(body("        tensor<float, [1, 4]> y = relu(x = x);\n")) ==
          Messages{"4:9: error: unknown type 'float'"});
    CHECK(errors(body("        tensor<fp16> y = relu(x = x);\n")) ==
          Messages{"4:9: error: malformed tensor type 'tensor<fp16>' (expected tensor<ELEMENT, "
                   "[DIMS]>)"});
    CHECK(errors(program("tensor<fp16, [1, ?]> x",
                         "        tensor<fp16, [1, ?]> y = relu(x = x);\n", "y")) ==
          Messages{"3:22: error: dynamic shapes are not supported: input 'x' has type "
                   "tensor<fp16, [1, ?]>"});
    CHECK(errors(program("state<tensor<fp16, [2]>> s",
                         "        tensor<fp16, [1, 4]> y = relu(x = y);\n", "y")) ==
          Messages{"3:22: error: type 'state<tensor<fp16, [2]>>' is not supported",
                   "4:43: error: undefined variable 'y'"});
}

TEST_CASE("literal values out of range or of the wrong shape", "[milparse][errors]") {
    CHECK(errors(body("        fp16 a = const()[val = fp16(70000)];\n"
                      "        fp32 b = const()[val = fp32(1e999)];\n"
                      "        int32 c = const()[val = int32(2147483648)];\n"
                      "        uint8 d = const()[val = uint8(-1)];\n"
                      "        int32 e = const()[val = int32(1.5)];\n"
                      "        bool f = const()[val = bool(1)];\n"
                      "        tensor<int32, [3]> g = const()[val = tensor<int32, [3]>([1, 2])];\n"
                      "        fp16 h = const()[val = fp16([1])];\n"
                      "        tensor<fp16, [1, 4]> y = relu(x = x);\n")) ==
          Messages{"4:37: error: value 70000 is out of range for fp16",
                   "5:37: error: value 1e999 is out of range for fp32",
                   "6:39: error: value 2147483648 is out of range for int32",
                   "7:39: error: value -1 is out of range for uint8",
                   "8:39: error: an int32 value must be an integer, got 1.5",
                   "9:37: error: a bool value must be true or false, got 1",
                   "10:65: error: tensor<int32, [3]> needs 3 values, got 2",
                   "11:37: error: a scalar fp16 needs one value, not a list"});
}

TEST_CASE("undefined variables and redefinitions", "[milparse][errors]") {
    CHECK(errors(body(
              "        tensor<fp16, [1, 4]> y = add(x = x, y = ghost)[name = string(\"y\")];\n")) ==
          Messages{"4:49: error: undefined variable 'ghost'"});
    CHECK(errors(body("        tensor<fp16, [1, 4]> x = relu(x = x);\n"
                      "        tensor<fp16, [1, 4]> y = relu(x = x);\n")) ==
          Messages{"4:30: error: redefinition of 'x'",
                   "3:43: note: previous definition of 'x' is here"});
    CHECK(errors(program("tensor<fp16, [2]> x", "", "y, x, x")) ==
          Messages{"4:11: error: undefined variable 'y'", "4:17: error: 'x' is returned twice"});
    CHECK(errors(program("tensor<fp16, [2]> x", "", "")) ==
          Messages{"4:7: error: function 'main' returns nothing"});
    // A statement with an error defines its result: later uses are not reported again.
    CHECK(errors(body("        tensor<fp16, [1, 4]> a = nope(x = x);\n"
                      "        tensor<fp16, [1, 4]> y = relu(x = a);\n")) ==
          Messages{"4:34: error: unknown op 'nope'"});
}

TEST_CASE("missing weight files and paths outside the model directory", "[milparse][errors]") {
    TempDir dir;
    CHECK(errors(weightProgram("@model_path/weights/missing.bin", "64"), dir.path()) ==
          Messages{at(4, blobColumn(),
                      "weight file 'weights/missing.bin' does not exist (looked "
                      "for '" +
                          (dir.path() / "weights/missing.bin").string() + "')")});
    CHECK(errors(weightProgram("@model_path/../secret.bin", "64"), dir.path()) ==
          Messages{at(4, blobColumn(),
                      "BLOBFILE path '@model_path/../secret.bin' does not name a "
                      "file inside the model directory")});
    CHECK(errors(weightProgram("/etc/passwd", "64"), dir.path()) ==
          Messages{at(4, blobColumn(),
                      "BLOBFILE path '/etc/passwd' must start with "
                      "'@model_path/'")});
    std::filesystem::create_directories(dir / "weights/w.bin");
    CHECK(errors(weightProgram("@model_path/weights/w.bin", "64"), dir.path()) ==
          Messages{at(4, blobColumn(), "weight file 'weights/w.bin' is not a regular file")});
}

TEST_CASE("blob references are validated", "[milparse][errors]") {
    TempDir dir;
    writeFile(dir / "weights/w.bin", weightBlob());
    auto parsed = parseOk(weightProgram("@model_path/weights/w.bin", "64"), dir.path());
    const ir::Op& add = *findOp(*parsed->module->kernels[0], "add");
    CHECK(add.operands[1]->definingOp->constData->toDoubles() == std::vector{1.0, 2.0, 3.0, 4.0});

    // The data offset instead of the metadata offset, an unaligned offset, one past the end.
    CHECK(errors(weightProgram("@model_path/weights/w.bin", "128"), dir.path()) ==
          Messages{at(4, blobColumn(),
                      "weights/w.bin: blob at offset 128: bad sentinel "
                      "0x40003C00 (expected 0xDEADBEEF)")});
    CHECK(errors(weightProgram("@model_path/weights/w.bin", "100"), dir.path()) ==
          Messages{at(4, blobColumn(),
                      "weights/w.bin: blob at offset 100: offset is not a "
                      "multiple of 64")});
    CHECK(errors(weightProgram("@model_path/weights/w.bin", "0"), dir.path()) ==
          Messages{at(4, blobColumn(),
                      "weights/w.bin: blob at offset 0: offset lies inside the "
                      "64-byte file header")});
    CHECK(errors(weightProgram("@model_path/weights/w.bin", "18446744073709551552"), dir.path()) ==
          Messages{at(4, blobColumn(),
                      "weights/w.bin: blob at offset 18446744073709551552: "
                      "metadata runs past the end of the file (192 bytes)")});
    // A dtype or size that disagrees with the declared type: blob_metadata_tests.cpp.
    std::string boolType = "tensor<bool, [2, 2]>";
    CHECK(errors(weightProgram("@model_path/weights/w.bin", "64", boolType), dir.path()) ==
          Messages{at(4, blobColumn(boolType),
                      "a tensor<bool, [2, 2]> constant cannot be read "
                      "from a weight blob (bool has no MILBlob type)")});
}

TEST_CASE("truncated and corrupt blob files give errors, never a crash", "[milparse][errors]") {
    TempDir dir;
    std::vector<uint8_t> blob = weightBlob();
    std::string program = weightProgram("@model_path/weights/w.bin", "64");

    writeFile(dir / "weights/w.bin", std::vector<uint8_t>(blob.begin(), blob.begin() + 130));
    CHECK(errors(program, dir.path()) ==
          Messages{at(4, blobColumn(),
                      "weights/w.bin: blob at offset 64: 8 bytes of data at "
                      "offset 128 run past the end of the file (130 bytes; "
                      "truncated?)")});
    writeFile(dir / "weights/w.bin", std::vector<uint8_t>(blob.begin(), blob.begin() + 20));
    CHECK(errors(program, dir.path()) ==
          Messages{at(4, blobColumn(),
                      "weights/w.bin: truncated: 20 bytes, but a MILBlob file "
                      "header alone needs 64")});
    std::vector<uint8_t> version = blob;
    version[4] = 7;
    writeFile(dir / "weights/w.bin", version);
    CHECK(
        errors(program, dir.path()) ==
        Messages{at(4, blobColumn(), "weights/w.bin: unsupported MILBlob version 7 (expected 2)")});
    // Without --strict these two are warnings (blob_metadata_tests.cpp).
    std::vector<uint8_t> dtype = blob;
    dtype[68] = 99;
    writeFile(dir / "weights/w.bin", dtype);
    CHECK(errors(program, dir.path(), kStrict) ==
          Messages{at(4, blobColumn(), "weights/w.bin: blob at offset 64: unknown dtype code 99")});
    std::vector<uint8_t> size = blob;
    size[72 + 7] = 0x80; // a size near 2^63
    writeFile(dir / "weights/w.bin", size);
    CHECK(errors(program, dir.path(), kStrict).size() == 1);

    // Every prefix and single-byte corruption of a valid file is handled. The 8 data bytes end
    // at 136; the padding after them may be missing.
    for (size_t length = 0; length <= blob.size(); length += 4) {
        writeFile(dir / "weights/w.bin", std::vector<uint8_t>(blob.begin(), blob.begin() + length));
        auto parsed = parse(program, dir.path());
        CHECK((parsed->module != nullptr) == (length >= 136));
    }
    for (size_t i = 0; i < 128; ++i) {
        std::vector<uint8_t> corrupt = blob;
        corrupt[i] ^= 0xA5;
        writeFile(dir / "weights/w.bin", corrupt);
        parse(program, dir.path()); // must not crash; reserved bytes may be ignored
    }
}

TEST_CASE("a missing weight file is reported once, every other error still", "[milparse][errors]") {
    TempDir dir;
    std::string text =
        program("tensor<fp16, [2]> x",
                "        tensor<fp16, [2]> a = const()[val = tensor<fp16, [2]>(BLOBFILE(path = "
                "string(\"@model_path/w.bin\"), offset = uint64(64)))];\n"
                "        tensor<fp16, [2]> b = const()[val = tensor<fp16, [2]>(BLOBFILE(path = "
                "string(\"@model_path/w.bin\"), offset = uint64(128)))];\n"
                "        tensor<fp16, [2]> y = add(x = a, y = b);\n"
                "        tensor<fp16, [2]> z = nope(x = y);\n",
                "z");
    CHECK(errors(text, dir.path()) ==
          Messages{"4:63: error: weight file 'w.bin' does not exist (looked for '" +
                       (dir.path() / "w.bin").string() + "')",
                   "7:31: error: unknown op 'nope'"});
}

TEST_CASE("constexpr ops anec cannot evaluate, and bad constexpr arguments", "[milparse][errors]") {
    CHECK(errors(body("        tensor<fp16, [4]> w = constexpr_lut_to_dense()[indices = "
                      "tensor<uint8, [1]>([0]), lut = tensor<fp16, [2]>([1, 2]), shape = "
                      "tensor<uint32, [1]>([4])];\n"
                      "        tensor<fp16, [1, 4]> y = relu(x = x);\n")) ==
          Messages{"4:31: error: constexpr op 'constexpr_lut_to_dense' is not supported (anec "
                   "evaluates constexpr_affine_dequantize and constexpr_cast)"});
    CHECK(errors(body("        tensor<fp16, [2, 3]> w = constexpr_affine_dequantize()[axis = "
                      "int32(0), quantized_data = tensor<int8, [2, 3]>([1, 2, 3, 4, 5, 6]), scale "
                      "= tensor<fp16, [3]>([1, 2, 3]), zero_point = int8(0)];\n"
                      "        tensor<fp16, [1, 4]> y = relu(x = x);\n")) ==
          Messages{"4:34: error: constexpr_affine_dequantize: scale tensor<fp16, [3]> must be a "
                   "scalar or have 2 values (one per slice of quantized_data tensor<int8, [2, 3]> "
                   "along axis)"});
    CHECK(errors(body("        tensor<fp32, [2]> w = constexpr_cast(source_val = "
                      "tensor<fp16, [2]>([1, 2]))[name = string(\"w\")];\n"
                      "        tensor<fp16, [1, 4]> y = relu(x = x);\n")) ==
          Messages{"4:31: error: 'constexpr_cast' needs argument 'output_dtype'"});
}

TEST_CASE("deep nesting and absurd sizes are errors, not crashes", "[milparse][errors]") {
    std::string lists(5000, '[');
    CHECK(errors(body("        tensor<int32, [1]> a = const()[val = tensor<int32, [1]>(" + lists +
                      "1" + std::string(5000, ']') + ")];\n")) ==
          Messages{"4:258: error: MIL text is nested too deeply (more than 200 levels)"});
    CHECK(errors(body("        tensor<int32, [1]> a = add(x = " + std::string(5000, '(') + "x" +
                      std::string(5000, ')') + ");\n"))
              .size() == 1);
    CHECK(errors(body("        tensor<fp16, [99999999999999999999]> a = relu(x = x);\n")) ==
          Messages{"4:23: error: dimension 99999999999999999999 is too large"});
    CHECK(errors(program("tensor<fp16, [4294967296, 4294967296]> x",
                         "        tensor<fp16, [1, 4]> y = relu(x = x);\n", "y")) ==
          Messages{"3:22: error: input 'x' of type tensor<fp16, [4294967296, 4294967296]> has too "
                   "many elements"});
    CHECK(errors(body("        tensor<fp16, [4294967296, 4294967296]> w = const()[val = "
                      "tensor<fp16, [4294967296, 4294967296]>([1])];\n"
                      "        tensor<fp16, [1, 4]> y = relu(x = x);\n")) ==
          Messages{"4:66: error: type tensor<fp16, [4294967296, 4294967296]> has too many "
                   "elements"});
    CHECK(errors(body("        tensor<fp16, [65536, 65536]> w = const()[val = "
                      "tensor<fp16, [65536, 65536]>([1])];\n"
                      "        tensor<fp16, [1, 4]> y = relu(x = x);\n")) ==
          Messages{"4:85: error: tensor<fp16, [65536, 65536]> needs 4294967296 values, got 1"});
}

TEST_CASE("mangled MIL text never crashes the reader", "[milparse][errors]") {
    TempDir dir;
    writeFile(dir / "weights/w.bin", weightBlob());
    const std::string valid = weightProgram("@model_path/weights/w.bin", "64");
    REQUIRE(parse(valid, dir.path())->module != nullptr);
    const std::string pieces[] = {
        "(", ")",  "[",  "]",    "{",      "}",        ",",     ";", "=",  "<",    ">",  "\"", "-",
        "?", "0x", "1e", "fp16", "tensor", "BLOBFILE", "const", "x", "\\", "\xff", "//", "\n"};
    uint64_t state = 12345;
    auto next = [&](uint64_t bound) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return static_cast<size_t>((state >> 33) % bound);
    };
    for (int round = 0; round < 400; ++round) {
        std::string text = valid;
        for (int edit = 0, edits = 1 + static_cast<int>(next(4)); edit < edits; ++edit) {
            size_t at = next(text.size());
            switch (next(3)) {
            case 0:
                text.erase(at, 1 + next(8));
                break;
            case 1:
                text.insert(at, pieces[next(std::size(pieces))]);
                break;
            default:
                text[at] = static_cast<char>(next(256));
                break;
            }
        }
        auto parsed = parse(text, dir.path());
        if (parsed->module == nullptr) CHECK(parsed->diagnostics.errorCount() > 0);
    }
}
