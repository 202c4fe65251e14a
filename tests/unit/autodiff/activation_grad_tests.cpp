// Gradient checks of the activation ops' VJPs (activation_ops.cpp) against float64 central
// differences, for every attribute combination tested.
#include "gradcheck.hpp"

namespace anec::test {
namespace {
// Random fp32 x in [low, high) of a few shapes, three seeds.
void checkActivation(const std::string& kind, double low, double high,
                     const ir::AttrMap& attrs = {}) {
    for (uint32_t seed : {1u, 2u, 3u})
        for (const ir::Shape& shape : {ir::Shape{}, ir::Shape{9}, ir::Shape{2, 3, 4}}) {
            INFO(kind << " seed " << seed);
            GradTensor x{"x", {ir::DType::Fp32, shape}};
            x.low = low;
            x.high = high;
            checkOpGradient(kind, {x}, attrs, {}, seed);
        }
}
} // namespace

TEST_CASE("relu6, softplus, softsign", "[autodiff][grad]") {
    checkActivation("relu6", -2, 8);
    checkActivation("softplus", -4, 4);
    checkActivation("softsign", -3, 3);
}

TEST_CASE("leaky_relu: slope 1 or alpha", "[autodiff][grad]") {
    for (double alpha : {0.01, 0.2, -0.5, 1.5})
        checkActivation("leaky_relu", -2, 2, {{"alpha", alpha}});
}

TEST_CASE("elu: 1, or alpha * exp(x) below 0", "[autodiff][grad]") {
    for (double alpha : {1.0, 0.5, 2.0})
        checkActivation("elu", -3, 2, {{"alpha", alpha}});
}

TEST_CASE("sigmoid_hard: alpha on the linear part", "[autodiff][grad]") {
    const std::vector<std::pair<double, double>> params = {{0.2, 0.5}, {-0.3, 0.4}, {1, 0}};
    for (const auto& [alpha, beta] : params)
        checkActivation("sigmoid_hard", -4, 4, {{"alpha", alpha}, {"beta", beta}});
}

} // namespace anec::test
