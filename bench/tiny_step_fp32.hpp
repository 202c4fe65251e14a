#pragma once
// A hand-written fp32 training step of the llama2.c model (the model of
// tests/unit/models/llama_training_reference.hpp: rmsnorm with weights, RoPE, causal multi-head
// attention, SwiGLU, untied classifier, mean cross-entropy) with AdamW, every matrix product
// on OpenBLAS SGEMM: the CPU baseline a benchmark compares anec's training step against.
// Header-only so that bench/ and tests/ both include it; nothing but CBLAS is needed.
#if __has_include(<cblas.h>)
#include <cblas.h>
#elif __has_include(<openblas/cblas.h>)
#include <openblas/cblas.h>
#else
#error "bench/tiny_step_fp32.hpp needs CBLAS (OpenBLAS: libopenblas-dev)"
#endif

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace anec::bench {

struct TinyConfig {
    int dim, hidden, heads, layers, vocab, seq;
    float normEps = 1e-5f;
    float ropeTheta = 10000.0f;
};

// torch.optim.AdamW; maxGradNorm > 0 clips the gradients first as clip_grad_norm_ does.
struct TinyAdamW {
    float lr, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weightDecay = 0.0f;
    float maxGradNorm = 0.0f;
};

class TinyStepFp32 {
  public:
    using NamedParams = std::vector<std::pair<std::string, std::vector<float>>>;

    // tok_embeddings, per layer l attention_norm_l wq_l wk_l wv_l wo_l ffn_norm_l w1_l w2_l
    // w3_l, then norm, output: the order the constructor takes the parameters in.
    static std::vector<std::string> names(int layers) {
        std::vector<std::string> out{"tok_embeddings"};
        for (int l = 0; l < layers; ++l)
            for (const char* n :
                 {"attention_norm", "wq", "wk", "wv", "wo", "ffn_norm", "w1", "w2", "w3"})
                out.push_back(std::string(n) + "_" + std::to_string(l));
        out.push_back("norm");
        out.push_back("output");
        return out;
    }

    // `initial` holds every parameter, named and ordered as names(config.layers); matrices are
    // row-major [out, in] (tok_embeddings and output [vocab, dim]).
    TinyStepFp32(const TinyConfig& config, NamedParams initial) : c_(config) {
        if (c_.dim <= 0 || c_.heads <= 0 || c_.dim % c_.heads != 0 || (c_.dim / c_.heads) % 2 != 0)
            throw std::invalid_argument("TinyStepFp32: head_dim must be an even divisor of dim");
        std::vector<std::string> expected = names(c_.layers);
        if (initial.size() != expected.size())
            throw std::invalid_argument("TinyStepFp32: expected " +
                                        std::to_string(expected.size()) + " parameters");
        for (size_t i = 0; i < expected.size(); ++i) {
            if (initial[i].first != expected[i])
                throw std::invalid_argument("TinyStepFp32: parameter " + std::to_string(i) +
                                            " must be " + expected[i] + ", not " +
                                            initial[i].first);
            size_t want = expectedSize(expected[i]);
            if (initial[i].second.size() != want)
                throw std::invalid_argument("TinyStepFp32: " + expected[i] + " needs " +
                                            std::to_string(want) + " values");
            Tensor t;
            t.name = expected[i];
            t.matrix = t.name.find("norm") == std::string::npos;
            t.value = std::move(initial[i].second);
            t.grad.assign(want, 0.0f);
            t.m.assign(want, 0.0f);
            t.v.assign(want, 0.0f);
            tensors_.push_back(std::move(t));
        }
        // RoPE tables [seq, head_dim / 2]: angle s * theta^(-2i / head_dim), in double.
        int hd = c_.dim / c_.heads;
        for (int s = 0; s < c_.seq; ++s)
            for (int i = 0; i < hd / 2; ++i) {
                double angle = s * std::pow(static_cast<double>(c_.ropeTheta), -2.0 * i / hd);
                cos_.push_back(static_cast<float>(std::cos(angle)));
                sin_.push_back(static_cast<float>(std::sin(angle)));
            }
        layers_.resize(static_cast<size_t>(c_.layers));
    }

    // Forward, loss, backward, optional clipping and an AdamW update of every parameter in
    // place (stepNumber counts from 1). Returns the loss before the update.
    float step(const std::vector<int32_t>& tokens, const std::vector<int32_t>& targets, int batch,
               const TinyAdamW& o, int stepNumber) {
        if (stepNumber < 1) throw std::invalid_argument("TinyStepFp32: steps count from 1");
        float loss = lossAndGradients(tokens, targets, batch);
        if (o.maxGradNorm > 0) {
            double coef = o.maxGradNorm / (gradNorm_ + 1e-6);
            if (coef < 1)
                for (Tensor& t : tensors_)
                    for (float& g : t.grad)
                        g *= static_cast<float>(coef);
        }
        // p *= 1 - lr wd (matrices only); m, v moments; p -= lr/bc1 m / (sqrt(v)/sqrt(bc2) + eps).
        const double bc1 = 1 - std::pow(static_cast<double>(o.beta1), stepNumber);
        const double bc2 = 1 - std::pow(static_cast<double>(o.beta2), stepNumber);
        const float stepSize = static_cast<float>(o.lr / bc1);
        const float invSqrtBc2 = static_cast<float>(1 / std::sqrt(bc2));
        const float decay = 1 - o.lr * o.weightDecay;
        for (Tensor& t : tensors_) {
            float* p = t.value.data();
            float *m = t.m.data(), *v = t.v.data();
            const float* g = t.grad.data();
            const bool decays = t.matrix && o.weightDecay != 0;
            for (size_t i = 0; i < t.value.size(); ++i) {
                if (decays) p[i] *= decay;
                m[i] = o.beta1 * m[i] + (1 - o.beta1) * g[i];
                v[i] = o.beta2 * v[i] + (1 - o.beta2) * g[i] * g[i];
                p[i] -= stepSize * m[i] / (std::sqrt(v[i]) * invSqrtBc2 + o.eps);
            }
        }
        return loss;
    }

    // Forward and backward only: the mean cross-entropy over batch * seq positions; grad()
    // then holds its gradients.
    float lossAndGradients(const std::vector<int32_t>& tokens, const std::vector<int32_t>& targets,
                           int batch) {
        validate(tokens, targets, batch);
        allocate(batch);
        forward(tokens, batch);
        float loss = crossEntropy(targets);
        backward(tokens, batch);
        double ss = 0;
        for (const Tensor& t : tensors_)
            for (float g : t.grad)
                ss += static_cast<double>(g) * g;
        gradNorm_ = std::sqrt(ss);
        return loss;
    }

    const std::vector<float>& param(const std::string& name) const { return find(name).value; }
    // The gradients of the last step (after clipping, if it clipped) or lossAndGradients.
    const std::vector<float>& grad(const std::string& name) const { return find(name).grad; }
    // The global gradient norm of the last step, before clipping.
    double lastGradNorm() const { return gradNorm_; }
    const TinyConfig& config() const { return c_; }

  private:
    struct Tensor {
        std::string name;
        bool matrix = true; // rank 2: weight decay applies
        std::vector<float> value, grad, m, v;
    };
    struct LayerCache {
        std::vector<float> x, inv1, h, q, k, v, p, att, xMid, inv2, f, a, b, g;
    };
    enum Slot { AttnNorm, Wq, Wk, Wv, Wo, FfnNorm, W1, W2, W3 };

    const Tensor& find(const std::string& name) const {
        for (const Tensor& t : tensors_)
            if (t.name == name) return t;
        throw std::invalid_argument("TinyStepFp32: no parameter " + name);
    }
    Tensor& layer(int l, Slot s) { return tensors_[1 + 9 * static_cast<size_t>(l) + s]; }
    Tensor& finalNorm() { return tensors_[1 + 9 * static_cast<size_t>(c_.layers)]; }
    Tensor& output() { return tensors_[2 + 9 * static_cast<size_t>(c_.layers)]; }

    size_t expectedSize(const std::string& name) const {
        size_t d = static_cast<size_t>(c_.dim), h = static_cast<size_t>(c_.hidden);
        if (name == "tok_embeddings" || name == "output") return static_cast<size_t>(c_.vocab) * d;
        if (name.find("norm") != std::string::npos) return d;
        if (name[0] == 'w' && name[1] >= '1' && name[1] <= '3') return h * d;
        return d * d;
    }

    void validate(const std::vector<int32_t>& tokens, const std::vector<int32_t>& targets,
                  int batch) const {
        if (batch <= 0 || tokens.size() != static_cast<size_t>(batch) * c_.seq ||
            targets.size() != tokens.size())
            throw std::invalid_argument("TinyStepFp32: tokens and targets must be [batch, seq]");
        for (size_t i = 0; i < tokens.size(); ++i)
            if (tokens[i] < 0 || tokens[i] >= c_.vocab || targets[i] < 0 || targets[i] >= c_.vocab)
                throw std::invalid_argument("TinyStepFp32: token out of range");
    }

    // Activations for `batch` sequences, kept for the backward pass.
    void allocate(int batch) {
        if (batch == batch_) return;
        batch_ = batch;
        size_t n = static_cast<size_t>(batch) * c_.seq, d = static_cast<size_t>(c_.dim),
               h = static_cast<size_t>(c_.hidden), S = static_cast<size_t>(c_.seq);
        for (LayerCache& lc : layers_) {
            for (auto* b : {&lc.x, &lc.h, &lc.q, &lc.k, &lc.v, &lc.att, &lc.xMid, &lc.f})
                b->assign(n * d, 0.0f);
            for (auto* b : {&lc.a, &lc.b, &lc.g})
                b->assign(n * h, 0.0f);
            lc.inv1.assign(n, 0.0f);
            lc.inv2.assign(n, 0.0f);
            lc.p.assign(static_cast<size_t>(batch) * c_.heads * S * S, 0.0f);
        }
        for (auto* b : {&x_, &nF_, &dx_, &dn_, &dq_, &dk_, &dv_})
            b->assign(n * d, 0.0f);
        for (auto* b : {&dg_, &da_, &db_})
            b->assign(n * h, 0.0f);
        invF_.assign(n, 0.0f);
        logits_.assign(n * static_cast<size_t>(c_.vocab), 0.0f);
        dP_.assign(S * S, 0.0f);
    }

    // C [m, n] = alpha op(A) op(B) + beta C, row-major.
    static void gemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda,
                     const float* b, int ldb, float beta, float* c, int ldc) {
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
    // y [n, out] = x [n, in] W^T: W x for every position at once.
    static void linear(const float* x, const std::vector<float>& w, float* y, int n, int in,
                       int out) {
        gemm(false, true, n, out, in, 1, x, in, w.data(), in, 0, y, out);
    }
    // dx [n, in] (+)= dy W; dW [out, in] = dy^T x (each weight is used once per step).
    static void linearBackward(const float* x, const std::vector<float>& w, const float* dy,
                               float* dx, float dxBeta, std::vector<float>& dw, int n, int in,
                               int out) {
        gemm(false, false, n, in, out, 1, dy, out, w.data(), in, dxBeta, dx, in);
        gemm(true, false, out, in, n, 1, dy, out, x, in, 0, dw.data(), in);
    }

    void rmsnorm(const float* x, const std::vector<float>& w, float* y, float* inv, int n) const {
        const int d = c_.dim;
        for (int r = 0; r < n; ++r) {
            const float* xr = x + static_cast<size_t>(r) * d;
            float ss = 0;
            for (int i = 0; i < d; ++i)
                ss += xr[i] * xr[i];
            inv[r] = 1 / std::sqrt(ss / d + c_.normEps);
            for (int i = 0; i < d; ++i)
                y[static_cast<size_t>(r) * d + i] = xr[i] * inv[r] * w[i];
        }
    }
    // dx += inv dy w - inv^3 x (sum_j dy_j w_j x_j) / d; dw += dy x inv (dw zeroed by caller).
    void rmsnormBackward(const float* x, const std::vector<float>& w, const float* inv,
                         const float* dy, float* dx, std::vector<float>& dw, int n) const {
        const int d = c_.dim;
        for (int r = 0; r < n; ++r) {
            size_t base = static_cast<size_t>(r) * d;
            float dot = 0;
            for (int i = 0; i < d; ++i) {
                dot += dy[base + i] * w[i] * x[base + i];
                dw[i] += dy[base + i] * x[base + i] * inv[r];
            }
            float k = inv[r] * inv[r] * inv[r] * dot / d;
            for (int i = 0; i < d; ++i)
                dx[base + i] += inv[r] * dy[base + i] * w[i] - k * x[base + i];
        }
    }
    // Rotates each head's pair (2i, 2i+1); `transpose` is the inverse, the backward map.
    void rope(float* v, int n, bool transpose) const {
        const int d = c_.dim, hd = c_.dim / c_.heads;
        for (int r = 0; r < n; ++r) {
            int s = r % c_.seq;
            for (int ch = 0; ch < d; ch += 2) {
                size_t t = static_cast<size_t>(s) * (hd / 2) + (ch % hd) / 2;
                float cs = cos_[t], sn = transpose ? -sin_[t] : sin_[t];
                float* pair = v + static_cast<size_t>(r) * d + ch;
                float a = pair[0], b = pair[1];
                pair[0] = a * cs - b * sn;
                pair[1] = a * sn + b * cs;
            }
        }
    }

    void forward(const std::vector<int32_t>& tokens, int batch) {
        const int n = batch * c_.seq, d = c_.dim, hd = d / c_.heads, S = c_.seq, H = c_.hidden;
        const float scale = 1 / std::sqrt(static_cast<float>(hd));
        const std::vector<float>& emb = tensors_[0].value;
        for (int r = 0; r < n; ++r)
            std::copy_n(&emb[static_cast<size_t>(tokens[r]) * d], d,
                        &x_[static_cast<size_t>(r) * d]);
        for (int l = 0; l < c_.layers; ++l) {
            LayerCache& lc = layers_[l];
            lc.x = x_;
            rmsnorm(x_.data(), layer(l, AttnNorm).value, lc.h.data(), lc.inv1.data(), n);
            linear(lc.h.data(), layer(l, Wq).value, lc.q.data(), n, d, d);
            linear(lc.h.data(), layer(l, Wk).value, lc.k.data(), n, d, d);
            linear(lc.h.data(), layer(l, Wv).value, lc.v.data(), n, d, d);
            rope(lc.q.data(), n, false);
            rope(lc.k.data(), n, false);
            for (int bt = 0; bt < batch; ++bt)
                for (int hh = 0; hh < c_.heads; ++hh) {
                    size_t off = static_cast<size_t>(bt) * S * d + static_cast<size_t>(hh) * hd;
                    float* P = &lc.p[(static_cast<size_t>(bt) * c_.heads + hh) * S * S];
                    // scores = Q K^T * scale, then a causal softmax per row.
                    gemm(false, true, S, S, hd, scale, &lc.q[off], d, &lc.k[off], d, 0, P, S);
                    for (int s = 0; s < S; ++s) {
                        float* row = P + static_cast<size_t>(s) * S;
                        float top = *std::max_element(row, row + s + 1), sum = 0;
                        for (int t = 0; t <= s; ++t)
                            sum += row[t] = std::exp(row[t] - top);
                        for (int t = 0; t <= s; ++t)
                            row[t] /= sum;
                        std::fill(row + s + 1, row + S, 0.0f);
                    }
                    gemm(false, false, S, hd, S, 1, P, S, &lc.v[off], d, 0, &lc.att[off], d);
                }
            // xMid = x + att Wo^T, written over a copy of x by beta = 1.
            lc.xMid = x_;
            gemm(false, true, n, d, d, 1, lc.att.data(), d, layer(l, Wo).value.data(), d, 1,
                 lc.xMid.data(), d);
            rmsnorm(lc.xMid.data(), layer(l, FfnNorm).value, lc.f.data(), lc.inv2.data(), n);
            linear(lc.f.data(), layer(l, W1).value, lc.a.data(), n, d, H);
            linear(lc.f.data(), layer(l, W3).value, lc.b.data(), n, d, H);
            for (size_t i = 0; i < lc.a.size(); ++i)
                lc.g[i] = lc.a[i] / (1 + std::exp(-lc.a[i])) * lc.b[i];
            x_ = lc.xMid;
            gemm(false, true, n, d, H, 1, lc.g.data(), H, layer(l, W2).value.data(), H, 1,
                 x_.data(), d);
        }
        rmsnorm(x_.data(), finalNorm().value, nF_.data(), invF_.data(), n);
        linear(nF_.data(), output().value, logits_.data(), n, d, c_.vocab);
    }

    // The mean -log softmax[target]; leaves d loss / d logits = (softmax - onehot) / n in
    // logits_.
    float crossEntropy(const std::vector<int32_t>& targets) {
        const int V = c_.vocab, n = static_cast<int>(targets.size());
        double total = 0;
        for (int r = 0; r < n; ++r) {
            float* z = &logits_[static_cast<size_t>(r) * V];
            float top = *std::max_element(z, z + V), sum = 0;
            total -= z[targets[r]] - top;
            for (int v = 0; v < V; ++v)
                sum += z[v] = std::exp(z[v] - top);
            total += std::log(sum);
            for (int v = 0; v < V; ++v)
                z[v] = z[v] / sum / n;
            z[targets[r]] -= 1.0f / n;
        }
        return static_cast<float>(total / n);
    }

    void backward(const std::vector<int32_t>& tokens, int batch) {
        const int n = batch * c_.seq, d = c_.dim, hd = d / c_.heads, S = c_.seq, H = c_.hidden;
        const float scale = 1 / std::sqrt(static_cast<float>(hd));
        for (Tensor& t : tensors_)
            if (!t.matrix) std::fill(t.grad.begin(), t.grad.end(), 0.0f);
        linearBackward(nF_.data(), output().value, logits_.data(), dn_.data(), 0, output().grad, n,
                       d, c_.vocab);
        std::fill(dx_.begin(), dx_.end(), 0.0f);
        rmsnormBackward(x_.data(), finalNorm().value, invF_.data(), dn_.data(), dx_.data(),
                        finalNorm().grad, n);
        for (int l = c_.layers - 1; l >= 0; --l) {
            LayerCache& lc = layers_[l];
            // x = xMid + W2 g: the residual passes dx through.
            linearBackward(lc.g.data(), layer(l, W2).value, dx_.data(), dg_.data(), 0,
                           layer(l, W2).grad, n, H, d);
            // g = silu(a) b, silu'(a) = sig (1 + a (1 - sig)).
            for (size_t i = 0; i < dg_.size(); ++i) {
                float sig = 1 / (1 + std::exp(-lc.a[i]));
                da_[i] = dg_[i] * lc.b[i] * sig * (1 + lc.a[i] * (1 - sig));
                db_[i] = dg_[i] * lc.a[i] * sig;
            }
            linearBackward(lc.f.data(), layer(l, W1).value, da_.data(), dn_.data(), 0,
                           layer(l, W1).grad, n, d, H);
            linearBackward(lc.f.data(), layer(l, W3).value, db_.data(), dn_.data(), 1,
                           layer(l, W3).grad, n, d, H);
            rmsnormBackward(lc.xMid.data(), layer(l, FfnNorm).value, lc.inv2.data(), dn_.data(),
                            dx_.data(), layer(l, FfnNorm).grad, n);
            // xMid = x + Wo att: datt goes to dn_.
            linearBackward(lc.att.data(), layer(l, Wo).value, dx_.data(), dn_.data(), 0,
                           layer(l, Wo).grad, n, d, d);
            for (int bt = 0; bt < batch; ++bt)
                for (int hh = 0; hh < c_.heads; ++hh) {
                    size_t off = static_cast<size_t>(bt) * S * d + static_cast<size_t>(hh) * hd;
                    const float* P = &lc.p[(static_cast<size_t>(bt) * c_.heads + hh) * S * S];
                    const float* dO = &dn_[off];
                    // dP = dO V^T, dV = P^T dO.
                    gemm(false, true, S, S, hd, 1, dO, d, &lc.v[off], d, 0, dP_.data(), S);
                    gemm(true, false, S, hd, S, 1, P, S, dO, d, 0, &dv_[off], d);
                    // Softmax reverse, scaled: dS = p (dP - sum_t p dP) * scale (0 where masked).
                    for (int s = 0; s < S; ++s) {
                        const float* p = P + static_cast<size_t>(s) * S;
                        float* g = &dP_[static_cast<size_t>(s) * S];
                        float dot = 0;
                        for (int t = 0; t <= s; ++t)
                            dot += p[t] * g[t];
                        for (int t = 0; t < S; ++t)
                            g[t] = t <= s ? p[t] * (g[t] - dot) * scale : 0.0f;
                    }
                    // dQ = dS K, dK = dS^T Q.
                    gemm(false, false, S, hd, S, 1, dP_.data(), S, &lc.k[off], d, 0, &dq_[off], d);
                    gemm(true, false, S, hd, S, 1, dP_.data(), S, &lc.q[off], d, 0, &dk_[off], d);
                }
            rope(dq_.data(), n, true);
            rope(dk_.data(), n, true);
            // dh = dq Wq + dk Wk + dv Wv, into dn_ (datt is no longer needed).
            linearBackward(lc.h.data(), layer(l, Wq).value, dq_.data(), dn_.data(), 0,
                           layer(l, Wq).grad, n, d, d);
            linearBackward(lc.h.data(), layer(l, Wk).value, dk_.data(), dn_.data(), 1,
                           layer(l, Wk).grad, n, d, d);
            linearBackward(lc.h.data(), layer(l, Wv).value, dv_.data(), dn_.data(), 1,
                           layer(l, Wv).grad, n, d, d);
            rmsnormBackward(lc.x.data(), layer(l, AttnNorm).value, lc.inv1.data(), dn_.data(),
                            dx_.data(), layer(l, AttnNorm).grad, n);
        }
        // The gather's reverse: repeated tokens add their rows.
        std::vector<float>& demb = tensors_[0].grad;
        std::fill(demb.begin(), demb.end(), 0.0f);
        for (int r = 0; r < n; ++r)
            for (int i = 0; i < d; ++i)
                demb[static_cast<size_t>(tokens[r]) * d + i] += dx_[static_cast<size_t>(r) * d + i];
    }

    TinyConfig c_;
    std::vector<Tensor> tensors_;
    std::vector<float> cos_, sin_;
    std::vector<LayerCache> layers_;
    int batch_ = 0;
    std::vector<float> x_, nF_, invF_, logits_, dx_, dn_, dq_, dk_, dv_, dg_, da_, db_, dP_;
    double gradNorm_ = 0;
};

} // namespace anec::bench
