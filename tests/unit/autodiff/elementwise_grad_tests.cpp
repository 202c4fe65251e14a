// Gradient checks of the elementwise ops' VJPs against float64 central differences.
#include "gradcheck.hpp"

namespace anec::test {
namespace {
ir::TensorType f32(ir::Shape shape) {
    return {ir::DType::Fp32, std::move(shape)};
}
} // namespace

TEST_CASE("add: the cotangent summed back to each broadcast operand", "[autodiff][grad]") {
    checkOpGradient("add", {{"x", f32({2, 3, 4})}, {"y", f32({3, 1})}});
    checkOpGradient("add", {{"x", f32({1, 4})}, {"y", f32({})}});
    checkOpGradient("add", {{"x", f32({2, 1, 3})}, {"y", f32({4, 1})}});
}

} // namespace anec::test
