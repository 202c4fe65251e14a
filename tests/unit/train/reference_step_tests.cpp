// One training step of anec against the independent float64 reference
// (tests/unit/models/llama_training_reference.hpp): examples/train_tiny.ane at DIM 64, HIDDEN 192,
// 4 heads, vocabulary 256, 2 layers, sequences of 16, its train block replaced by each case's.
//
// The one difference between the two models. stdlib/nn.ane's rope multiplies by
// cast(cos(angles), fp16) and cast(sin(angles), fp16): its tables are fp16 constants (half an
// fp16 ulp, up to 2.4e-4, off the exact values), and Float64 computes with them like with any
// fp16 data, while the reference rotates by the exact angles. That perturbs q and k, so it bounds
// the end-to-end agreement: measured, the loss agrees to 1.6e-7 and the gradients to 1.8e-4 of a
// tensor's max |grad| (wq_1; wq and wk see RoPE first-hand, every other tensor is within 4.3e-5).
// With the reference's tables rounded the same way (an experiment: a copy of the header whose
// rope rounds cos and sin through fp16), the loss agrees to 1.3e-8 and every gradient to 7e-8 of
// its max |grad|, i.e. to the fp32 rounding of the gradient outputs: the fp16 tables are the
// whole difference.
//
// Each case therefore checks twice:
//  - end to end against the reference (its gradients, its optimizer): the loss to kLossTol, the
//    gradients to kGradTol of max |grad|, the weights to the tolerance that gradient error
//    leaves (kClearOfError);
//  - the update alone: the reference's optimizer applied to anec's own gradients (the fp32
//    "grad.W" of the step, or of a host-update twin when the update is fused) gives anec's
//    weights and moments to fp32 (kStateTol) or fp16 (1 ulp) rounding.
// Every check is shown to reject a deliberately wrong reference. Measured (printed per case):
//  - float64, update host, AdamW: loss 1.6e-7 relative; gradients 1.8e-4 of max; master weights
//    1.1e-7, m 6.5e-8, v 8.1e-8 of max (1.8e-7 and 1.0e-7 after a second step); end to end the
//    master weights 1.1e-7 of max where the gradient is clear of its error. A reference with lr
//    x1.1 is 4e-3 off, without weight decay 3e-4, with beta2 0.999 3.8e-4 (step 2); the
//    gradients of one sequence 0.8;
//  - float64, update ane, AdamW (batch 2: update program; batch 1: fused): the fp16 weights 0
//    and 1 ulp from the reference on the same gradients, moments 6.7e-8 of max; end to end half
//    an ulp of max; lr x1.1 is 4566 ulps off;
//  - fp16-faithful: loss 4.2e-5 relative, gradients 1.2e-3 of max, weights half an ulp of max
//    where |g| >= 1e-2 max |g|, 31 of 139584 entries stepping the other way (2 lr);
//  - float64 SGD, momentum 0.9, clip 0.5 (norms 4.5 and 4.1): 1 and 0 ulps from the reference
//    on the same gradients, momentum 8e-8 of max; end to end 1 ulp of max;
//  - batch 2 and batch 1 accumulate 2: bit for bit, in both precisions and both update places.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "runtime/train/trainer.hpp"
#include "support/fp16.hpp"
#include "train_test_support.hpp"
#include "unit/models/llama_training_reference.hpp"

namespace ref = anec::test::llama_train;
using anec::runtime::Precision;
using anec::test::train::compileSource;
using anec::test::train::Defines;
using anec::test::train::tinySourceWithTrain;
using anec::train::Trainer;
using anec::train::TrainerOptions;

namespace {

// DIM, HIDDEN, HEADS and VOCAB as in the file.
const Defines kDefines{{"SEQ", 16}, {"LAYERS", 2}};
const ref::Config kConfig{64, 192, 4, 2, 256, 16};
constexpr int kSequences = 2;
constexpr double kScale = 256; // the loss scale of every case: grad.W holds 256 x the gradient

// The loss is declared fp32, so each micro-batch's loss is returned rounded to fp32 (2^-24 =
// 6e-8 relative) before the Trainer averages them in double; the fp16 RoPE tables add 1e-7
// (measured 1.6e-7 in all).
constexpr double kLossTol = 1e-6;
// Of a tensor's max |grad|: the fp16 RoPE tables (measured 1.8e-4, wq_1).
constexpr double kGradTol = 5e-4;
// Of a tensor's max |value|: fp32 state (master weights, moments) computed with fp32 arithmetic
// from the same gradients as the reference's float64 one: a few fp32 roundings of 6e-8
// (measured 1.1e-7).
constexpr double kStateTol = 1e-6;
// Adam moves an entry by lr g / (|g| + eps): +-lr whatever |g| once |g| >> eps, but an entry
// whose gradient is within the compared gradients' error of 0 may step the other way, and one
// barely above it moves by lr eps dg / g^2. End to end, the entries whose reference gradient
// exceeds 10 kGradTol of the tensor's max |grad| must agree like the update alone; the others
// must not step further apart than 2 lr.
constexpr double kClearOfError = 10 * kGradTol;

const std::string kAdamKeys = "    optimizer adamw\n    lr 3e-3\n    beta1 0.9\n    beta2 0.95\n"
                              "    eps 1e-8\n    weight_decay 0.1\n    warmup 0\n    decay 0\n"
                              "    scale 256\n";
const ref::AdamWOptions kAdam{3e-3, 0.9, 0.95, 1e-8, 0.1};

std::string trainBlock(const std::string& keys) {
    return "train step {\n    model embed, layer, head\n    loss lm_loss\n" + keys + "}\n";
}

Trainer makeTrainer(const std::string& keys, Precision precision) {
    TrainerOptions options;
    options.precision = precision;
    return Trainer::fromModule(compileSource(tinySourceWithTrain(trainBlock(keys)), kDefines),
                               options);
}

// The fixed batch of trainer_tests.cpp (bytes 'a'..'g', the targets the next bytes), or its
// sequences [first, first + count).
struct Batch {
    std::vector<int32_t> tokens, targets;
    std::vector<int> refTokens, refTargets;
    int sequences = 0;
};

Batch fixedBatch(int first = 0, int count = kSequences) {
    std::vector<int32_t> tokens, targets;
    anec::test::train::batchOf(kSequences, kConfig.seq, tokens, targets);
    Batch batch;
    batch.sequences = count;
    auto begin = static_cast<ptrdiff_t>(first) * kConfig.seq;
    auto end = begin + static_cast<ptrdiff_t>(count) * kConfig.seq;
    batch.tokens.assign(tokens.begin() + begin, tokens.begin() + end);
    batch.targets.assign(targets.begin() + begin, targets.begin() + end);
    batch.refTokens.assign(batch.tokens.begin(), batch.tokens.end());
    batch.refTargets.assign(batch.targets.begin(), batch.targets.end());
    return batch;
}

double referenceLoss(const ref::Params& p, const Batch& batch, ref::Params& grads) {
    return ref::lossAndGradients(kConfig, p, batch.refTokens, batch.refTargets, batch.sequences,
                                 grads);
}

std::vector<double> valuesOf(const anec::runtime::Tensor& tensor) {
    const anec::ir::TensorType& type = tensor.type();
    size_t size = anec::ir::dtypeSize(type.dtype);
    std::vector<double> values(static_cast<size_t>(type.numElements()));
    for (size_t i = 0; i < values.size(); ++i)
        values[i] = anec::ir::loadElement(type.dtype, tensor.bytes().data() + i * size);
    return values;
}

// The step tensors prefix + W for every parameter W of the reference, times `scale`.
ref::Params paramsOf(const Trainer& trainer, const std::string& prefix = "", double scale = 1) {
    ref::Params p = ref::zeros(kConfig);
    for (auto& [name, values] : ref::named(p)) {
        std::vector<double> got = valuesOf(trainer.tensor(prefix + name));
        REQUIRE(got.size() == values->size());
        for (double& x : got)
            x *= scale;
        *values = std::move(got);
    }
    return p;
}

// anec's gradients of the mean loss: grad.W holds the loss scale times them.
ref::Params gradientsOf(const Trainer& trainer) {
    return paramsOf(trainer, "grad.", 1 / kScale);
}

double maxAbs(const std::vector<double>& values) {
    double m = 0;
    for (double x : values)
        m = std::max(m, std::abs(x));
    return m;
}

// Round to nearest even, straight from double (no rounding through float).
double roundToHalf(double x) {
#ifdef __FLT16_MANT_DIG__
    return static_cast<double>(static_cast<_Float16>(x));
#else
    return anec::halfToFloat(anec::doubleToHalf(x));
#endif
}

ref::Params roundedToHalf(ref::Params p) {
    for (auto& [name, values] : ref::named(p))
        for (double& x : *values)
            x = roundToHalf(x);
    return p;
}

// fp16 values in an order where neighbours differ by 1 (+0 and -0 coincide).
int halfOrdinal(double h) {
    uint16_t bits = anec::doubleToHalf(h);
    return bits & 0x8000 ? -(bits & 0x7fff) : bits;
}

// The fp16 ulp of the binade of |x| (x normal).
double halfUlp(double x) {
    return std::ldexp(1.0, std::ilogb(x) - 10);
}

struct Worst {
    double value = 0;
    std::string at;
    void update(double v, const std::string& name) {
        if (v > value) value = v, at = name;
    }
};

// max |a - b| / max |b| over each tensor; the worst tensor.
Worst relativeToMax(const ref::Params& a, const ref::Params& b) {
    auto A = ref::named(a);
    auto B = ref::named(b);
    Worst worst;
    for (size_t k = 0; k < A.size(); ++k) {
        double diff = 0;
        for (size_t i = 0; i < A[k].second->size(); ++i)
            diff = std::max(diff, std::abs((*A[k].second)[i] - (*B[k].second)[i]));
        double m = maxAbs(*B[k].second);
        worst.update(m > 0 ? diff / m : diff, A[k].first);
    }
    return worst;
}

// fp16 weights a against float64 b rounded to fp16: the most ulps apart of any element.
Worst halfUlpsApart(const ref::Params& a, const ref::Params& b) {
    auto A = ref::named(a);
    auto B = ref::named(b);
    Worst worst;
    for (size_t k = 0; k < A.size(); ++k)
        for (size_t i = 0; i < A[k].second->size(); ++i)
            worst.update(std::abs(halfOrdinal((*A[k].second)[i]) -
                                  halfOrdinal(roundToHalf((*B[k].second)[i]))),
                         A[k].first);
    return worst;
}

// max |a - b| over each tensor in fp16 ulps of the tensor's max |b|.
Worst ulpsOfMax(const ref::Params& a, const ref::Params& b) {
    auto A = ref::named(a);
    auto B = ref::named(b);
    Worst worst;
    for (size_t k = 0; k < A.size(); ++k) {
        double ulp = halfUlp(maxAbs(*B[k].second)), diff = 0;
        for (size_t i = 0; i < A[k].second->size(); ++i)
            diff = std::max(diff, std::abs((*A[k].second)[i] - (*B[k].second)[i]));
        worst.update(diff / ulp, A[k].first);
    }
    return worst;
}

// Weights a against the reference's b, split by the reference gradient g (see kClearOfError):
// `resolved`, the worst max |a - b| in units of unit(max |b|) over the entries with
// |g| >= threshold * max |g|; for the others, `unresolvedSteps`, the worst |a - b| in units of
// lr, `unresolvedExcess`, the worst |a - b| - 2 lr in units of unit(max |b|), and how many of
// them are more than a unit apart.
struct SplitAgreement {
    Worst resolved;
    double unresolvedSteps = 0, unresolvedExcess = -1e300;
    int unresolvedCount = 0;
    size_t total = 0;
};

template <class Unit>
SplitAgreement splitByGradient(const ref::Params& a, const ref::Params& b, const ref::Params& g,
                               double threshold, double lr, Unit unit) {
    auto A = ref::named(a);
    auto B = ref::named(b);
    auto G = ref::named(g);
    SplitAgreement split;
    for (size_t k = 0; k < A.size(); ++k) {
        double scale = unit(maxAbs(*B[k].second)), gMax = maxAbs(*G[k].second), diff = 0;
        for (size_t i = 0; i < A[k].second->size(); ++i) {
            double d = std::abs((*A[k].second)[i] - (*B[k].second)[i]);
            ++split.total;
            if (std::abs((*G[k].second)[i]) >= threshold * gMax) {
                diff = std::max(diff, d);
                continue;
            }
            split.unresolvedSteps = std::max(split.unresolvedSteps, d / lr);
            split.unresolvedExcess = std::max(split.unresolvedExcess, (d - 2 * lr) / scale);
            split.unresolvedCount += d > scale;
        }
        split.resolved.update(diff / scale, A[k].first);
    }
    return split;
}

struct AdamState {
    ref::Params p, m, v;
};

// `steps` reference AdamW steps from p0 with the given gradients (one per step).
AdamState referenceAdam(const ref::Params& p0, const std::vector<ref::Params>& grads,
                        const ref::AdamWOptions& options = kAdam) {
    AdamState s{p0, ref::zerosLike(p0), ref::zerosLike(p0)};
    for (size_t t = 0; t < grads.size(); ++t)
        ref::adamwStep(s.p, grads[t], s.m, s.v, static_cast<int>(t + 1), options);
    return s;
}

bool sameBytes(const anec::runtime::Tensor& a, const anec::runtime::Tensor& b) {
    return a.type() == b.type() && a.bytes().size() == b.bytes().size() &&
           std::memcmp(a.bytes().data(), b.bytes().data(), a.bytes().size()) == 0;
}

} // namespace

TEST_CASE("float64 step with the update on the host equals the float64 reference: loss, "
          "gradients, AdamW master weights",
          "[train][reference]") {
    Trainer trainer = makeTrainer(kAdamKeys + "    batch 2\n    update host\n", Precision::Float64);
    REQUIRE(trainer.microBatches() == kSequences);
    REQUIRE(trainer.sequenceLength() == kConfig.seq);
    // anec's trained weights are the reference's parameters, name for name.
    ref::Params p0 = paramsOf(trainer);
    std::set<std::string> anecNames(trainer.weights().begin(), trainer.weights().end()), refNames;
    for (const auto& [name, values] : ref::named(p0))
        refNames.insert(name);
    CHECK(anecNames == refNames);
    const anec::ir::StepTensor* lossTensor = trainer.schedule().find(trainer.schedule().loss);
    REQUIRE(lossTensor);
    CHECK(lossTensor->type.dtype == anec::ir::DType::Fp32); // kLossTol assumes an fp32 loss

    Batch batch = fixedBatch();
    double loss = trainer.step(batch.tokens, batch.targets);
    CHECK(trainer.lastLearningRate() == 3e-3); // warmup 0: the peak at step 1
    ref::Params g;
    double refLoss = referenceLoss(p0, batch, g);
    double lossError = std::abs(loss - refLoss) / refLoss;
    CHECK(lossError < kLossTol);

    ref::Params grads = gradientsOf(trainer);
    Worst gradError = relativeToMax(grads, g);
    INFO("gradients: worst " << gradError.value << " of max |grad| (" << gradError.at << ")");
    CHECK(gradError.value < kGradTol);

    // The update alone: the reference's AdamW on anec's gradients gives the fp32 master weights
    // and moments.
    AdamState same = referenceAdam(p0, {grads});
    ref::Params master = paramsOf(trainer, "master.");
    Worst masterError = relativeToMax(master, same.p);
    Worst mError = relativeToMax(paramsOf(trainer, "adam_m."), same.m);
    Worst vError = relativeToMax(paramsOf(trainer, "adam_v."), same.v);
    INFO("master " << masterError.value << " (" << masterError.at << "), m " << mError.value
                   << ", v " << vError.value);
    CHECK(masterError.value < kStateTol);
    CHECK(mError.value < kStateTol);
    CHECK(vError.value < kStateTol);
    // The weights the next forward reads are the master weights rounded to fp16.
    CHECK(halfUlpsApart(paramsOf(trainer), master).value == 0);

    // End to end (the reference's gradients too): see kClearOfError.
    AdamState full = referenceAdam(p0, {g});
    SplitAgreement endToEnd = splitByGradient(master, full.p, g, kClearOfError, kAdam.lr,
                                              [](double m) { return kStateTol * m; });
    CHECK(endToEnd.resolved.value < 1);
    CHECK(endToEnd.unresolvedExcess <= 1);

    // The checks reject a wrong reference: another learning rate, no weight decay, the gradients
    // of the first sequence alone.
    ref::AdamWOptions otherLr = kAdam, noDecay = kAdam;
    otherLr.lr *= 1.1;
    noDecay.weightDecay = 0;
    double otherLrError = relativeToMax(master, referenceAdam(p0, {grads}, otherLr).p).value;
    double noDecayError = relativeToMax(master, referenceAdam(p0, {grads}, noDecay).p).value;
    ref::Params firstOnly;
    referenceLoss(p0, fixedBatch(0, 1), firstOnly);
    double firstOnlyError = relativeToMax(grads, firstOnly).value;
    CHECK(otherLrError > kStateTol);
    CHECK(noDecayError > kStateTol);
    CHECK(firstOnlyError > kGradTol);

    // A second step checks the bias corrections at t = 2 (at t = 1 Adam's step is lr sign(g)
    // whatever beta1 and beta2 are): the reference's AdamW on both steps' anec gradients.
    trainer.step(batch.tokens, batch.targets);
    ref::Params grads2 = gradientsOf(trainer);
    AdamState two = referenceAdam(p0, {grads, grads2});
    Worst master2Error = relativeToMax(paramsOf(trainer, "master."), two.p);
    Worst v2Error = relativeToMax(paramsOf(trainer, "adam_v."), two.v);
    CHECK(master2Error.value < kStateTol);
    CHECK(v2Error.value < kStateTol);
    ref::AdamWOptions otherBeta2 = kAdam;
    otherBeta2.beta2 = 0.999;
    double otherBeta2Error = relativeToMax(paramsOf(trainer, "master."),
                                           referenceAdam(p0, {grads, grads2}, otherBeta2).p)
                                 .value;
    CHECK(otherBeta2Error > kStateTol);

    std::printf("reference step, float64, update host: loss %.10g vs %.10g (rel %.2g); gradients "
                "%.2g of max (%s); master %.2g, m %.2g, v %.2g of max; end to end %.2g of max "
                "for %zu entries, %d with |g| < %g max up to %.2f lr apart; after step 2 "
                "master %.2g, v %.2g; wrong references: lr x1.1 %.2g, no decay %.2g, one "
                "sequence %.2g, beta2 0.999 %.2g\n",
                loss, refLoss, lossError, gradError.value, gradError.at.c_str(), masterError.value,
                mError.value, vError.value, endToEnd.resolved.value * kStateTol, endToEnd.total,
                endToEnd.unresolvedCount, kClearOfError, endToEnd.unresolvedSteps,
                master2Error.value, v2Error.value, otherLrError, noDecayError, firstOnlyError,
                otherBeta2Error);
}

TEST_CASE("float64 step with the update on the device equals the reference AdamW rounded to "
          "fp16",
          "[train][reference]") {
    // Host-update twins give the gradients of the same backward program.
    Trainer host = makeTrainer(kAdamKeys + "    batch 2\n    update host\n", Precision::Float64);
    Trainer hostOne = makeTrainer(kAdamKeys + "    update host\n", Precision::Float64);
    ref::Params p0 = paramsOf(host);
    Batch batch = fixedBatch(), first = fixedBatch(0, 1);
    host.step(batch.tokens, batch.targets);
    hostOne.step(first.tokens, first.targets);

    // batch 2: two micro-batches accumulate fp32 gradients and an update program runs after them;
    // batch 1: the update is part of the backward program (fused).
    for (int sequences : {2, 1}) {
        Trainer trainer = makeTrainer(kAdamKeys + "    batch " + std::to_string(sequences) + "\n",
                                      Precision::Float64);
        const Batch& b = sequences == 2 ? batch : first;
        const Trainer& twin = sequences == 2 ? host : hostOne;
        REQUIRE(trainer.microBatches() == sequences);
        trainer.step(b.tokens, b.targets);
        if (sequences == 2)
            for (const std::string& w : trainer.weights())
                CHECK(sameBytes(trainer.tensor("grad." + w), host.tensor("grad." + w)));

        // The update alone: within 1 fp16 ulp of the reference's AdamW on the same gradients,
        // rounded to fp16; the fp32 moments to kStateTol.
        ref::Params weights = paramsOf(trainer);
        AdamState same = referenceAdam(p0, {gradientsOf(twin)});
        Worst ulps = halfUlpsApart(weights, same.p);
        Worst mError = relativeToMax(paramsOf(trainer, "adam_m."), same.m);
        Worst vError = relativeToMax(paramsOf(trainer, "adam_v."), same.v);
        INFO(sequences << " sequences: " << ulps.value << " ulps (" << ulps.at << ")");
        CHECK(ulps.value <= 1);
        CHECK(mError.value < kStateTol);
        CHECK(vError.value < kStateTol);

        // End to end (see kClearOfError): the entries clear of the gradient error agree to
        // anec's rounding to fp16, half an ulp of the tensor's max (measured 0.50); allow 1. The
        // moments (m = (1 - beta1) g) carry the gradients' tolerance.
        ref::Params g;
        referenceLoss(p0, b, g);
        AdamState full = referenceAdam(p0, {g});
        SplitAgreement endToEnd =
            splitByGradient(weights, full.p, g, kClearOfError, kAdam.lr, halfUlp);
        Worst mFull = relativeToMax(paramsOf(trainer, "adam_m."), full.m);
        CHECK(endToEnd.resolved.value <= 1);
        CHECK(endToEnd.unresolvedExcess <= 1);
        CHECK(mFull.value < kGradTol);

        // A reference with another learning rate is many ulps off.
        ref::AdamWOptions otherLr = kAdam;
        otherLr.lr *= 1.1;
        double otherLrUlps =
            halfUlpsApart(weights, referenceAdam(p0, {gradientsOf(twin)}, otherLr).p).value;
        CHECK(otherLrUlps > 1);

        std::printf("reference step, float64, update ane, batch %d: weights %.0f fp16 ulp of the "
                    "reference AdamW on the same gradients, m %.2g, v %.2g of max; end to end "
                    "%.2f ulp of max, %d of %zu entries with |g| < %g max up to %.2f lr apart, "
                    "m %.2g of max; lr x1.1 reference %.0f ulps\n",
                    sequences, ulps.value, mError.value, vError.value, endToEnd.resolved.value,
                    endToEnd.unresolvedCount, endToEnd.total, kClearOfError,
                    endToEnd.unresolvedSteps, mFull.value, otherLrUlps);
    }
}

TEST_CASE("fp16-faithful step stays close to the float64 reference", "[train][reference]") {
    Trainer trainer = makeTrainer(kAdamKeys + "    batch 2\n", Precision::Fp16Faithful);
    ref::Params p0 = paramsOf(trainer);
    Batch batch = fixedBatch();
    double loss = trainer.step(batch.tokens, batch.targets);
    ref::Params g;
    double refLoss = referenceLoss(p0, batch, g);
    double lossError = std::abs(loss - refLoss) / refLoss;
    CHECK(lossError < 0.01); // measured 4.2e-5

    // fp16 activations put the gradients 1.2e-3 of max |grad| off (measured); Adam's first step
    // is lr sign(g), so entries with |g| above 1e-2 max |grad| (8x that) step as in the
    // reference: those weights agree to the fp16 rounding of the result, half an ulp of their
    // tensor's max (measured 0.50); allow 1 ulp. The entries below may step the other way, at
    // most 2 lr (plus the rounding) apart: measured, 31 of 139584 do, 2 lr being 6 to 98 ulps of
    // their tensor's max.
    constexpr double kFp16GradTol = 1e-2;
    ref::Params grads = gradientsOf(trainer);
    Worst gradError = relativeToMax(grads, g);
    CHECK(gradError.value < kFp16GradTol);
    ref::Params weights = paramsOf(trainer);
    AdamState full = referenceAdam(p0, {g});
    SplitAgreement split = splitByGradient(weights, full.p, g, kFp16GradTol, kAdam.lr, halfUlp);
    Worst all = ulpsOfMax(weights, full.p);
    CHECK(split.resolved.value <= 1);
    CHECK(split.unresolvedExcess <= 1);

    // The update itself computes in fp32 on the ANE too: within 1 ulp of the reference's AdamW
    // on the same (fp16-computed) gradients.
    AdamState same = referenceAdam(p0, {grads});
    Worst ulps = halfUlpsApart(weights, same.p);
    CHECK(ulps.value <= 1);
    CHECK(relativeToMax(paramsOf(trainer, "adam_v."), same.v).value < kStateTol);

    // A reference with 1.5x the learning rate is off by more.
    ref::AdamWOptions otherLr = kAdam;
    otherLr.lr *= 1.5;
    double otherLrUlps = splitByGradient(weights, referenceAdam(p0, {g}, otherLr).p, g,
                                         kFp16GradTol, kAdam.lr, halfUlp)
                             .resolved.value;
    CHECK(otherLrUlps > 1);

    std::printf("reference step, fp16-faithful, update ane: loss %.6g vs %.6g (rel %.2g); "
                "gradients %.2g of max (%s); weights with |g| >= %g max %.2f ulp of max (%s), "
                "%d of %zu others up to %.2f lr apart (all: %.1f ulp of max); the same "
                "gradients' AdamW %.0f ulp; lr x1.5 reference %.1f ulp of max\n",
                loss, refLoss, lossError, gradError.value, gradError.at.c_str(), kFp16GradTol,
                split.resolved.value, split.resolved.at.c_str(), split.unresolvedCount, split.total,
                split.unresolvedSteps, all.value, ulps.value, otherLrUlps);
}

TEST_CASE("float64 SGD with momentum and clipping equals the reference over two steps",
          "[train][reference]") {
    const double lr = 0.5, momentum = 0.9, decay = 0.01, clip = 0.5;
    Trainer trainer = makeTrainer("    optimizer sgd\n    lr 0.5\n    momentum 0.9\n"
                                  "    weight_decay 0.01\n    clip 0.5\n    warmup 0\n"
                                  "    decay 0\n    scale 256\n    batch 2\n",
                                  Precision::Float64);
    ref::Params p0 = paramsOf(trainer);
    Batch batch = fixedBatch();
    // The reference end to end (its gradients at its own fp16 weights: anec's weights are fp16,
    // so the reference rounds its weights after each step), and the update alone: the
    // reference's clipping and SGD on anec's gradients from anec's weights before the step
    // (weight decay reads them: a weight an ulp apart after step 1 would move a momentum
    // buffer by wd ulp, 1e-4 of a buffer's max), its momentum buffers carried from step to step.
    ref::Params full = p0, fullBuf = ref::zerosLike(p0);
    ref::Params same, sameBuf = ref::zerosLike(p0);
    ref::Params noMomentum, noMomentumBuf = ref::zerosLike(p0);
    for (int step = 1; step <= 2; ++step) {
        same = noMomentum = paramsOf(trainer);
        trainer.step(batch.tokens, batch.targets);
        ref::Params g, grads = gradientsOf(trainer);
        referenceLoss(full, batch, g);
        double norm = ref::globalNorm(g);
        CHECK(trainer.lastGradientNorm() > clip); // clipping is active
        double normError = std::abs(trainer.lastGradientNorm() - norm) / norm;
        CHECK(normError < kGradTol);
        ref::clipByGlobalNorm(g, clip);
        ref::sgdStep(full, g, fullBuf, {lr, momentum, decay});
        full = roundedToHalf(full);
        ref::Params clipped = grads, unclipped = grads;
        ref::clipByGlobalNorm(clipped, clip);
        ref::sgdStep(same, clipped, sameBuf, {lr, momentum, decay});
        same = roundedToHalf(same);
        ref::sgdStep(noMomentum, clipped, noMomentumBuf, {lr, 0, decay});
        noMomentum = roundedToHalf(noMomentum);

        ref::Params weights = paramsOf(trainer), buffers = paramsOf(trainer, "momentum.");
        // The update alone: 1 fp16 ulp, the fp32 momentum buffers to kStateTol.
        Worst ulps = halfUlpsApart(weights, same);
        Worst bufError = relativeToMax(buffers, sameBuf);
        CHECK(ulps.value <= 1);
        CHECK(bufError.value < kStateTol);
        // End to end: SGD is linear in the gradient, so the gradients' kGradTol becomes
        // lr (1 + momentum) kGradTol max |g| at most, far below an ulp of a tensor's max |w|;
        // with both sides rounded to fp16, 1 ulp of the max (measured 1.0); allow 2.
        Worst endToEnd = ulpsOfMax(weights, full);
        Worst bufFull = relativeToMax(buffers, fullBuf);
        CHECK(endToEnd.value <= 2);
        CHECK(bufFull.value < kGradTol);
        // Wrong references fail: no clipping at step 1, no momentum at step 2.
        double wrong = 0;
        if (step == 1) {
            ref::Params p = p0, buf = ref::zerosLike(p0);
            ref::sgdStep(p, unclipped, buf, {lr, momentum, decay});
            wrong = ulpsOfMax(weights, p).value;
        } else {
            wrong = ulpsOfMax(weights, noMomentum).value;
        }
        CHECK(wrong > 2);
        std::printf("reference step, float64, sgd step %d: norm %.10g vs %.10g (rel %.2g), "
                    "weights %.0f fp16 ulp of the reference SGD on the same gradients, "
                    "momentum %.2g of max; end to end %.2f ulp of max (%s), momentum %.2g of "
                    "max; %s reference %.0f ulp of max\n",
                    step, trainer.lastGradientNorm(), norm, normError, ulps.value, bufError.value,
                    endToEnd.value, endToEnd.at.c_str(), bufFull.value,
                    step == 1 ? "unclipped" : "momentum-free", wrong);
    }
}

TEST_CASE("accumulating two micro-batches equals a batch of two", "[train][reference]") {
    Batch batch = fixedBatch();
    for (Precision precision : {Precision::Float64, Precision::Fp16Faithful})
        for (const std::string update : {"ane", "host"}) {
            std::string keys = kAdamKeys + "    update " + update + "\n";
            Trainer two = makeTrainer(keys + "    batch 2\n", precision);
            Trainer accumulated = makeTrainer(keys + "    batch 1\n    accumulate 2\n", precision);
            REQUIRE(accumulated.microBatches() == 2);
            std::vector<std::string> prefixes = {"", "adam_m.", "adam_v.", "grad."};
            if (update == "host") prefixes.push_back("master.");
            int compared = 0, equal = 0;
            bool lossesEqual = true;
            for (int step = 0; step < 2; ++step) {
                lossesEqual &= two.step(batch.tokens, batch.targets) ==
                               accumulated.step(batch.tokens, batch.targets);
                for (const std::string& prefix : prefixes)
                    for (const std::string& w : two.weights()) {
                        ++compared;
                        equal += sameBytes(two.tensor(prefix + w), accumulated.tensor(prefix + w));
                    }
            }
            INFO(update << (precision == Precision::Float64 ? " float64" : " fp16-faithful"));
            CHECK(lossesEqual);
            CHECK(equal == compared);
            std::printf("reference step, batch 2 vs batch 1 accumulate 2, update %s, %s: losses "
                        "%s, %d of %d tensors bit for bit over 2 steps\n",
                        update.c_str(),
                        precision == Precision::Float64 ? "float64" : "fp16-faithful",
                        lossesEqual ? "equal" : "differ", equal, compared);
        }

    // The accumulated loss is the mean of the two sequences' own (a micro-batch is a sequence).
    Trainer accumulated =
        makeTrainer(kAdamKeys + "    accumulate 2\n    update host\n", Precision::Float64);
    double loss = accumulated.step(batch.tokens, batch.targets);
    double each[2];
    for (int s = 0; s < 2; ++s) {
        Trainer one = makeTrainer(kAdamKeys + "    update host\n", Precision::Float64);
        Batch b = fixedBatch(s, 1);
        each[s] = one.step(b.tokens, b.targets);
    }
    CHECK(loss == (each[0] + each[1]) / 2);
}
