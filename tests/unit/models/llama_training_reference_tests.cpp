// The float64 training reference (llama_training_reference.hpp) checked on its own terms: its
// forward is llama_reference.hpp's, its hand-derived gradients agree with central finite
// differences, and its optimizers, clipping and schedule give the values computed by hand.
//
// Finite differences. Central differences with h = 1e-5 * max(|p|, 0.1) have truncation error
// O(h^2) and rounding error O(eps_64 / h), both far below 1e-6 of a tensor's largest gradient;
// measured, the worst entry of any tensor differs by 2.5e-8 of that tensor's max |grad| (wk_0;
// the others 3e-10 to 2.4e-8), 40x inside the tolerance. Every entry of every tensor is
// checked, and the same check is shown to reject a gradient off by 1% in one entry; real
// mistakes are far larger (measured: RoPE not inverted in the backward 2.0, rmsnorm's inv^3
// as inv^2 0.31, silu' as sigmoid 0.26, of max |grad|).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "llama_reference.hpp"
#include "llama_training_reference.hpp"

namespace lt = anec::test::llama_train;

namespace {

const lt::Config kConfig{8, 12, 2, 2, 11, 5};
const int kBatch = 2;
// Tokens 3 and 7 repeat (their embedding rows accumulate); 4, 5, 6, 8, 10 are unused.
const std::vector<int> kTokens{3, 7, 3, 1, 3, 9, 0, 7, 7, 2};
const std::vector<int> kTargets{7, 3, 1, 3, 9, 0, 7, 7, 2, 10};

constexpr double kTolerance = 1e-6; // of the tensor's max |grad|

struct TensorCheck {
    std::string name;
    std::vector<double> analytic, numeric;
    double maxGrad = 0;
};

// Central differences of the mean loss for every entry of every tensor.
std::vector<TensorCheck> finiteDifferences(const lt::Params& p, const lt::Params& grads) {
    std::vector<TensorCheck> checks;
    lt::Params probe = p;
    auto probes = lt::named(probe);
    auto analytic = lt::named(grads);
    for (size_t k = 0; k < probes.size(); ++k) {
        TensorCheck check{probes[k].first, *analytic[k].second, {}, 0};
        std::vector<double>& values = *probes[k].second;
        for (size_t i = 0; i < values.size(); ++i) {
            double saved = values[i], h = 1e-5 * std::max(std::abs(saved), 0.1);
            values[i] = saved + h;
            double up = lt::meanLoss(kConfig, probe, kTokens, kTargets, kBatch);
            values[i] = saved - h;
            double down = lt::meanLoss(kConfig, probe, kTokens, kTargets, kBatch);
            values[i] = saved;
            check.numeric.push_back((up - down) / (2 * h));
            check.maxGrad = std::max(check.maxGrad, std::abs(check.analytic[i]));
        }
        checks.push_back(std::move(check));
    }
    return checks;
}

// The worst |numeric - analytic| over the tensor in units of the tolerance: <= 1 passes.
double worstError(const TensorCheck& c, const std::vector<double>& analytic) {
    double worst = 0;
    for (size_t i = 0; i < analytic.size(); ++i)
        worst = std::max(worst, std::abs(c.numeric[i] - analytic[i]));
    return worst / (kTolerance * c.maxGrad);
}

size_t argmaxAbs(const std::vector<double>& v) {
    return static_cast<size_t>(
        std::max_element(v.begin(), v.end(),
                         [](double a, double b) { return std::abs(a) < std::abs(b); }) -
        v.begin());
}

const std::vector<TensorCheck>& checks() {
    static const std::vector<TensorCheck> result = [] {
        lt::Params p = lt::randomParams(kConfig, 7), grads;
        lt::lossAndGradients(kConfig, p, kTokens, kTargets, kBatch, grads);
        return finiteDifferences(p, grads);
    }();
    return result;
}

// A Params holding only a 2-element embedding (rank 2, decayed) and a 2-element final norm
// (rank 1, never decayed): enough to check the optimizer formulas by hand.
lt::Params twoByTwo(double e0, double e1, double n0, double n1) {
    lt::Params p;
    p.tok_embeddings = {e0, e1};
    p.norm = {n0, n1};
    return p;
}

} // namespace

TEST_CASE("llama training reference: forward and loss are llama_reference.hpp's", "[models]") {
    // With unit norm weights the model is llama2.c's; compare sequence by sequence.
    lt::Params p = lt::randomParams(kConfig, 3);
    for (auto& [name, values] : lt::named(p))
        if (!lt::isMatrix(name)) std::fill(values->begin(), values->end(), 1.0);
    anec::test::llama::Weights w{p.tok_embeddings, p.output, {}};
    for (const lt::LayerParams& L : p.layers)
        w.layers.push_back({L.wq, L.wk, L.wv, L.wo, L.w1, L.w2, L.w3});
    anec::test::llama::Config c{kConfig.dim,    kConfig.hidden, kConfig.heads,
                                kConfig.layers, kConfig.vocab,  kConfig.seq};

    std::vector<double> logits = lt::forwardLogits(kConfig, p, kTokens, kBatch);
    std::vector<std::vector<double>> all;
    for (int b = 0; b < kBatch; ++b) {
        std::vector<int> seq(kTokens.begin() + b * kConfig.seq,
                             kTokens.begin() + (b + 1) * kConfig.seq);
        for (auto& row : anec::test::llama::forward(c, w, seq))
            all.push_back(row);
    }
    REQUIRE(all.size() * kConfig.vocab == logits.size());
    for (size_t r = 0; r < all.size(); ++r)
        for (int v = 0; v < kConfig.vocab; ++v)
            REQUIRE(logits[r * kConfig.vocab + v] == Approx(all[r][v]).epsilon(1e-12));
    lt::Params grads;
    double loss = lt::lossAndGradients(kConfig, p, kTokens, kTargets, kBatch, grads);
    CHECK(loss == Approx(anec::test::llama::crossEntropy(all, kTargets)).epsilon(1e-12));
    CHECK(loss == Approx(lt::meanLoss(kConfig, p, kTokens, kTargets, kBatch)).epsilon(1e-14));
}

TEST_CASE("llama training reference: parameters are named in the documented order", "[models]") {
    lt::Params p = lt::zeros(kConfig);
    std::vector<std::string> names;
    for (auto& [name, values] : lt::named(p))
        names.push_back(name);
    std::vector<std::string> expected{"tok_embeddings"};
    for (int l = 0; l < 2; ++l)
        for (const char* n :
             {"attention_norm", "wq", "wk", "wv", "wo", "ffn_norm", "w1", "w2", "w3"})
            expected.push_back(std::string(n) + "_" + std::to_string(l));
    expected.push_back("norm");
    expected.push_back("output");
    CHECK(names == expected);
    CHECK(lt::named(static_cast<const lt::Params&>(p)).size() == expected.size());
    CHECK(p.layers[0].w1.size() == 12 * 8);
    CHECK(p.layers[0].w2.size() == 8 * 12);
    CHECK(p.output.size() == 11 * 8);
    CHECK(lt::isMatrix("wq_0"));
    CHECK(lt::isMatrix("tok_embeddings"));
    CHECK_FALSE(lt::isMatrix("attention_norm_1"));
    CHECK_FALSE(lt::isMatrix("ffn_norm_0"));
    CHECK_FALSE(lt::isMatrix("norm"));
}

TEST_CASE("llama training reference: gradients match central finite differences", "[models]") {
    double overall = 0;
    for (const TensorCheck& c : checks()) {
        INFO(c.name << ": max |grad| " << c.maxGrad);
        REQUIRE(c.maxGrad > 0);
        REQUIRE(c.analytic.size() >= 6);
        double worst = worstError(c, c.analytic);
        std::printf("FD %-16s max|grad| %.3e  worst |fd - grad| / max|grad| %.2e\n", c.name.c_str(),
                    c.maxGrad, worst * kTolerance);
        overall = std::max(overall, worst * kTolerance);
        CHECK(worst <= 1.0);
    }
    std::printf("FD overall worst relative error %.2e (tolerance %.0e)\n", overall, kTolerance);
}

TEST_CASE("llama training reference: unused tokens get zero embedding gradient and repeated "
          "tokens the sum of their positions",
          "[models]") {
    lt::Params p = lt::randomParams(kConfig, 7), grads;
    lt::lossAndGradients(kConfig, p, kTokens, kTargets, kBatch, grads);
    for (int token : {4, 5, 6, 8, 10})
        for (int i = 0; i < kConfig.dim; ++i)
            CHECK(grads.tok_embeddings[static_cast<size_t>(token) * kConfig.dim + i] == 0.0);
    double norm3 = 0;
    for (int i = 0; i < kConfig.dim; ++i)
        norm3 += std::abs(grads.tok_embeddings[3 * kConfig.dim + i]);
    CHECK(norm3 > 0);
}

TEST_CASE("llama training reference: a batch is the mean of its sequences", "[models]") {
    lt::Params p = lt::randomParams(kConfig, 11), both, first, second;
    double lossBoth = lt::lossAndGradients(kConfig, p, kTokens, kTargets, kBatch, both);
    auto half = [](const std::vector<int>& v, int b) {
        return std::vector<int>(v.begin() + b * kConfig.seq, v.begin() + (b + 1) * kConfig.seq);
    };
    double loss0 = lt::lossAndGradients(kConfig, p, half(kTokens, 0), half(kTargets, 0), 1, first);
    double loss1 = lt::lossAndGradients(kConfig, p, half(kTokens, 1), half(kTargets, 1), 1, second);
    CHECK(lossBoth == Approx((loss0 + loss1) / 2).epsilon(1e-13));
    auto a = lt::named(static_cast<const lt::Params&>(both));
    auto f = lt::named(static_cast<const lt::Params&>(first));
    auto s = lt::named(static_cast<const lt::Params&>(second));
    for (size_t k = 0; k < a.size(); ++k)
        for (size_t i = 0; i < a[k].second->size(); ++i)
            CHECK((*a[k].second)[i] ==
                  Approx(((*f[k].second)[i] + (*s[k].second)[i]) / 2).margin(1e-15));
}

TEST_CASE("llama training reference: the finite-difference check rejects a gradient off by 1%",
          "[models]") {
    double weakest = 1e300;
    for (const TensorCheck& c : checks()) {
        INFO(c.name);
        // 1% off in the largest entry only.
        std::vector<double> wrong = c.analytic;
        wrong[argmaxAbs(wrong)] *= 1.01;
        double worst = worstError(c, wrong);
        weakest = std::min(weakest, worst);
        CHECK(worst > 1.0);
        // 1% off everywhere (a gradient scaled by the wrong mean, say).
        std::vector<double> scaled = c.analytic;
        for (double& g : scaled)
            g *= 1.01;
        CHECK(worstError(c, scaled) > 1.0);
        // A sign error in one mid-sized entry: pick the entry nearest max/2.
        std::vector<double> flipped = c.analytic;
        size_t mid = 0;
        for (size_t i = 0; i < flipped.size(); ++i)
            if (std::abs(std::abs(flipped[i]) - c.maxGrad / 2) <
                std::abs(std::abs(flipped[mid]) - c.maxGrad / 2))
                mid = i;
        flipped[mid] = -flipped[mid];
        CHECK(worstError(c, flipped) > 1.0);
    }
    std::printf("FD a 1%% error in the largest entry exceeds the tolerance by at least %.0fx\n",
                weakest);
}

TEST_CASE("llama training reference: AdamW, two steps by hand", "[models]") {
    // lr 0.1, b1 0.9, b2 0.999, eps 1e-8, wd 0.1. Embedding (decayed) and norm (not) both start
    // at (1, -2); g1 = (0.5, -1), g2 = (0.2, 0.4).
    lt::Params p = twoByTwo(1, -2, 1, -2), m = lt::zerosLike(p), v = lt::zerosLike(p);
    lt::AdamWOptions o{0.1, 0.9, 0.999, 1e-8, 0.1};
    lt::adamwStep(p, twoByTwo(0.5, -1, 0.5, -1), m, v, 1, o);
    // Step 1: m = (0.05, -0.1), v = (0.00025, 0.001), 1 - b1 = 0.1, 1 - b2 = 0.001, so
    // m / 0.1 = (0.5, -1) and sqrt(v / 0.001) = (0.5, 1): the step is lr * sign(g) up to eps.
    CHECK(m.tok_embeddings[0] == Approx(0.05).epsilon(1e-14));
    CHECK(v.tok_embeddings[1] == Approx(0.001).epsilon(1e-14));
    const double e0 = 1 * 0.99 - 0.1 * 0.5 / (0.5 + 1e-8);
    const double e1 = -2 * 0.99 + 0.1 * 1 / (1 + 1e-8);
    const double n0 = 1 - 0.1 * 0.5 / (0.5 + 1e-8);
    const double n1 = -2 + 0.1 * 1 / (1 + 1e-8);
    CHECK(p.tok_embeddings[0] == Approx(e0).epsilon(1e-14)); // 0.89
    CHECK(p.tok_embeddings[1] == Approx(e1).epsilon(1e-14)); // -1.88
    CHECK(p.norm[0] == Approx(n0).epsilon(1e-14));           // 0.9
    CHECK(p.norm[1] == Approx(n1).epsilon(1e-14));           // -1.9
    lt::adamwStep(p, twoByTwo(0.2, 0.4, 0.2, 0.4), m, v, 2, o);
    // Step 2: m = (0.065, -0.05), v = (0.00028975, 0.001159), 1 - b1^2 = 0.19,
    // 1 - b2^2 = 0.001999.
    const double s0 = 0.1 * (0.065 / 0.19) / (std::sqrt(0.00028975 / 0.001999) + 1e-8);
    const double s1 = 0.1 * (-0.05 / 0.19) / (std::sqrt(0.001159 / 0.001999) + 1e-8);
    CHECK(m.norm[1] == Approx(-0.05).epsilon(1e-13));
    CHECK(v.norm[1] == Approx(0.001159).epsilon(1e-13));
    // s = (0.0898575, -0.0345606).
    CHECK(p.tok_embeddings[0] == Approx(e0 * 0.99 - s0).epsilon(1e-13)); // 0.7912425
    CHECK(p.tok_embeddings[1] == Approx(e1 * 0.99 - s1).epsilon(1e-13)); // -1.8266394
    CHECK(p.norm[0] == Approx(n0 - s0).epsilon(1e-13));                  // 0.8101425
    CHECK(p.norm[1] == Approx(n1 - s1).epsilon(1e-13));                  // -1.8654394
    CHECK(p.tok_embeddings[0] == Approx(0.7912425).margin(1e-7));
    CHECK(p.norm[1] == Approx(-1.8654394).margin(1e-7));

    // Plain Adam is weightDecay 0: both tensors then move alike.
    lt::Params a = twoByTwo(1, -2, 1, -2), am = lt::zerosLike(a), av = lt::zerosLike(a);
    lt::adamwStep(a, twoByTwo(0.5, -1, 0.5, -1), am, av, 1, {0.1});
    CHECK(a.tok_embeddings == a.norm);
    CHECK(a.norm[0] == Approx(n0).epsilon(1e-14));
}

TEST_CASE("llama training reference: SGD with momentum and weight decay, two steps by hand",
          "[models]") {
    // lr 0.1, momentum 0.9, wd 0.01. g' = g + 0.01 p on the embedding only.
    lt::Params p = twoByTwo(1, -2, 1, -2), buf = lt::zerosLike(p);
    lt::SgdOptions o{0.1, 0.9, 0.01};
    lt::sgdStep(p, twoByTwo(0.5, -1, 0.5, -1), buf, o);
    // Embedding: g' = (0.51, -1.02) = buf, p = (0.949, -1.898); norm: buf = g, p = (0.95, -1.9).
    CHECK(buf.tok_embeddings[0] == Approx(0.51).epsilon(1e-14));
    CHECK(p.tok_embeddings[0] == Approx(0.949).epsilon(1e-14));
    CHECK(p.tok_embeddings[1] == Approx(-1.898).epsilon(1e-14));
    CHECK(p.norm[0] == Approx(0.95).epsilon(1e-14));
    CHECK(p.norm[1] == Approx(-1.9).epsilon(1e-14));
    lt::sgdStep(p, twoByTwo(0.2, 0.4, 0.2, 0.4), buf, o);
    // Embedding: g' = (0.20949, 0.38102), buf = (0.66849, -0.53698), p = (0.882151, -1.844302).
    // Norm: buf = (0.65, -0.5), p = (0.885, -1.85).
    CHECK(buf.tok_embeddings[1] == Approx(-0.53698).epsilon(1e-13));
    CHECK(p.tok_embeddings[0] == Approx(0.882151).epsilon(1e-13));
    CHECK(p.tok_embeddings[1] == Approx(-1.844302).epsilon(1e-13));
    CHECK(p.norm[0] == Approx(0.885).epsilon(1e-13));
    CHECK(p.norm[1] == Approx(-1.85).epsilon(1e-13));

    // Without momentum the buffer is just g'.
    lt::Params q = twoByTwo(1, -2, 1, -2), qb = lt::zerosLike(q);
    lt::sgdStep(q, twoByTwo(0.5, -1, 0.5, -1), qb, {0.1});
    lt::sgdStep(q, twoByTwo(0.2, 0.4, 0.2, 0.4), qb, {0.1});
    CHECK(q.tok_embeddings[0] == Approx(1 - 0.05 - 0.02).epsilon(1e-14));
    CHECK(qb.norm[1] == Approx(0.4).epsilon(1e-14));
}

TEST_CASE("llama training reference: global norm and clipping", "[models]") {
    // (3, 0) and (0, 4) in two tensors: norm 5.
    lt::Params g = twoByTwo(3, 0, 0, 4);
    CHECK(lt::globalNorm(g) == Approx(5).epsilon(1e-15));
    lt::Params kept = g;
    lt::clipByGlobalNorm(kept, 10); // below the limit: untouched
    CHECK(kept.tok_embeddings == g.tok_embeddings);
    CHECK(kept.norm == g.norm);
    lt::clipByGlobalNorm(g, 1); // scaled by 1 / (5 + 1e-6)
    CHECK(g.tok_embeddings[0] == Approx(3 / 5.000001).epsilon(1e-15));
    CHECK(g.norm[1] == Approx(4 / 5.000001).epsilon(1e-15));
    CHECK(lt::globalNorm(g) == Approx(5 / 5.000001).epsilon(1e-15));
}

TEST_CASE("llama training reference: warmup and cosine learning-rate schedule", "[models]") {
    // lr 1e-3, warmup 10, decay to 1e-4 at step 110.
    auto lr = [](int step) { return lt::learningRate(step, 1e-3, 10, 110, 1e-4); };
    CHECK(lr(1) == Approx(1e-4).epsilon(1e-14));
    CHECK(lr(5) == Approx(5e-4).epsilon(1e-14));
    CHECK(lr(10) == Approx(1e-3).epsilon(1e-14));
    CHECK(lr(35) ==
          Approx(1e-4 + 0.5 * (1 + std::cos(std::numbers::pi / 4)) * 9e-4).epsilon(1e-14));
    CHECK(lr(60) == Approx(5.5e-4).epsilon(1e-14)); // midpoint
    CHECK(lr(110) == Approx(1e-4).epsilon(1e-14));  // end
    CHECK(lr(111) == Approx(1e-4).epsilon(1e-14));  // after the end
    CHECK(lr(1000) == Approx(1e-4).epsilon(1e-14));
    for (int step : {1, 2, 50, 10000})
        CHECK(lt::learningRate(step, 3e-4, 0, 0, 0) == 3e-4); // constant
    CHECK(lt::learningRate(1, 1e-3, 0, 100, 0) < 1e-3);       // no warmup: decay from step 1
    CHECK(lt::learningRate(0, 1e-3, 0, 100, 0) == 1e-3);
}
