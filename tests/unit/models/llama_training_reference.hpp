#pragma once
// An independent float64 training step of the llama2.c model (the forward of
// llama_reference.hpp with learnable norm weights): loss, hand-derived reverse-mode gradients,
// and the optimizers, clipping and learning-rate schedule as PyTorch defines them. It is the
// check of anec's training step, so nothing here uses anec.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace anec::test::llama_train {

struct Config {
    int dim, hidden, heads, layers, vocab, seq;
    double normEps = 1e-5;
    double ropeTheta = 10000;
};

// Matrices are row-major [out, in] and map x to W x.
struct LayerParams {
    std::vector<double> attention_norm; // [dim]
    std::vector<double> wq, wk, wv, wo; // [dim, dim]
    std::vector<double> ffn_norm;       // [dim]
    std::vector<double> w1;             // [hidden, dim]
    std::vector<double> w2;             // [dim, hidden]
    std::vector<double> w3;             // [hidden, dim]
};

struct Params {
    std::vector<double> tok_embeddings; // [vocab, dim]
    std::vector<double> norm;           // [dim]
    std::vector<double> output;         // [vocab, dim]
    std::vector<LayerParams> layers;
};

// Gradients and optimizer state have the shape of the parameters.
using Gradients = Params;

namespace detail {
template <class P, class V> std::vector<std::pair<std::string, V*>> named(P& p) {
    std::vector<std::pair<std::string, V*>> out{{"tok_embeddings", &p.tok_embeddings}};
    for (size_t l = 0; l < p.layers.size(); ++l) {
        auto& L = p.layers[l];
        std::string s = "_" + std::to_string(l);
        out.insert(out.end(), {{"attention_norm" + s, &L.attention_norm},
                               {"wq" + s, &L.wq},
                               {"wk" + s, &L.wk},
                               {"wv" + s, &L.wv},
                               {"wo" + s, &L.wo},
                               {"ffn_norm" + s, &L.ffn_norm},
                               {"w1" + s, &L.w1},
                               {"w2" + s, &L.w2},
                               {"w3" + s, &L.w3}});
    }
    out.push_back({"norm", &p.norm});
    out.push_back({"output", &p.output});
    return out;
}
} // namespace detail

// Every parameter by name: tok_embeddings, per layer l attention_norm_l wq_l wk_l wv_l wo_l
// ffn_norm_l w1_l w2_l w3_l, then norm, output.
inline std::vector<std::pair<std::string, std::vector<double>*>> named(Params& p) {
    return detail::named<Params, std::vector<double>>(p);
}
inline std::vector<std::pair<std::string, const std::vector<double>*>> named(const Params& p) {
    return detail::named<const Params, const std::vector<double>>(p);
}

// The norm weights are the only rank-1 parameters; weight decay applies to the rest.
inline bool isMatrix(const std::string& name) {
    return name.find("norm") == std::string::npos;
}

inline Params zeros(const Config& c) {
    size_t d = static_cast<size_t>(c.dim), h = static_cast<size_t>(c.hidden),
           v = static_cast<size_t>(c.vocab);
    Params p;
    p.tok_embeddings.assign(v * d, 0.0);
    p.norm.assign(d, 0.0);
    p.output.assign(v * d, 0.0);
    for (int l = 0; l < c.layers; ++l) {
        LayerParams L;
        L.attention_norm.assign(d, 0.0);
        L.ffn_norm.assign(d, 0.0);
        for (auto* w : {&L.wq, &L.wk, &L.wv, &L.wo})
            w->assign(d * d, 0.0);
        for (auto* w : {&L.w1, &L.w2, &L.w3})
            w->assign(h * d, 0.0);
        p.layers.push_back(std::move(L));
    }
    return p;
}

inline Params zerosLike(const Params& p) {
    Params z = p;
    for (auto& [name, values] : named(z))
        std::fill(values->begin(), values->end(), 0.0);
    return z;
}

// Uniform(-1, 1) embeddings, Uniform(-1, 1) / sqrt(fan-in) matrices and norm weights near 1
// (not exactly 1, so that their gradients are exercised), from SplitMix64.
inline Params randomParams(const Config& c, uint64_t seed) {
    uint64_t state = seed;
    auto uniform = [&state] {
        state += 0x9E3779B97F4A7C15ull;
        uint64_t z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        return 2 * (static_cast<double>(z >> 11) * 0x1.0p-53) - 1;
    };
    Params p = zeros(c);
    for (auto& [name, values] : named(p)) {
        double fanIn = name.rfind("w2_", 0) == 0 ? c.hidden : c.dim;
        for (double& value : *values) {
            if (!isMatrix(name))
                value = 1 + 0.2 * uniform();
            else if (name == "tok_embeddings")
                value = uniform();
            else
                value = uniform() / std::sqrt(fanIn);
        }
    }
    return p;
}

namespace detail {

// y [n, out] = x [n, in] W^T for W [out, in]: y_r = W x_r per row.
inline void linear(const std::vector<double>& x, const std::vector<double>& w,
                   std::vector<double>& y, int n, int in, int out) {
    y.assign(static_cast<size_t>(n) * out, 0.0);
    for (int r = 0; r < n; ++r)
        for (int o = 0; o < out; ++o) {
            double sum = 0;
            for (int i = 0; i < in; ++i)
                sum += w[static_cast<size_t>(o) * in + i] * x[static_cast<size_t>(r) * in + i];
            y[static_cast<size_t>(r) * out + o] = sum;
        }
}

// Reverse of `linear`: dx += dy W, dW += dy^T x.
inline void linearBackward(const std::vector<double>& x, const std::vector<double>& w,
                           const std::vector<double>& dy, std::vector<double>& dx,
                           std::vector<double>& dw, int n, int in, int out) {
    for (int r = 0; r < n; ++r)
        for (int o = 0; o < out; ++o) {
            double g = dy[static_cast<size_t>(r) * out + o];
            for (int i = 0; i < in; ++i) {
                dx[static_cast<size_t>(r) * in + i] += g * w[static_cast<size_t>(o) * in + i];
                dw[static_cast<size_t>(o) * in + i] += g * x[static_cast<size_t>(r) * in + i];
            }
        }
}

// y = x * inv * w with inv = 1 / sqrt(mean(x^2) + eps) per row of d channels.
inline void rmsnorm(const std::vector<double>& x, const std::vector<double>& w, double eps,
                    std::vector<double>& y, std::vector<double>& inv, int n, int d) {
    y.assign(x.size(), 0.0);
    inv.assign(static_cast<size_t>(n), 0.0);
    for (int r = 0; r < n; ++r) {
        const double* xr = &x[static_cast<size_t>(r) * d];
        double ss = 0;
        for (int i = 0; i < d; ++i)
            ss += xr[i] * xr[i];
        inv[r] = 1 / std::sqrt(ss / d + eps);
        for (int i = 0; i < d; ++i)
            y[static_cast<size_t>(r) * d + i] = xr[i] * inv[r] * w[i];
    }
}

// Reverse of `rmsnorm`. With u_i = dy_i w_i and d inv / d x_i = -inv^3 x_i / d:
// dx_i += inv u_i - inv^3 x_i (sum_j u_j x_j) / d, dw_i += dy_i x_i inv.
inline void rmsnormBackward(const std::vector<double>& x, const std::vector<double>& w,
                            const std::vector<double>& inv, const std::vector<double>& dy,
                            std::vector<double>& dx, std::vector<double>& dw, int n, int d) {
    for (int r = 0; r < n; ++r) {
        size_t base = static_cast<size_t>(r) * d;
        double dot = 0;
        for (int i = 0; i < d; ++i) {
            dot += dy[base + i] * w[i] * x[base + i];
            dw[i] += dy[base + i] * x[base + i] * inv[r];
        }
        double k = inv[r] * inv[r] * inv[r] * dot / d;
        for (int i = 0; i < d; ++i)
            dx[base + i] += inv[r] * dy[base + i] * w[i] - k * x[base + i];
    }
}

// Rotates channel pairs (2i, 2i+1) of each head by s * theta^(-2i/headDim) at position
// s = row % seq; `transpose` applies the inverse rotation, which is the reverse-mode map.
inline void rope(std::vector<double>& v, const Config& c, int n, bool transpose) {
    int hd = c.dim / c.heads;
    for (int r = 0; r < n; ++r) {
        int s = r % c.seq;
        for (int ch = 0; ch < c.dim; ch += 2) {
            int i = (ch % hd) / 2;
            double angle = s * std::pow(c.ropeTheta, -2.0 * i / hd);
            double cs = std::cos(angle), sn = transpose ? -std::sin(angle) : std::sin(angle);
            double& a = v[static_cast<size_t>(r) * c.dim + ch];
            double& b = v[static_cast<size_t>(r) * c.dim + ch + 1];
            double a0 = a, b0 = b;
            a = a0 * cs - b0 * sn;
            b = a0 * sn + b0 * cs;
        }
    }
}

inline double silu(double z) {
    return z / (1 + std::exp(-z));
}

struct LayerCache {
    std::vector<double> x, inv1, h, q, k, v, p, att, xMid, inv2, f, a, b, g;
};

struct ForwardCache {
    std::vector<LayerCache> layers;
    std::vector<double> x, invF, nF, logits;
};

inline void validate(const Config& c, const Params& p, const std::vector<int>& tokens, int batch) {
    if (c.dim % c.heads != 0 || (c.dim / c.heads) % 2 != 0)
        throw std::invalid_argument("llama_train: head_dim must be an even divisor of dim");
    if (batch <= 0 || tokens.size() != static_cast<size_t>(batch) * c.seq)
        throw std::invalid_argument("llama_train: tokens must be [batch, seq]");
    for (int t : tokens)
        if (t < 0 || t >= c.vocab) throw std::invalid_argument("llama_train: token out of range");
    Params shape = zeros(c);
    auto want = named(static_cast<const Params&>(shape));
    auto have = named(p);
    if (have.size() != want.size())
        throw std::invalid_argument("llama_train: wrong number of layers");
    for (size_t i = 0; i < have.size(); ++i)
        if (have[i].second->size() != want[i].second->size())
            throw std::invalid_argument("llama_train: wrong size of " + have[i].first);
}

inline ForwardCache forward(const Config& c, const Params& p, const std::vector<int>& tokens,
                            int batch) {
    validate(c, p, tokens, batch);
    const int n = batch * c.seq, d = c.dim, hd = c.dim / c.heads, S = c.seq;
    const double scale = 1 / std::sqrt(static_cast<double>(hd));
    ForwardCache fc;
    std::vector<double> x(static_cast<size_t>(n) * d);
    for (int r = 0; r < n; ++r)
        std::copy_n(&p.tok_embeddings[static_cast<size_t>(tokens[r]) * d], d,
                    &x[static_cast<size_t>(r) * d]);
    for (const LayerParams& L : p.layers) {
        LayerCache lc;
        lc.x = x;
        rmsnorm(x, L.attention_norm, c.normEps, lc.h, lc.inv1, n, d);
        linear(lc.h, L.wq, lc.q, n, d, d);
        linear(lc.h, L.wk, lc.k, n, d, d);
        linear(lc.h, L.wv, lc.v, n, d, d);
        rope(lc.q, c, n, false);
        rope(lc.k, c, n, false);
        // p [batch, heads, S, S]; entries t > s stay 0 (masked out of the softmax).
        lc.p.assign(static_cast<size_t>(batch) * c.heads * S * S, 0.0);
        lc.att.assign(static_cast<size_t>(n) * d, 0.0);
        for (int bt = 0; bt < batch; ++bt)
            for (int hh = 0; hh < c.heads; ++hh)
                for (int s = 0; s < S; ++s) {
                    double* prow = &lc.p[((static_cast<size_t>(bt) * c.heads + hh) * S + s) * S];
                    const double* qs = &lc.q[(static_cast<size_t>(bt) * S + s) * d + hh * hd];
                    double top = -1e300;
                    for (int t = 0; t <= s; ++t) {
                        const double* kt = &lc.k[(static_cast<size_t>(bt) * S + t) * d + hh * hd];
                        double dot = 0;
                        for (int i = 0; i < hd; ++i)
                            dot += qs[i] * kt[i];
                        prow[t] = dot * scale;
                        top = std::max(top, prow[t]);
                    }
                    double sum = 0;
                    for (int t = 0; t <= s; ++t)
                        sum += prow[t] = std::exp(prow[t] - top);
                    double* out = &lc.att[(static_cast<size_t>(bt) * S + s) * d + hh * hd];
                    for (int t = 0; t <= s; ++t) {
                        prow[t] /= sum;
                        const double* vt = &lc.v[(static_cast<size_t>(bt) * S + t) * d + hh * hd];
                        for (int i = 0; i < hd; ++i)
                            out[i] += prow[t] * vt[i];
                    }
                }
        std::vector<double> proj;
        linear(lc.att, L.wo, proj, n, d, d);
        for (size_t i = 0; i < x.size(); ++i)
            x[i] += proj[i];
        lc.xMid = x;
        rmsnorm(x, L.ffn_norm, c.normEps, lc.f, lc.inv2, n, d);
        linear(lc.f, L.w1, lc.a, n, d, c.hidden);
        linear(lc.f, L.w3, lc.b, n, d, c.hidden);
        lc.g.resize(lc.a.size());
        for (size_t i = 0; i < lc.a.size(); ++i)
            lc.g[i] = silu(lc.a[i]) * lc.b[i];
        linear(lc.g, L.w2, proj, n, c.hidden, d);
        for (size_t i = 0; i < x.size(); ++i)
            x[i] += proj[i];
        fc.layers.push_back(std::move(lc));
    }
    fc.x = x;
    rmsnorm(x, p.norm, c.normEps, fc.nF, fc.invF, n, d);
    linear(fc.nF, p.output, fc.logits, n, d, c.vocab);
    return fc;
}

} // namespace detail

// logits [batch * seq, vocab] for tokens [batch, seq].
inline std::vector<double> forwardLogits(const Config& c, const Params& p,
                                         const std::vector<int>& tokens, int batch) {
    return detail::forward(c, p, tokens, batch).logits;
}

// The mean over all batch * seq positions of -log softmax(logits)[target].
inline double meanLoss(const Config& c, const Params& p, const std::vector<int>& tokens,
                       const std::vector<int>& targets, int batch) {
    std::vector<double> logits = forwardLogits(c, p, tokens, batch);
    if (targets.size() != tokens.size())
        throw std::invalid_argument("llama_train: targets must be [batch, seq]");
    const int n = batch * c.seq, V = c.vocab;
    double total = 0;
    for (int r = 0; r < n; ++r) {
        if (targets[r] < 0 || targets[r] >= V)
            throw std::invalid_argument("llama_train: target out of range");
        const double* z = &logits[static_cast<size_t>(r) * V];
        double top = *std::max_element(z, z + V), sum = 0;
        for (int v = 0; v < V; ++v)
            sum += std::exp(z[v] - top);
        total += top + std::log(sum) - z[targets[r]];
    }
    return total / n;
}

// The mean over all batch * seq positions of -log softmax(logits)[target], and its gradient
// with respect to every parameter (grads is overwritten).
inline double lossAndGradients(const Config& c, const Params& p, const std::vector<int>& tokens,
                               const std::vector<int>& targets, int batch, Params& grads) {
    using namespace detail;
    ForwardCache fc = forward(c, p, tokens, batch);
    if (targets.size() != tokens.size())
        throw std::invalid_argument("llama_train: targets must be [batch, seq]");
    const int n = batch * c.seq, d = c.dim, hd = c.dim / c.heads, S = c.seq, V = c.vocab;
    const double scale = 1 / std::sqrt(static_cast<double>(hd));
    grads = zeros(c);

    // Cross-entropy: d loss / d logit = (softmax - onehot(target)) / n.
    double loss = 0;
    std::vector<double> dlogits(fc.logits.size());
    for (int r = 0; r < n; ++r) {
        if (targets[r] < 0 || targets[r] >= V)
            throw std::invalid_argument("llama_train: target out of range");
        const double* z = &fc.logits[static_cast<size_t>(r) * V];
        double top = *std::max_element(z, z + V), sum = 0;
        for (int v = 0; v < V; ++v)
            sum += std::exp(z[v] - top);
        loss += top + std::log(sum) - z[targets[r]];
        for (int v = 0; v < V; ++v)
            dlogits[static_cast<size_t>(r) * V + v] =
                (std::exp(z[v] - top) / sum - (v == targets[r] ? 1.0 : 0.0)) / n;
    }
    loss /= n;

    std::vector<double> dnF(static_cast<size_t>(n) * d, 0.0), dx(dnF.size(), 0.0);
    linearBackward(fc.nF, p.output, dlogits, dnF, grads.output, n, d, V);
    rmsnormBackward(fc.x, p.norm, fc.invF, dnF, dx, grads.norm, n, d);

    for (int l = c.layers - 1; l >= 0; --l) {
        const LayerParams& L = p.layers[l];
        LayerParams& G = grads.layers[l];
        const LayerCache& lc = fc.layers[l];
        // x = xMid + w2 g; dx flows to xMid unchanged.
        std::vector<double> dg(lc.g.size(), 0.0);
        linearBackward(lc.g, L.w2, dx, dg, G.w2, n, c.hidden, d);
        // g = silu(a) b, silu'(a) = sig(a) (1 + a (1 - sig(a))).
        std::vector<double> da(dg.size()), db(dg.size());
        for (size_t i = 0; i < dg.size(); ++i) {
            double sig = 1 / (1 + std::exp(-lc.a[i]));
            da[i] = dg[i] * lc.b[i] * sig * (1 + lc.a[i] * (1 - sig));
            db[i] = dg[i] * silu(lc.a[i]);
        }
        std::vector<double> df(static_cast<size_t>(n) * d, 0.0);
        linearBackward(lc.f, L.w1, da, df, G.w1, n, d, c.hidden);
        linearBackward(lc.f, L.w3, db, df, G.w3, n, d, c.hidden);
        rmsnormBackward(lc.xMid, L.ffn_norm, lc.inv2, df, dx, G.ffn_norm, n, d);

        // xMid = x + wo att.
        std::vector<double> datt(static_cast<size_t>(n) * d, 0.0);
        linearBackward(lc.att, L.wo, dx, datt, G.wo, n, d, d);
        // att_s = sum_t p_st v_t, p = softmax(score), score_st = q_s . k_t * scale.
        std::vector<double> dq(datt.size(), 0.0), dk(datt.size(), 0.0), dv(datt.size(), 0.0);
        std::vector<double> dp(static_cast<size_t>(S));
        for (int bt = 0; bt < batch; ++bt)
            for (int hh = 0; hh < c.heads; ++hh)
                for (int s = 0; s < S; ++s) {
                    const double* prow =
                        &lc.p[((static_cast<size_t>(bt) * c.heads + hh) * S + s) * S];
                    size_t rs = (static_cast<size_t>(bt) * S + s) * d + hh * hd;
                    double weighted = 0;
                    for (int t = 0; t <= s; ++t) {
                        size_t rt = (static_cast<size_t>(bt) * S + t) * d + hh * hd;
                        double dot = 0;
                        for (int i = 0; i < hd; ++i) {
                            dot += datt[rs + i] * lc.v[rt + i];
                            dv[rt + i] += prow[t] * datt[rs + i];
                        }
                        dp[t] = dot;
                        weighted += prow[t] * dot;
                    }
                    // Softmax reverse: dscore_t = p_t (dp_t - sum_u p_u dp_u).
                    for (int t = 0; t <= s; ++t) {
                        size_t rt = (static_cast<size_t>(bt) * S + t) * d + hh * hd;
                        double ds = prow[t] * (dp[t] - weighted) * scale;
                        for (int i = 0; i < hd; ++i) {
                            dq[rs + i] += ds * lc.k[rt + i];
                            dk[rt + i] += ds * lc.q[rs + i];
                        }
                    }
                }
        rope(dq, c, n, true);
        rope(dk, c, n, true);
        std::vector<double> dh(static_cast<size_t>(n) * d, 0.0);
        linearBackward(lc.h, L.wq, dq, dh, G.wq, n, d, d);
        linearBackward(lc.h, L.wk, dk, dh, G.wk, n, d, d);
        linearBackward(lc.h, L.wv, dv, dh, G.wv, n, d, d);
        rmsnormBackward(lc.x, L.attention_norm, lc.inv1, dh, dx, G.attention_norm, n, d);
    }
    // The gather's reverse: repeated tokens add their rows.
    for (int r = 0; r < n; ++r)
        for (int i = 0; i < d; ++i)
            grads.tok_embeddings[static_cast<size_t>(tokens[r]) * d + i] +=
                dx[static_cast<size_t>(r) * d + i];
    return loss;
}

namespace detail {
inline void checkSameShape(const Params& a, const Params& b) {
    auto x = named(a), y = named(b);
    if (x.size() != y.size()) throw std::invalid_argument("llama_train: parameter lists differ");
    for (size_t i = 0; i < x.size(); ++i)
        if (x[i].second->size() != y[i].second->size())
            throw std::invalid_argument("llama_train: shapes of " + x[i].first + " differ");
}
} // namespace detail

struct AdamWOptions {
    double lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.0;
};

// torch.optim.AdamW (amsgrad off), step t counted from 1, m and v start at zero:
//   p <- p (1 - lr wd)                      (rank-2 parameters only)
//   m <- b1 m + (1 - b1) g
//   v <- b2 v + (1 - b2) g^2
//   p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// Plain Adam is weightDecay = 0.
inline void adamwStep(Params& p, const Params& g, Params& m, Params& v, int step,
                      const AdamWOptions& o) {
    if (step < 1) throw std::invalid_argument("llama_train: steps count from 1");
    detail::checkSameShape(p, g);
    detail::checkSameShape(p, m);
    detail::checkSameShape(p, v);
    double bc1 = 1 - std::pow(o.beta1, step), bc2 = 1 - std::pow(o.beta2, step);
    auto P = named(p), M = named(m), Vs = named(v);
    auto G = named(g);
    for (size_t k = 0; k < P.size(); ++k) {
        bool decay = isMatrix(P[k].first);
        std::vector<double>& pv = *P[k].second;
        for (size_t i = 0; i < pv.size(); ++i) {
            double gi = (*G[k].second)[i];
            double& mi = (*M[k].second)[i];
            double& vi = (*Vs[k].second)[i];
            if (decay) pv[i] *= 1 - o.lr * o.weightDecay;
            mi = o.beta1 * mi + (1 - o.beta1) * gi;
            vi = o.beta2 * vi + (1 - o.beta2) * gi * gi;
            pv[i] -= o.lr / bc1 * mi / (std::sqrt(vi) / std::sqrt(bc2) + o.eps);
        }
    }
}

struct SgdOptions {
    double lr, momentum = 0, weightDecay = 0;
};

// torch.optim.SGD (dampening 0, not Nesterov):
//   g' = g + wd p                           (rank-2 parameters only)
//   buf <- momentum buf + g'                (buf starts at zero: the first step gives g')
//   p <- p - lr buf
inline void sgdStep(Params& p, const Params& g, Params& buf, const SgdOptions& o) {
    detail::checkSameShape(p, g);
    detail::checkSameShape(p, buf);
    auto P = named(p), B = named(buf);
    auto G = named(g);
    for (size_t k = 0; k < P.size(); ++k) {
        bool decay = isMatrix(P[k].first);
        std::vector<double>& pv = *P[k].second;
        for (size_t i = 0; i < pv.size(); ++i) {
            double gi = (*G[k].second)[i] + (decay ? o.weightDecay * pv[i] : 0.0);
            double& bi = (*B[k].second)[i];
            bi = o.momentum * bi + gi;
            pv[i] -= o.lr * bi;
        }
    }
}

// sqrt of the sum of squares of every gradient entry.
inline double globalNorm(const Params& g) {
    double ss = 0;
    for (const auto& [name, values] : named(g))
        for (double x : *values)
            ss += x * x;
    return std::sqrt(ss);
}

// torch.nn.utils.clip_grad_norm_: coef = maxNorm / (norm + 1e-6); gradients are multiplied by
// coef when it is below 1 (i.e. the norm exceeds maxNorm), left alone otherwise.
inline void clipByGlobalNorm(Params& g, double maxNorm) {
    double coef = maxNorm / (globalNorm(g) + 1e-6);
    if (coef >= 1) return;
    for (auto& [name, values] : named(g))
        for (double& x : *values)
            x *= coef;
}

// Linear warmup to lr over `warmup` steps, then cosine decay to minLr at step decaySteps and
// minLr after it. decaySteps <= warmup means no decay (warmup 0, decaySteps 0: constant lr).
inline double learningRate(int step, double lr, int warmup, int decaySteps, double minLr) {
    if (warmup > 0 && step <= warmup) return lr * step / warmup;
    if (decaySteps <= warmup) return lr;
    double ratio = static_cast<double>(step - warmup) / (decaySteps - warmup);
    ratio = std::clamp(ratio, 0.0, 1.0);
    return minLr + 0.5 * (1 + std::cos(std::numbers::pi * ratio)) * (lr - minLr);
}

} // namespace anec::test::llama_train
