// The fp32 SGEMM training step of the benchmark (bench/tiny_step_fp32.hpp) against the float64
// training reference (llama_training_reference.hpp): same loss, same gradients, and its AdamW
// update and clipping are the reference's formulas.
//
// Tolerance. fp32 rounds at 6e-8 relative; through two layers of a dim-16 model the gradients
// stay within 4.4e-7 of each tensor's max |grad| (measured), so 1e-4 leaves a wide margin while
// wrong ops move them by far more: measured, rotating the query gradient forward instead of
// back through RoPE 1.4, dropping the softmax reverse's row sum 2.3 (of max |grad|).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "bench/tiny_step_fp32.hpp"
#include "llama_training_reference.hpp"

namespace lt = anec::test::llama_train;
using anec::bench::TinyAdamW;
using anec::bench::TinyConfig;
using anec::bench::TinyStepFp32;

namespace {

const lt::Config kConfig{16, 24, 2, 2, 19, 6};
const TinyConfig kTiny{16, 24, 2, 2, 19, 6};
const int kBatch = 3;
// Repeated tokens (2, 5, 11) and unused ones.
const std::vector<int> kTokens{2, 5, 2, 11, 0, 5, 11, 11, 3, 7, 2, 9, 14, 5, 5, 1, 18, 2};
const std::vector<int> kTargets{5, 2, 11, 0, 5, 11, 11, 3, 7, 2, 9, 14, 5, 5, 1, 18, 2, 6};

std::vector<int32_t> ints(const std::vector<int>& v) {
    return {v.begin(), v.end()};
}

// Random parameters rounded to fp32, so both implementations start from the same values.
lt::Params fp32Params(uint64_t seed) {
    lt::Params p = lt::randomParams(kConfig, seed);
    for (auto& [name, values] : lt::named(p))
        for (double& x : *values)
            x = static_cast<float>(x);
    return p;
}

TinyStepFp32::NamedParams toFloat(const lt::Params& p) {
    TinyStepFp32::NamedParams out;
    for (const auto& [name, values] : lt::named(p))
        out.push_back({name, std::vector<float>(values->begin(), values->end())});
    return out;
}

// The fp32 step's last gradients as a reference Params.
lt::Params gradients(const TinyStepFp32& step) {
    lt::Params g = lt::zeros(kConfig);
    for (auto& [name, values] : lt::named(g)) {
        const std::vector<float>& src = step.grad(name);
        values->assign(src.begin(), src.end());
    }
    return g;
}

// The worst |a - b| of a tensor relative to max |b| over that tensor, over all tensors.
double worstRelative(const lt::Params& a, const lt::Params& b, const char* what) {
    auto x = lt::named(a);
    auto y = lt::named(b);
    double worst = 0;
    for (size_t k = 0; k < x.size(); ++k) {
        double top = 0, err = 0;
        for (size_t i = 0; i < y[k].second->size(); ++i) {
            top = std::max(top, std::abs((*y[k].second)[i]));
            err = std::max(err, std::abs((*x[k].second)[i] - (*y[k].second)[i]));
        }
        INFO(what << " " << x[k].first);
        REQUIRE(top > 0);
        worst = std::max(worst, err / top);
    }
    return worst;
}

} // namespace

TEST_CASE("fp32 step: loss and gradients match the float64 reference", "[models]") {
    lt::Params p = fp32Params(5), ref;
    double refLoss = lt::lossAndGradients(kConfig, p, kTokens, kTargets, kBatch, ref);
    TinyStepFp32 step(kTiny, toFloat(p));
    // A different batch first: the activations are reallocated for the second call.
    std::vector<int> one(kTokens.begin(), kTokens.begin() + kConfig.seq);
    std::vector<int> oneTargets(kTargets.begin(), kTargets.begin() + kConfig.seq);
    step.lossAndGradients(ints(one), ints(oneTargets), 1);
    float loss = step.lossAndGradients(ints(kTokens), ints(kTargets), kBatch);
    CHECK(std::abs(loss - refLoss) <= 1e-4 * refLoss);
    double worst = worstRelative(gradients(step), ref, "gradient");
    std::printf("fp32 step: loss %.7f vs %.7f, worst gradient error %.2e of max |grad|\n", loss,
                refLoss, worst);
    CHECK(worst <= 1e-4);
    CHECK(step.lastGradNorm() == Approx(lt::globalNorm(ref)).epsilon(1e-4));
    // Unused tokens keep an exactly zero embedding gradient.
    for (int i = 0; i < kConfig.dim; ++i)
        CHECK(step.grad("tok_embeddings")[4 * kConfig.dim + i] == 0.0f);
}

TEST_CASE("fp32 step: the comparison catches a wrong gradient", "[models]") {
    // The reference gradients of different targets are a plausible but wrong gradient.
    lt::Params p = fp32Params(5), ref, wrong;
    lt::lossAndGradients(kConfig, p, kTokens, kTargets, kBatch, ref);
    std::vector<int> shifted = kTargets;
    std::rotate(shifted.begin(), shifted.begin() + 1, shifted.end());
    lt::lossAndGradients(kConfig, p, kTokens, shifted, kBatch, wrong);
    TinyStepFp32 step(kTiny, toFloat(p));
    step.lossAndGradients(ints(kTokens), ints(shifted), kBatch);
    CHECK(worstRelative(gradients(step), wrong, "gradient") <= 1e-4);
    CHECK(worstRelative(gradients(step), ref, "gradient") > 1e-2);
}

TEST_CASE("fp32 step: the AdamW update is the reference's formula", "[models]") {
    lt::Params p = fp32Params(9);
    TinyStepFp32 step(kTiny, toFloat(p));
    lt::Params m = lt::zerosLike(p), v = lt::zerosLike(p);
    lt::AdamWOptions options{1e-2, 0.9, 0.95, 1e-8, 0.1};
    TinyAdamW tiny{1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f};
    for (int t = 1; t <= 3; ++t) {
        step.step(ints(kTokens), ints(kTargets), kBatch, tiny, t);
        // The reference update applied to the fp32 step's own gradients.
        lt::adamwStep(p, gradients(step), m, v, t, options);
        for (const auto& [name, values] : lt::named(static_cast<const lt::Params&>(p))) {
            INFO(name << " after step " << t);
            const std::vector<float>& got = step.param(name);
            for (size_t i = 0; i < values->size(); ++i)
                REQUIRE(std::abs(got[i] - (*values)[i]) <=
                        1e-6 * std::max(1.0, std::abs((*values)[i])));
        }
    }
    // Steps count from 1 (the bias corrections divide by 1 - beta^t).
    CHECK_THROWS_AS(step.step(ints(kTokens), ints(kTargets), kBatch, tiny, 0),
                    std::invalid_argument);
}

TEST_CASE("fp32 step: clipping is clip_grad_norm_", "[models]") {
    lt::Params p = fp32Params(13), ref;
    lt::lossAndGradients(kConfig, p, kTokens, kTargets, kBatch, ref);
    double norm = lt::globalNorm(ref);
    lt::clipByGlobalNorm(ref, norm / 4);
    TinyStepFp32 step(kTiny, toFloat(p));
    TinyAdamW tiny{1e-3f};
    tiny.maxGradNorm = static_cast<float>(norm / 4);
    step.step(ints(kTokens), ints(kTargets), kBatch, tiny, 1);
    CHECK(step.lastGradNorm() == Approx(norm).epsilon(1e-4)); // before clipping
    CHECK(worstRelative(gradients(step), ref, "clipped gradient") <= 1e-4);
    CHECK(lt::globalNorm(gradients(step)) == Approx(norm / 4).epsilon(1e-4));
    // A limit above the norm leaves the gradients alone.
    TinyStepFp32 loose(kTiny, toFloat(p));
    tiny.maxGradNorm = static_cast<float>(norm * 2);
    loose.step(ints(kTokens), ints(kTargets), kBatch, tiny, 1);
    CHECK(lt::globalNorm(gradients(loose)) == Approx(norm).epsilon(1e-4));
}

TEST_CASE("fp32 step: three AdamW steps follow the float64 reference's losses", "[models]") {
    lt::Params p = fp32Params(21), m = lt::zerosLike(p), v = lt::zerosLike(p), g;
    TinyStepFp32 step(kTiny, toFloat(p));
    for (int t = 1; t <= 3; ++t) {
        double refLoss = lt::lossAndGradients(kConfig, p, kTokens, kTargets, kBatch, g);
        lt::clipByGlobalNorm(g, 1.0);
        lt::adamwStep(p, g, m, v, t, {3e-3, 0.9, 0.999, 1e-8, 0.01});
        TinyAdamW tiny{3e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 1.0f};
        float loss = step.step(ints(kTokens), ints(kTargets), kBatch, tiny, t);
        INFO("step " << t);
        CHECK(std::abs(loss - refLoss) <= 1e-4 * refLoss);
    }
    // The training lowers the loss on the batch it trains on.
    lt::Params unused;
    double before = lt::meanLoss(kConfig, fp32Params(21), kTokens, kTargets, kBatch);
    CHECK(lt::lossAndGradients(kConfig, p, kTokens, kTargets, kBatch, unused) < before);
}

TEST_CASE("fp32 step: parameters are taken by name in the documented order", "[models]") {
    std::vector<std::string> names = TinyStepFp32::names(2);
    REQUIRE(names.size() == 21);
    CHECK(names.front() == "tok_embeddings");
    CHECK(names[1] == "attention_norm_0");
    CHECK(names[9] == "w3_0");
    CHECK(names[19] == "norm");
    CHECK(names.back() == "output");
    lt::Params p = fp32Params(1);
    std::vector<std::string> refNames;
    for (const auto& [name, values] : lt::named(p))
        refNames.push_back(name);
    CHECK(names == refNames);

    TinyStepFp32::NamedParams swapped = toFloat(p);
    std::swap(swapped[2], swapped[3]);
    CHECK_THROWS_AS(TinyStepFp32(kTiny, swapped), std::invalid_argument);
    TinyStepFp32::NamedParams shortened = toFloat(p);
    shortened[5].second.pop_back();
    CHECK_THROWS_AS(TinyStepFp32(kTiny, shortened), std::invalid_argument);
    TinyStepFp32 step(kTiny, toFloat(p));
    CHECK(step.param("wo_1") == std::vector<float>(p.layers[1].wo.begin(), p.layers[1].wo.end()));
    CHECK_THROWS_AS(step.param("wx_0"), std::invalid_argument);
    CHECK_THROWS_AS(step.lossAndGradients({1, 2}, {2, 3}, 1), std::invalid_argument);
}
