// The seed kernel end to end on the reference backend: the seed's own fp16 weights (MILBlob
// files) go into .npy weights of an .ane kernel, which runs on the seed's x.npy and is compared
// with y_expected.npy (float64 from the fp16 weights and the fp16-rounded input).
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "mil/blob.hpp"
#include "runtime_test_support.hpp"
#include "support/npy.hpp"
#include "unit/temp_dir.hpp"

using namespace anec;
namespace fs = std::filesystem;
using anec::test::TempDir;

namespace {
const fs::path kSeedDir = fs::path(ANEC_SHARED_DIR) / "seeds" / "ffn_w13_bwd";

// The seed blob (fp16 [768, 2048, 1, 1]) as an fp16 [768, 2048] .npy file.
void blobToNpy(const fs::path& blob, const fs::path& npyPath) {
    mil::BlobReader reader = mil::BlobReader::open(blob);
    std::vector<uint64_t> offsets = reader.metadataOffsets();
    REQUIRE(offsets.size() == 1);
    std::span<const uint8_t> data = reader.read(offsets[0], mil::BlobDType::Float16, 768 * 2048);
    npy::Array array{npy::DType::Float16, {768, 2048}, {data.begin(), data.end()}};
    REQUIRE(npy::write(npyPath.string(), array));
}

const char* const kSeedSource = R"(
// The seed program (model.mil) in .ane: its conv weights are W1t and W3t as stored.
weight W1t: fp16[768, 2048] = npy("w1t.npy")
weight W3t: fp16[768, 2048] = npy("w3t.npy")
kernel ffn_w13_bwd(x: fp32[1, 4096, 1, 64]) -> (y: fp32[1, 768, 1, 64]) {
    let dh1 = x[:, 0:2048, :, :]
    let dh3 = x[:, 2048:4096, :, :]
    y = linear(dh1, W1t) + linear(dh3, W3t)
}
)";

struct SeedData {
    std::shared_ptr<const ir::Module> module;
    npy::Array x, yExpected;
};

std::optional<SeedData> loadSeed(const TempDir& dir) {
    for (const char* file : {"weights/w1t.bin", "weights/w3t.bin", "x.npy", "y_expected.npy"})
        if (!fs::exists(kSeedDir / file)) {
            WARN("seed file " << (kSeedDir / file) << " not found: seed test skipped");
            return std::nullopt;
        }
    blobToNpy(kSeedDir / "weights/w1t.bin", dir.path() / "w1t.npy");
    blobToNpy(kSeedDir / "weights/w3t.bin", dir.path() / "w3t.npy");
    auto x = npy::read((kSeedDir / "x.npy").string());
    auto y = npy::read((kSeedDir / "y_expected.npy").string());
    if (!x) FAIL(x.error());
    if (!y) FAIL(y.error());
    REQUIRE(x->typeString() == "float32[1,4096,1,64]");
    REQUIRE(y->typeString() == "float32[1,768,1,64]");
    return SeedData{test::compileModule(kSeedSource, (dir.path() / "seed.ane").string()), *x, *y};
}

struct Errors {
    double maxAbs = 0, maxRel = 0, maxExpected = 0;
};

Errors compare(const runtime::Tensor& actual, const npy::Array& expected) {
    std::vector<double> values = test::toDoubles(actual);
    REQUIRE(static_cast<int64_t>(values.size()) == expected.numElements());
    Errors errors;
    for (size_t i = 0; i < values.size(); ++i) {
        double e = expected.at(static_cast<int64_t>(i));
        errors.maxAbs = std::max(errors.maxAbs, std::fabs(values[i] - e));
        errors.maxRel =
            std::max(errors.maxRel, std::fabs(values[i] - e) / std::max(std::fabs(e), 1e-3));
        errors.maxExpected = std::max(errors.maxExpected, std::fabs(e));
    }
    return errors;
}

runtime::Tensor runSeed(const SeedData& seed, runtime::Precision precision) {
    auto executable =
        runtime::createReferenceBackend(precision)->prepare(seed.module, "ffn_w13_bwd");
    runtime::TensorView x{{ir::DType::Fp32, {1, 4096, 1, 64}}, seed.x.data};
    return executable->run({{"x", x}}).at("y");
}
} // namespace

TEST_CASE("the seed kernel matches y_expected on the reference backend", "[runtime][seed]") {
    TempDir dir;
    auto seed = loadSeed(dir);
    if (!seed) return;
    Errors faithful = compare(runSeed(*seed, runtime::Precision::Fp16Faithful), seed->yExpected);
    Errors exact = compare(runSeed(*seed, runtime::Precision::Float64), seed->yExpected);
    WARN("seed: max |y_expected| " << exact.maxExpected << "; fp16-faithful max abs error "
                                   << faithful.maxAbs << "; float64 max abs error "
                                   << exact.maxAbs);
    // The model rounds three fp16 results per output element (conv, conv, add), each by at
    // most half an fp16 ulp of its magnitude; the two conv partials are of the size of y
    // (|y| < 2^-5 = 0.03125, fp16 ulp 2^-15 below it), and the fp32 accumulation over 2048
    // terms adds ~1e-9. Tolerance: 4 half-ulps at 2^-5, i.e. 2^-14 = 6.1e-5.
    REQUIRE(exact.maxExpected < 0.03125);
    CHECK(faithful.maxAbs <= std::ldexp(1.0, -14));
    CHECK(faithful.maxAbs > 0); // the fp16 model does differ from float64
    // Float64 computes exactly on the same data (fp16 weights, fp16-rounded input); only the
    // fp32 output rounding remains: half an fp32 ulp at 2^-5.
    CHECK(exact.maxAbs <= std::ldexp(1.0, -30));
}
