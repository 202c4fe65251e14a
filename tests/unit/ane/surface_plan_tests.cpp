// The surface plan: binding order, one allocation size per direction, the 49,152-byte minimum,
// alignment, and data packed at byte 0 with the rest zero.
#include <catch2/catch.hpp>

#include "runtime/ane/surface_plan.hpp"

using namespace anec;
using namespace anec::runtime;
using namespace anec::runtime::ane;

namespace {
ir::TensorType fp16(int64_t c, int64_t s) {
    return ir::TensorType{ir::DType::Fp16, {1, c, 1, s}};
}

std::vector<std::string> names(const std::vector<SurfaceBinding>& bindings) {
    std::vector<std::string> out;
    for (const SurfaceBinding& b : bindings)
        out.push_back(b.name);
    return out;
}
} // namespace

TEST_CASE("surface plan: bound in byte-wise alphabetical order of the names", "[ane][plan]") {
    SurfacePlan plan = planSurfaces({{"x", fp16(8, 8)}, {"B", fp16(8, 8)}, {"a", fp16(8, 8)}},
                                    {{"z", fp16(8, 8)}, {"y_2", fp16(8, 8)}, {"y", fp16(8, 8)}});
    // Upper case sorts before lower case; a prefix before its extensions (rules 1, 2).
    CHECK(names(plan.inputs) == std::vector<std::string>{"B", "a", "x"});
    CHECK(names(plan.outputs) == std::vector<std::string>{"y", "y_2", "z"});
    CHECK(plan.inputs[0].declaredIndex == 1);
    CHECK(plan.inputs[2].declaredIndex == 0);
    CHECK(plan.outputs[0].declaredIndex == 2);
}

TEST_CASE("surface plan: one size per direction, at least 49,152 bytes, aligned", "[ane][plan]") {
    // 768 x 64 fp16 = 98,304 bytes; 100 x 333 fp16 = 66,600 bytes.
    SurfacePlan plan = planSurfaces({{"a", fp16(768, 64)}, {"b", fp16(8, 8)}},
                                    {{"c", fp16(100, 333)}, {"d", fp16(1, 1)}});
    CHECK(plan.inputBytes == 98304);
    CHECK(plan.outputBytes == 66624); // 66,600 rounded up to 64
    SurfaceSizes sizes = plan.sizes();
    CHECK(sizes.inputs == std::vector<size_t>{98304, 98304});
    CHECK(sizes.outputs == std::vector<size_t>{66624, 66624});

    SurfacePlan small = planSurfaces({{"x", fp16(1, 1)}}, {{"y", fp16(16, 1)}});
    CHECK(small.inputBytes == kMinSurfaceBytes);
    CHECK(small.outputBytes == 49152);

    SurfacePlan m5 = planSurfaces({{"x", fp16(100, 333)}}, {{"y", fp16(1, 1)}}, 128);
    CHECK(m5.inputBytes == 66688); // 66,600 rounded up to 128
    CHECK(m5.inputBytes % 128 == 0);
    CHECK(planSurfaces({}, {{"y", fp16(1, 1)}}).sizes().inputs.empty());
}

TEST_CASE("surface plan: bad alignment and repeated names are errors", "[ane][plan]") {
    CHECK_THROWS_WITH(planSurfaces({{"x", fp16(1, 1)}}, {}, 96),
                      "surface alignment 96 is not a power of two");
    CHECK_THROWS_WITH(planSurfaces({{"x", fp16(1, 1)}}, {{"x", fp16(1, 1)}}),
                      "'x' names two kernel inputs/outputs");
}

TEST_CASE("surface plan: data at byte 0, the rest zero, and back", "[ane][plan]") {
    Tensor tensor(fp16(2, 3), std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
    std::vector<uint8_t> surface(64, 0xEE);
    writeSurface(surface, tensor.bytes());
    CHECK(std::vector<uint8_t>(surface.begin(), surface.begin() + 12) ==
          std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
    CHECK(std::all_of(surface.begin() + 12, surface.end(), [](uint8_t b) { return b == 0; }));
    Tensor back = readSurface(surface, tensor.type());
    CHECK(back.type() == tensor.type());
    CHECK(std::equal(back.bytes().begin(), back.bytes().end(), tensor.bytes().begin()));

    std::vector<uint8_t> tiny(8);
    CHECK_THROWS_WITH(writeSurface(tiny, tensor.bytes()),
                      "a tensor of 12 bytes does not fit its surface of 8 bytes");
    CHECK_THROWS_WITH(readSurface(tiny, tensor.type()),
                      "a surface of 8 bytes cannot hold fp16[1,2,1,3] (12 bytes)");
}
