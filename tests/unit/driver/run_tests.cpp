// `anec run` and `anec compare`, in-process through runCli: results checked against values
// computed here, the summary format, random inputs, and one test per error.
#include <catch2/catch.hpp>

#include <cmath>
#include <regex>

#include "support/fp16.hpp"
#include "support/npy.hpp"
#include "unit/driver/test_support.hpp"

using namespace anec::test;
namespace fs = std::filesystem;
using anec::npy::Array;
using anec::npy::DType;

namespace {

// y = x * 2 + 1 on an fp32 input (computed in fp16, returned as fp32) and z = the same on fp16.
const char* kAffine =
    R"(kernel affine(x: fp32[1, 4, 1, 2]) -> (y: fp32[1, 4, 1, 2], z: fp16[1, 4, 1, 2]) {
    let h = cast(x, fp16)
    y = x * 2 + 1
    z = h * 2 + 1
}
)";

const char* kTwoKernels = R"(kernel first(a: fp16[2]) -> (b: fp16[2]) { b = a + 1 }
kernel second(a: fp16[2]) -> (b: fp16[2]) { b = a * 3 }
)";

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

void writeNpy(const fs::path& path, DType dtype, std::vector<int64_t> shape,
              const std::vector<double>& values) {
    auto written =
        anec::npy::write(path.string(), Array::fromDoubles(dtype, std::move(shape), values));
    REQUIRE(written.ok());
}

Array readNpy(const fs::path& path) {
    auto array = anec::npy::read(path.string());
    INFO(path.string() << ": " << (array.ok() ? "" : array.error()));
    REQUIRE(array.ok());
    return *array;
}

std::vector<double> valuesOf(const Array& array) {
    std::vector<double> values;
    for (int64_t i = 0; i < array.numElements(); ++i)
        values.push_back(array.at(i));
    return values;
}

// The fp16 arithmetic of the kernel, done here: every intermediate rounded to fp16.
double half(double value) {
    return anec::halfToFloat(anec::doubleToHalf(value));
}
double affine16(double x) {
    return half(half(half(x) * 2) + 1);
}

// SplitMix64 as documented for --random-inputs (and the language's random()).
struct SplitMix64 {
    uint64_t state;
    uint64_t next() {
        state += 0x9E3779B97F4A7C15ULL;
        uint64_t z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
};

struct RunFixture {
    TempDir dir;
    std::string source;
    RunFixture(const char* text = kAffine) {
        writeFile(dir / "k.ane", text);
        source = (dir / "k.ane").string();
    }
    CliResult run(std::vector<std::string> extra) {
        std::vector<std::string> args{"run", source, "--output-dir", (dir / "out").string()};
        args.insert(args.end(), extra.begin(), extra.end());
        return runAnec(args);
    }
};

const std::vector<double> kExactInputs{-1.5, -0.25, 0, 0.5, 1, 2.75, 100, -3};

} // namespace

TEST_CASE("run writes every output with its declared dtype and the kernel's values", "[run]") {
    RunFixture f;
    writeNpy(f.dir / "x.npy", DType::Float32, {1, 4, 1, 2}, kExactInputs);
    CliResult result = f.run({"--input", "x=" + (f.dir / "x.npy").string()});
    INFO(result.err);
    REQUIRE(result.status == 0);
    Array y = readNpy(f.dir / "out/y.npy");
    Array z = readNpy(f.dir / "out/z.npy");
    CHECK(y.dtype == DType::Float32);
    CHECK(z.dtype == DType::Float16);
    CHECK(y.shape == std::vector<int64_t>{1, 4, 1, 2});
    CHECK(z.shape == std::vector<int64_t>{1, 4, 1, 2});
    std::vector<double> expected;
    for (double x : kExactInputs)
        expected.push_back(2 * x + 1);
    CHECK(valuesOf(y) == expected);
    CHECK(valuesOf(z) == expected);
}

TEST_CASE("run rounds fp32 input data to fp16 and computes in fp16", "[run]") {
    RunFixture f(R"(kernel k(x: fp16[1, 3]) -> (y: fp16[1, 3], w: fp32[1, 3]) {
    y = x * 2 + 1
    w = cast(x * 2 + 1, fp32)
})");
    std::vector<double> inputs{0.1, -0.3337, 1234.567};
    writeNpy(f.dir / "x32.npy", DType::Float32, {1, 3}, inputs);
    writeNpy(f.dir / "x16.npy", DType::Float16, {1, 3}, inputs);
    CliResult from32 = f.run({"--input", "x=" + (f.dir / "x32.npy").string()});
    INFO(from32.err);
    REQUIRE(from32.status == 0);
    std::vector<double> expected;
    for (double x : inputs)
        expected.push_back(affine16(static_cast<float>(x)));
    CHECK(valuesOf(readNpy(f.dir / "out/y.npy")) == expected);
    CHECK(valuesOf(readNpy(f.dir / "out/w.npy")) == expected);

    std::string firstY = readFile(f.dir / "out/y.npy");
    CliResult from16 = f.run({"--input", "x=" + (f.dir / "x16.npy").string()});
    REQUIRE(from16.status == 0);
    CHECK(readFile(f.dir / "out/y.npy") == firstY);
}

TEST_CASE("run prints one summary line per output", "[run]") {
    RunFixture f;
    // 40000 * 2 overflows fp16 to inf; NaN stays NaN: both counted, and left out of min/max/mean.
    std::vector<double> inputs{1, 2, 3, -4, 0.5, 40000, std::nan(""), 0};
    writeNpy(f.dir / "x.npy", DType::Float32, {1, 4, 1, 2}, inputs);
    CliResult result = f.run({"--input", "x=" + (f.dir / "x.npy").string()});
    INFO(result.err);
    REQUIRE(result.status == 0);
    // Finite results: 3 5 7 -7 2 1 -> min -7, max 7, mean 11/6.
    std::string y = "output y: fp32[1,4,1,2] min=-7 max=7 mean=1.833 nan=1 inf=1 -> " +
                    (f.dir / "out" / "y.npy").string() + "\n";
    std::string z = "output z: fp16[1,4,1,2] min=-7 max=7 mean=1.833 nan=1 inf=1 -> " +
                    (f.dir / "out" / "z.npy").string() + "\n";
    CHECK(contains(result.out, y));
    CHECK(contains(result.out, z));
    CHECK(contains(result.out, "ran affine on the reference backend\n"));
    CHECK(contains(result.out, "input x: fp32[1,4,1,2] from " + (f.dir / "x.npy").string()));
}

TEST_CASE("run writes to the current directory by default", "[run]") {
    RunFixture f;
    fs::path previous = fs::current_path();
    fs::current_path(f.dir.path());
    CliResult result = runAnec({"run", f.source, "--random-inputs", "5"});
    fs::current_path(previous);
    INFO(result.err);
    REQUIRE(result.status == 0);
    CHECK(fs::exists(f.dir / "y.npy"));
    CHECK(fs::exists(f.dir / "z.npy"));
}

TEST_CASE("random inputs are deterministic and follow the documented generator", "[run]") {
    RunFixture f(R"(kernel pass(a: fp32[3, 5], b: fp16[7]) -> (ya: fp32[3, 5], yb: fp16[7]) {
    ya = a
    yb = b
})");
    CliResult first = f.run({"--random-inputs", "42"});
    INFO(first.err);
    REQUIRE(first.status == 0);
    CHECK(contains(first.out, "input a: fp32[3,5] random uniform [-1, 1) seed 42"));
    CHECK(contains(first.out, "input b: fp16[7] random uniform [-1, 1) seed 43"));
    std::string ya = readFile(f.dir / "out/ya.npy");
    std::string yb = readFile(f.dir / "out/yb.npy");

    // Input i (declaration order) draws from SplitMix64(seed + i): 2u - 1, rounded to its dtype.
    // `ya = a` passes through fp16 (the precision rule), so it is the fp32 value rounded to fp16.
    SplitMix64 genA{42}, genB{43};
    std::vector<double> expectedA, expectedB;
    for (int i = 0; i < 15; ++i) {
        double u = static_cast<double>(genA.next() >> 11) * 0x1.0p-53;
        expectedA.push_back(half(static_cast<float>(2 * u - 1)));
    }
    for (int i = 0; i < 7; ++i) {
        double u = static_cast<double>(genB.next() >> 11) * 0x1.0p-53;
        expectedB.push_back(half(2 * u - 1));
    }
    CHECK(valuesOf(readNpy(f.dir / "out/ya.npy")) == expectedA);
    CHECK(valuesOf(readNpy(f.dir / "out/yb.npy")) == expectedB);
    for (double value : expectedA)
        CHECK((value >= -1 && value <= 1));

    REQUIRE(f.run({"--random-inputs", "42"}).status == 0);
    CHECK(readFile(f.dir / "out/ya.npy") == ya);
    CHECK(readFile(f.dir / "out/yb.npy") == yb);
    REQUIRE(f.run({"--random-inputs", "7"}).status == 0);
    CHECK(readFile(f.dir / "out/ya.npy") != ya);

    // A given input is used as is; only the others are random (with their own seeds).
    writeNpy(f.dir / "a.npy", DType::Float32, {3, 5}, std::vector<double>(15, 0.25));
    CliResult mixed =
        f.run({"--random-inputs", "42", "--input", "a=" + (f.dir / "a.npy").string()});
    REQUIRE(mixed.status == 0);
    CHECK(valuesOf(readNpy(f.dir / "out/ya.npy")) == std::vector<double>(15, 0.25));
    CHECK(readFile(f.dir / "out/yb.npy") == yb);
}

TEST_CASE("the reference check prints each output's error against float64", "[run]") {
    RunFixture f(R"(kernel k(x: fp32[1, 64]) -> (y: fp32[1, 64]) { y = x * 0.1 + 0.3 })");
    CliResult result = f.run({"--random-inputs", "1", "--reference-check"});
    INFO(result.err);
    REQUIRE(result.status == 0);
    std::regex line(
        R"(check y vs the float64 reference: max abs err=([0-9.e+-]+), relative to max \|ref\|=([0-9.e+-]+): ([0-9.e+-]+); nan=0 inf=0 \(reference: nan=0 inf=0\); 64 elements\n)");
    std::smatch match;
    REQUIRE(std::regex_search(result.out, match, line));
    double maxAbs = std::stod(match[1]);
    // fp16 arithmetic on values below 0.5: errors of a few fp16 ulps (2^-12 near 0.4), not 0.
    CHECK(maxAbs > 0);
    CHECK(maxAbs < 2e-3);
    double maxRef = std::stod(match[2]);
    CHECK(maxRef > 0.3);
    CHECK(std::stod(match[3]) == Approx(maxAbs / maxRef).epsilon(1e-5));
}

TEST_CASE("the reference check counts NaNs and infinities on both sides", "[run]") {
    // In fp16, x * 1000 * 100 overflows for |x| = 1 (to +-inf, and inf - inf is NaN); in float64
    // nothing does (no target: the fp32 outputs stay fp32). The reference is 0 everywhere for d,
    // so max |ref| is 0.
    RunFixture f(R"(kernel k(x: fp16[1, 4]) -> (big: fp32[1, 4], d: fp32[1, 4]) {
    let b = x * 1000 * 100
    big = cast(b, fp32)
    d = cast(b - b, fp32)
}
)");
    writeNpy(f.dir / "x.npy", DType::Float16, {1, 4}, {1, -1, 0.5, 0.25});
    CliResult result = f.run({"-O0", "--target", "none", "--input",
                              "x=" + (f.dir / "x.npy").string(), "--reference-check"});
    INFO(result.err);
    REQUIRE(result.status == 0);
    // The finite elements: 50000 and 25000 lie halfway between fp16 neighbours (32 and 16
    // apart there) and round to even, 49984 and 24992: errors of 16 and 8.
    CHECK(contains(result.out, "check big vs the float64 reference: max abs err=16, relative to "
                               "max |ref|=100000: 0.00016; nan=0 inf=2 (reference: nan=0 inf=0); "
                               "4 elements\n"));
    CHECK(contains(result.out, "check d vs the float64 reference: max abs err=0, relative to max "
                               "|ref|=0: 0; nan=2 inf=0 (reference: nan=0 inf=0); 4 elements\n"));
}

TEST_CASE("a kernel with several outputs and inputs picks inputs by name", "[run]") {
    RunFixture f(R"(kernel sub(a: fp16[4], b: fp16[4]) -> (d: fp16[4]) { d = a - b })");
    writeNpy(f.dir / "a.npy", DType::Float16, {4}, {1, 2, 3, 4});
    writeNpy(f.dir / "b.npy", DType::Float16, {4}, {10, 20, 30, 40});
    CliResult result = f.run({"--input", "b=" + (f.dir / "b.npy").string(), "--input",
                              "a=" + (f.dir / "a.npy").string()});
    INFO(result.err);
    REQUIRE(result.status == 0);
    CHECK(valuesOf(readNpy(f.dir / "out/d.npy")) == std::vector<double>{-9, -18, -27, -36});
}

// ---- errors: exit status 1 and `anec: error: <message>` ----

TEST_CASE("run: a missing input is an error", "[run]") {
    RunFixture f;
    CliResult result = f.run({});
    CHECK(result.status == 1);
    CHECK(contains(result.err, "anec: error: missing input 'x' of kernel 'affine': give --input "
                               "NAME=PATH.npy or --random-inputs SEED"));
    CHECK_FALSE(fs::exists(f.dir / "out/y.npy"));
}

TEST_CASE("run: an unknown input is an error", "[run]") {
    RunFixture f;
    writeNpy(f.dir / "x.npy", DType::Float32, {1, 4, 1, 2}, kExactInputs);
    CliResult result = f.run({"--input", "x=" + (f.dir / "x.npy").string(), "--input",
                              "q=" + (f.dir / "x.npy").string()});
    CHECK(result.status == 1);
    CHECK(contains(result.err, "anec: error: unknown input 'q': kernel 'affine' has inputs 'x'"));
}

TEST_CASE("run: an input given twice is an error", "[run]") {
    RunFixture f;
    CliResult result = f.run({"--input", "x=a.npy", "--input", "x=b.npy"});
    CHECK(result.status == 1);
    CHECK(contains(result.err, "anec: error: input 'x' is given twice (a.npy and b.npy)"));
    CliResult malformed = f.run({"--input", "x.npy"});
    CHECK(malformed.status == 1);
    CHECK(contains(malformed.err, "anec: error: --input expects NAME=PATH.npy, got 'x.npy'"));
}

TEST_CASE("run: a wrong input shape is an error naming the input and both shapes", "[run]") {
    RunFixture f;
    writeNpy(f.dir / "x.npy", DType::Float32, {1, 4, 2}, kExactInputs);
    CliResult result = f.run({"--input", "x=" + (f.dir / "x.npy").string()});
    CHECK(result.status == 1);
    CHECK(contains(result.err, "anec: error: input 'x' ('" + (f.dir / "x.npy").string() +
                                   "'): the file has shape [1,4,2] but the kernel declares "
                                   "fp32[1,4,1,2]"));
}

TEST_CASE("run: unsupported .npy dtypes are errors", "[run]") {
    RunFixture f;
    writeNpy(f.dir / "ints.npy", DType::Int32, {1, 4, 1, 2}, kExactInputs);
    CliResult ints = f.run({"--input", "x=" + (f.dir / "ints.npy").string()});
    CHECK(ints.status == 1);
    CHECK(contains(ints.err, "the file holds int32 data but the kernel declares fp32[1,4,1,2] "
                             "(give float16 or float32)"));
    writeNpy(f.dir / "bools.npy", DType::Bool, {1, 4, 1, 2}, kExactInputs);
    CHECK(contains(f.run({"--input", "x=" + (f.dir / "bools.npy").string()}).err,
                   "the file holds bool data"));

    // int64 (numpy's default integer type) is not a dtype anec reads at all.
    std::string header = "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 4, 1, 2), }";
    header.resize(118 - 1, ' ');
    header += '\n';
    std::string bytes = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(header.size()) +
                        '\0' + header + std::string(64, '\0');
    writeFile(f.dir / "i64.npy", bytes);
    CliResult i64 = f.run({"--input", "x=" + (f.dir / "i64.npy").string()});
    CHECK(i64.status == 1);
    CHECK(contains(i64.err, "anec: error: input 'x' ('" + (f.dir / "i64.npy").string() +
                                "'): unsupported dtype '<i8'"));
}

TEST_CASE("run: an unreadable .npy file is an error", "[run]") {
    RunFixture f;
    CliResult missing = f.run({"--input", "x=" + (f.dir / "nope.npy").string()});
    CHECK(missing.status == 1);
    CHECK(
        contains(missing.err, "input 'x' ('" + (f.dir / "nope.npy").string() + "'): cannot open"));
    writeFile(f.dir / "junk.npy", "this is not numpy");
    CliResult junk = f.run({"--input", "x=" + (f.dir / "junk.npy").string()});
    CHECK(junk.status == 1);
    CHECK(contains(junk.err, "not a .npy file (bad magic)"));
    writeNpy(f.dir / "x.npy", DType::Float32, {1, 4, 1, 2}, kExactInputs);
    std::string truncated = readFile(f.dir / "x.npy");
    writeFile(f.dir / "short.npy", truncated.substr(0, truncated.size() - 5));
    CliResult cut = f.run({"--input", "x=" + (f.dir / "short.npy").string()});
    CHECK(cut.status == 1);
    CHECK(contains(cut.err, "truncated data"));
}

TEST_CASE("run: --kernel is needed with several kernels and must name one", "[run]") {
    RunFixture f(kTwoKernels);
    CliResult none = f.run({"--random-inputs", "1"});
    CHECK(none.status == 1);
    CHECK(contains(none.err, "anec: error: '" + f.source +
                                 "' has 2 kernels (first, second); choose one with --kernel"));
    CliResult unknown = f.run({"--random-inputs", "1", "--kernel", "third"});
    CHECK(unknown.status == 1);
    CHECK(contains(unknown.err, "anec: error: no kernel 'third' in '" + f.source +
                                    "'; its kernels are: first, second"));
    writeNpy(f.dir / "a.npy", DType::Float16, {2}, {1, 2});
    CliResult second = f.run({"--kernel", "second", "--input", "a=" + (f.dir / "a.npy").string()});
    INFO(second.err);
    REQUIRE(second.status == 0);
    CHECK(valuesOf(readNpy(f.dir / "out/b.npy")) == std::vector<double>{3, 6});
}

#ifdef __linux__
TEST_CASE("run: --backend ane on Linux is a clear error", "[run]") {
    RunFixture f;
    CliResult result = f.run({"--random-inputs", "1", "--backend", "ane"});
    CHECK(result.status == 1);
    CHECK(contains(result.err, "anec: error: the ANE backend is not available"));
    CHECK(f.run({"--random-inputs", "1", "--backend", "reference"}).status == 0);
    CHECK(runAnec({"run", f.source, "--backend", "gpu"}).status == 2);
}
#endif

TEST_CASE("run: an output directory that cannot be written is an error", "[run]") {
    RunFixture f;
    writeFile(f.dir / "file", "x");
    CliResult isFile = runAnec(
        {"run", f.source, "--random-inputs", "1", "--output-dir", (f.dir / "file").string()});
    CHECK(isFile.status == 1);
    CHECK(contains(isFile.err, "anec: error: output directory '" + (f.dir / "file").string() +
                                   "' exists and is not a directory"));
    CliResult under = runAnec({"run", f.source, "--random-inputs", "1", "--output-dir",
                               (f.dir / "file" / "sub").string()});
    CHECK(under.status == 1);
    CHECK(contains(under.err, "anec: error: cannot create the output directory '" +
                                  (f.dir / "file" / "sub").string() + "'"));
    // A directory where y.npy cannot be created (it is a directory itself).
    fs::create_directories(f.dir / "out" / "y.npy");
    CliResult blocked = f.run({"--random-inputs", "1"});
    CHECK(blocked.status == 1);
    CHECK(contains(blocked.err, "anec: error: output 'y': cannot create"));
    CHECK(readFile(f.dir / "file") == "x");
}

TEST_CASE("run: errors in the source are reported as diagnostics", "[run]") {
    RunFixture f("kernel k(x: fp16[4]) -> (y: fp16[4]) { y = x + nope }\n");
    CliResult result = f.run({"--random-inputs", "1"});
    CHECK(result.status == 1);
    CHECK(contains(result.err, "k.ane:1:48: error: use of undeclared name 'nope'"));
    CHECK(contains(result.err, "1 error generated."));
    CliResult missing = runAnec({"run", (f.dir / "none.ane").string(), "--random-inputs", "1"});
    CHECK(missing.status == 1);
    CHECK(contains(missing.err, "cannot open"));
}

TEST_CASE("run: -D changes the shapes of a .ane source", "[run]") {
    RunFixture f(R"(const N = 4
kernel k(x: fp16[N]) -> (y: fp16[N]) { y = x * 2 })");
    CliResult result = f.run({"-D", "N=6", "--random-inputs", "1"});
    INFO(result.err);
    REQUIRE(result.status == 0);
    CHECK(readNpy(f.dir / "out/y.npy").shape == std::vector<int64_t>{6});
    CHECK(f.run({"-D", "N", "--random-inputs", "1"}).status == 1);
}

// Needs the MIL reader (issue 4): a directory written by `anec build` runs like its source.
TEST_CASE("running a build output gives the .ane program's outputs", "[run][mil-dir]") {
    RunFixture f(R"(weight W: fp16[8, 8] = random(seed = 3, scale = 0.3)
kernel lin(x: fp32[1, 8, 1, 4]) -> (y: fp32[1, 8, 1, 4]) { y = linear(x, W) * 0.5 }
kernel other(x: fp16[2]) -> (y: fp16[2]) { y = x + 1 })");
    fs::path built = f.dir / "built";
    REQUIRE(runAnec({"build", f.source, "-o", built.string()}).status == 0);

    auto outputOf = [&](std::vector<std::string> args) {
        fs::remove_all(f.dir / "out");
        CliResult result = f.run(args);
        INFO(result.err);
        REQUIRE(result.status == 0);
        return readFile(f.dir / "out/y.npy");
    };
    std::string fromAne = outputOf({"--kernel", "lin", "--random-inputs", "9"});
    f.source = (built / "lin").string();
    CHECK(outputOf({"--random-inputs", "9"}) == fromAne);
    f.source = (built / "lin" / "model.mil").string();
    CHECK(outputOf({"--random-inputs", "9"}) == fromAne);
    f.source = built.string();
    CHECK(outputOf({"--kernel", "lin", "--random-inputs", "9"}) == fromAne);

    CliResult ambiguous = f.run({"--random-inputs", "9"});
    CHECK(ambiguous.status == 1);
    CHECK(contains(ambiguous.err, "holds 2 kernels (lin, other); choose one with --kernel"));
    CliResult unknown = f.run({"--random-inputs", "9", "--kernel", "nope"});
    CHECK(unknown.status == 1);
    CHECK(contains(unknown.err,
                   "no kernel 'nope' in '" + built.string() + "'; its kernels are: lin, other"));
    CliResult defines = f.run({"--random-inputs", "9", "--kernel", "lin", "-D", "N=3"});
    CHECK(defines.status == 1);
    CHECK(contains(defines.err, "apply to .ane sources only"));

    fs::remove_all(built / "other");
    CHECK(outputOf({"--random-inputs", "9"}) == fromAne); // the only kernel left
}

TEST_CASE("run: a directory without programs is an error", "[run]") {
    TempDir dir;
    fs::create_directories(dir / "empty");
    CliResult result = runAnec({"run", (dir / "empty").string(), "--random-inputs", "1"});
    CHECK(result.status == 1);
    CHECK(contains(result.err,
                   "holds neither a model.mil nor kernel directories written by 'anec build'"));
}

// ---- anec compare ----

TEST_CASE("compare reports the errors and checks the tolerance", "[run][compare]") {
    TempDir dir;
    writeNpy(dir / "a.npy", DType::Float32, {2, 2}, {1, 2, 3, 4});
    writeNpy(dir / "b.npy", DType::Float16, {2, 2}, {1, 2, 3, 4.5});
    writeNpy(dir / "c.npy", DType::Float32, {4}, {1, 2, 3, 4});
    std::string a = (dir / "a.npy").string(), b = (dir / "b.npy").string();

    CliResult same = runAnec({"compare", a, a});
    CHECK(same.status == 0);
    CHECK(same.out == "compared 4 elements: max abs err=0 max rel err=0\n"
                      "ok: every element within atol=0.01 rtol=0.01\n");

    CliResult differ = runAnec({"compare", a, b});
    CHECK(differ.status == 1);
    CHECK(differ.out == "compared 4 elements: max abs err=0.5 max rel err=0.111111\n"
                        "FAIL: 1 of 4 elements outside atol=0.01 rtol=0.01\n");
    CHECK(runAnec({"compare", a, b, "--atol", "0.5"}).status == 0);
    CHECK(runAnec({"compare", a, b, "--rtol", "0.12"}).status == 0);
    CHECK(runAnec({"compare", a, b, "--rtol", "0.1"}).status == 1);

    CliResult shapes = runAnec({"compare", a, (dir / "c.npy").string()});
    CHECK(shapes.status == 1);
    CHECK(contains(shapes.err, "anec: error: cannot compare '" + a + "' (float32[2,2]) with '" +
                                   (dir / "c.npy").string() + "' (float32[4]): the shapes differ"));
    CliResult missing = runAnec({"compare", a, (dir / "none.npy").string()});
    CHECK(missing.status == 1);
    CHECK(contains(missing.err, "cannot open"));
    CHECK(runAnec({"compare", a, b, "--atol", "-1"}).status == 1);
}

TEST_CASE("compare treats NaN and infinities strictly", "[run][compare]") {
    TempDir dir;
    double inf = std::numeric_limits<double>::infinity();
    writeNpy(dir / "a.npy", DType::Float32, {3}, {std::nan(""), inf, 1});
    writeNpy(dir / "b.npy", DType::Float32, {3}, {std::nan(""), inf, 1});
    writeNpy(dir / "c.npy", DType::Float32, {3}, {0, -inf, 1});
    std::string a = (dir / "a.npy").string();
    CHECK(runAnec({"compare", a, (dir / "b.npy").string()}).status == 0);
    CliResult differ = runAnec({"compare", a, (dir / "c.npy").string(), "--atol", "1e30"});
    CHECK(differ.status == 1);
    CHECK(contains(differ.out, "max abs err=inf"));
    CHECK(contains(differ.out, "FAIL: 2 of 3 elements"));
}

TEST_CASE("run and compare have help texts", "[run]") {
    CliResult run = runAnec({"run", "--help"});
    CHECK(run.status == 0);
    for (const char* option : {"--kernel", "--input", "--random-inputs", "--output-dir",
                               "--backend", "--reference-check", "-D,--define"})
        CHECK(contains(run.out, option));
    CliResult compare = runAnec({"compare", "--help"});
    CHECK(compare.status == 0);
    CHECK(contains(compare.out, "--atol"));
    CHECK(contains(compare.out, "--rtol"));
    CHECK(runAnec({"run"}).status == 2);
    CHECK(runAnec({"compare", "a.npy"}).status == 2);
    CHECK(runAnec({"run", "k.ane", "--random-inputs", "-3"}).status == 2);
}
