// Compiles a small .ane kernel from a string with the C++ API, runs it on known inputs and
// checks the outputs. Exit status 0 when every value is as expected.
#include <cmath>
#include <cstdio>
#include <vector>

#include <anec/anec.hpp>

namespace {

const char* kSource = R"(
const N = 4
weight W: fp16[N, N] = ones()
kernel mix(x: fp32[1, N, 1, 2], bias: fp16[1, N, 1, 1]) -> (y: fp32[1, N, 1, 2], total: fp16[1, N, 1, 2]) {
    y = x * 0.5 + 2
    total = linear(x, W) + bias
}
)";

} // namespace

int main() {
    try {
        anec::Program program = anec::Program::compile(kSource, {}, "mix.ane");
        for (const anec::KernelInfo& kernel : program.kernels()) {
            std::printf("kernel %s\n", kernel.name.c_str());
            for (const anec::TensorInfo& input : kernel.inputs)
                std::printf("  input  %s: %s, %zu bytes\n", input.name.c_str(),
                            std::string(anec::dtypeName(input.dtype)).c_str(), input.byteSize());
            for (const anec::TensorInfo& output : kernel.outputs)
                std::printf("  output %s: %s, %zu bytes\n", output.name.c_str(),
                            std::string(anec::dtypeName(output.dtype)).c_str(), output.byteSize());
        }

        // x[c, s] = c + s / 2 (channel-major [1, 4, 1, 2]); bias = 10, 20, 30, 40.
        std::vector<float> x{0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5};
        anec::Tensor bias =
            anec::Tensor::fromFloats({10, 20, 30, 40}, {1, 4, 1, 1}, anec::DType::Float16);
        anec::Kernel kernel = program.prepare("mix");
        auto outputs = kernel.run({{"x", anec::TensorView(x, {1, 4, 1, 2})}, {"bias", bias}});

        std::vector<float> y = outputs.at("y").toFloats();
        std::vector<float> total = outputs.at("total").toFloats();
        int wrong = 0;
        for (int c = 0; c < 4; ++c)
            for (int s = 0; s < 2; ++s) {
                int i = c * 2 + s;
                // linear() with an all-ones W sums x over the channels at each position.
                float columnSum = 0;
                for (int k = 0; k < 4; ++k)
                    columnSum += x[k * 2 + s];
                float expectedY = x[i] * 0.5f + 2;
                float expectedTotal = columnSum + 10.0f * static_cast<float>(c + 1);
                std::printf("y[%d]=%g total[%d]=%g\n", i, y[i], i, total[i]);
                if (y[i] != expectedY || total[i] != expectedTotal) ++wrong;
            }

        // Errors are exceptions carrying the compiler's full diagnostics.
        try {
            anec::Program::compile("kernel k(x: fp16[2]) -> (y: fp16[2]) { y = x + nope }", {},
                                   "bad.ane");
            ++wrong;
        } catch (const anec::Error& e) {
            std::printf("expected error (code %d):\n%s", static_cast<int>(e.code()), e.what());
        }
        if (wrong != 0) {
            std::printf("embed_cpp: %d wrong values\n", wrong);
            return 1;
        }
        std::printf("embed_cpp: ok (backend %s)\n", kernel.backendName().c_str());
        return 0;
    } catch (const anec::Error& e) {
        std::fprintf(stderr, "embed_cpp: %s\n", e.what());
        return 1;
    }
}
