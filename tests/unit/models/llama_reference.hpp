#pragma once
// An independent float64 implementation of the llama2.c forward pass (Karpathy's run.c:
// rmsnorm, RoPE on interleaved channel pairs, causal multi-head attention, SwiGLU, residuals,
// final rmsnorm, classifier), with the weights of examples/stories110m.ane rebuilt from the
// documented generator (docs/language.md: SplitMix64, `scale * (2u - 1)`, row-major) and rounded
// to fp16 as the declared fp16 weights are. Nothing here uses anec.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace anec::test::llama {

struct Config {
    int dim, hidden, heads, layers, vocab, seq;
};

// x rounded to the nearest fp16 value, ties to even (as the compiler rounds fp16 weights),
// straight from double; written out so that it needs neither anec nor a compiler's _Float16.
inline double roundToFp16(double x) {
    if (x == 0 || !std::isfinite(x)) return x;
    int exponent = 0;
    std::frexp(x, &exponent); // |x| = m * 2^exponent, m in [0.5, 1)
    // 11 significant bits for normals; subnormals share the fixed step 2^-24.
    int step = std::max(exponent - 11, -24);
    double scaled = std::ldexp(x, -step);
    double rounded = std::nearbyint(scaled); // the default mode: ties to even
    double result = std::ldexp(rounded, step);
    return std::abs(result) > 65504 ? std::copysign(INFINITY, x) : result;
}

// The generator of `random(seed, scale)`, written from its documentation.
inline std::vector<double> randomWeights(uint64_t seed, double scale, size_t count) {
    std::vector<double> values(count);
    uint64_t state = seed;
    for (double& value : values) {
        state += 0x9E3779B97F4A7C15ull;
        uint64_t z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        double u = static_cast<double>(z >> 11) * 0x1.0p-53;
        // The weight is declared fp16: the compiler rounds to nearest even.
        value = roundToFp16(scale * (2 * u - 1));
    }
    return values;
}

using Matrix = std::vector<double>; // row-major [rows, cols]

struct Layer {
    Matrix wq, wk, wv, wo, w1, w2, w3;
};

struct Weights {
    Matrix embedding, output; // [vocab, dim]
    std::vector<Layer> layers;
};

inline Weights storiesWeights(const Config& c) {
    auto matrix = [](uint64_t seed, int rows, int cols, double fanIn) {
        return randomWeights(seed, 1 / std::sqrt(fanIn), static_cast<size_t>(rows) * cols);
    };
    Weights w;
    w.embedding = randomWeights(1, 1.0, static_cast<size_t>(c.vocab) * c.dim);
    w.output = matrix(2, c.vocab, c.dim, c.dim);
    for (int l = 0; l < c.layers; ++l) {
        uint64_t base = 100 + 10 * static_cast<uint64_t>(l);
        w.layers.push_back(
            {matrix(base, c.dim, c.dim, c.dim), matrix(base + 1, c.dim, c.dim, c.dim),
             matrix(base + 2, c.dim, c.dim, c.dim), matrix(base + 3, c.dim, c.dim, c.dim),
             matrix(base + 4, c.hidden, c.dim, c.dim), matrix(base + 5, c.dim, c.hidden, c.hidden),
             matrix(base + 6, c.hidden, c.dim, c.dim)});
    }
    return w;
}

// y = W x for W [rows, cols].
inline std::vector<double> matvec(const Matrix& w, const std::vector<double>& x, int rows) {
    std::vector<double> y(static_cast<size_t>(rows), 0.0);
    size_t cols = x.size();
    for (size_t r = 0; r < y.size(); ++r)
        for (size_t i = 0; i < cols; ++i)
            y[r] += w[r * cols + i] * x[i];
    return y;
}

// The norm weights of a fresh model are ones.
inline std::vector<double> rmsnorm(const std::vector<double>& x) {
    double ss = 0;
    for (double v : x)
        ss += v * v;
    double scale = 1 / std::sqrt(ss / static_cast<double>(x.size()) + 1e-5);
    std::vector<double> y(x.size());
    for (size_t i = 0; i < x.size(); ++i)
        y[i] = x[i] * scale;
    return y;
}

inline void rope(std::vector<double>& v, int position, int headSize) {
    for (size_t i = 0; i < v.size(); i += 2) {
        double freq = 1.0 / std::pow(10000.0, static_cast<double>(i % headSize) / headSize);
        double angle = position * freq;
        double v0 = v[i], v1 = v[i + 1];
        v[i] = v0 * std::cos(angle) - v1 * std::sin(angle);
        v[i + 1] = v0 * std::sin(angle) + v1 * std::cos(angle);
    }
}

// logits[s][v] for tokens[s].
inline std::vector<std::vector<double>> forward(const Config& c, const Weights& w,
                                                const std::vector<int>& tokens) {
    int hs = c.dim / c.heads;
    std::vector<std::vector<double>> x(tokens.size());
    for (size_t s = 0; s < tokens.size(); ++s)
        x[s].assign(w.embedding.begin() + static_cast<std::ptrdiff_t>(tokens[s]) * c.dim,
                    w.embedding.begin() + static_cast<std::ptrdiff_t>(tokens[s] + 1) * c.dim);
    for (const Layer& layer : w.layers) {
        std::vector<std::vector<double>> q(x.size()), k(x.size()), v(x.size());
        for (size_t s = 0; s < x.size(); ++s) {
            std::vector<double> xb = rmsnorm(x[s]);
            q[s] = matvec(layer.wq, xb, c.dim);
            k[s] = matvec(layer.wk, xb, c.dim);
            v[s] = matvec(layer.wv, xb, c.dim);
            rope(q[s], static_cast<int>(s), hs);
            rope(k[s], static_cast<int>(s), hs);
        }
        for (size_t s = 0; s < x.size(); ++s) {
            std::vector<double> attended(static_cast<size_t>(c.dim), 0.0);
            for (int h = 0; h < c.heads; ++h) {
                std::vector<double> scores(s + 1);
                double top = -1e300;
                for (size_t t = 0; t <= s; ++t) {
                    double dot = 0;
                    for (int i = 0; i < hs; ++i)
                        dot += q[s][h * hs + i] * k[t][h * hs + i];
                    scores[t] = dot / std::sqrt(static_cast<double>(hs));
                    top = std::max(top, scores[t]);
                }
                double sum = 0;
                for (double& score : scores)
                    sum += score = std::exp(score - top);
                for (size_t t = 0; t <= s; ++t)
                    for (int i = 0; i < hs; ++i)
                        attended[h * hs + i] += scores[t] / sum * v[t][h * hs + i];
            }
            std::vector<double> projected = matvec(layer.wo, attended, c.dim);
            for (int i = 0; i < c.dim; ++i)
                x[s][i] += projected[i];
            std::vector<double> xb = rmsnorm(x[s]);
            std::vector<double> gate = matvec(layer.w1, xb, c.hidden);
            std::vector<double> up = matvec(layer.w3, xb, c.hidden);
            for (int i = 0; i < c.hidden; ++i)
                gate[i] = gate[i] / (1 + std::exp(-gate[i])) * up[i];
            std::vector<double> down = matvec(layer.w2, gate, c.dim);
            for (int i = 0; i < c.dim; ++i)
                x[s][i] += down[i];
        }
    }
    std::vector<std::vector<double>> logits;
    for (const std::vector<double>& row : x)
        logits.push_back(matvec(w.output, rmsnorm(row), c.vocab));
    return logits;
}

// Mean over positions of -log softmax(logits[s])[targets[s]].
inline double crossEntropy(const std::vector<std::vector<double>>& logits,
                           const std::vector<int>& targets) {
    double total = 0;
    for (size_t s = 0; s < logits.size(); ++s) {
        double top = -1e300, sum = 0;
        for (double v : logits[s])
            top = std::max(top, v);
        for (double v : logits[s])
            sum += std::exp(v - top);
        total -= logits[s][static_cast<size_t>(targets[s])] - top - std::log(sum);
    }
    return total / static_cast<double>(logits.size());
}

} // namespace anec::test::llama
