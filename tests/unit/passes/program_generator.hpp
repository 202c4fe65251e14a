#pragma once
// The random program generator of the pass tests: well-typed .ane kernels from a seed, mixing
// every op family the passes rewrite and the patterns the fusions look for. Shared by the
// equivalence proof (-O0 and -O1 compute the same), the legality proof (-O1 compiles on the
// simulated ANE wherever -O0 does) and the stats proof (-O1 is no larger without a reason).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace anec::passes::test {

// SplitMix64: portable, so the programs are the same on every platform.
class Random {
  public:
    explicit Random(uint64_t seed) : state_(seed) {}
    uint64_t next() {
        uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    int below(int n) { return static_cast<int>(next() % static_cast<uint64_t>(n)); }
    bool chance(int percent) { return below(100) < percent; }
    template <typename T> const T& pick(const std::vector<T>& items) {
        return items[static_cast<size_t>(below(static_cast<int>(items.size())))];
    }

  private:
    uint64_t state_;
};

// Generates one random kernel. Every value in the pool is fp16[1, c, 1, S] for some c, so any two
// values of the same c can be combined; the patterns the fusion and cleanup passes look for are
// generated on purpose.
class ProgramGenerator {
  public:
    explicit ProgramGenerator(uint64_t seed) : random_(seed) {}

    std::string generate(bool designedToFuse) {
        seq_ = random_.pick<int64_t>({1, 2, 4, 8});
        addInputs(designedToFuse);
        int steps = 3 + random_.below(7);
        for (int i = 0; i < steps; ++i)
            designedToFuse ? fusionStep() : anyStep();
        std::string text = weights_ + "\nkernel k(" + join(inputs_) + ") -> (";
        std::string body;
        std::vector<std::string> outputs;
        int outputCount = 1 + random_.below(3);
        std::vector<Value> candidates(pool_.end() - std::min<ptrdiff_t>(pool_.size(), 4),
                                      pool_.end());
        for (int i = 0; i < outputCount && !candidates.empty(); ++i) {
            size_t at = static_cast<size_t>(random_.below(static_cast<int>(candidates.size())));
            Value value = candidates[at];
            candidates.erase(candidates.begin() + static_cast<ptrdiff_t>(at));
            std::string name = "y" + std::to_string(i);
            outputs.push_back(name + ": " + type(random_.chance(30) ? "fp32" : "fp16", value.c));
            body += "    " + name + " = " + value.name + "\n";
        }
        return text + join(outputs) + ") {\n" + body_ + body + "}\n";
    }

  private:
    struct Value {
        std::string name;
        int64_t c;
    };

    static std::string join(const std::vector<std::string>& items) {
        std::string out;
        for (const std::string& item : items)
            out += (out.empty() ? "" : ", ") + item;
        return out;
    }
    std::string type(const std::string& dtype, int64_t c) const {
        return dtype + "[1, " + std::to_string(c) + ", 1, " + std::to_string(seq_) + "]";
    }
    int64_t channels() { return random_.pick<int64_t>({2, 4, 6, 8}); }

    void addInputs(bool packed) {
        int count = 1 + random_.below(3);
        for (int i = 0; i < count; ++i) {
            std::string name = std::string(1, static_cast<char>('a' + i));
            // A packed input holds several channel groups, sliced apart in the body.
            int64_t c = channels() * (packed || random_.chance(25) ? 2 + random_.below(2) : 1);
            inputs_.push_back(name + ": " + type(random_.chance(40) ? "fp32" : "fp16", c));
            pool_.push_back({name, c});
        }
    }

    std::string weight(const std::string& shape, double scale) {
        std::string name = "W" + std::to_string(weightCount_++);
        weights_ += "weight " + name + ": fp16" + shape +
                    " = random(seed = " + std::to_string(weightCount_) +
                    ", scale = " + std::to_string(scale) + ")\n";
        return name;
    }
    std::string matrix(int64_t rows, int64_t cols) {
        return weight("[" + std::to_string(rows) + ", " + std::to_string(cols) + "]",
                      1.0 / std::sqrt(static_cast<double>(cols)));
    }
    std::string channelVector(int64_t c, double scale) {
        return weight("[1, " + std::to_string(c) + ", 1, 1]", scale);
    }
    Value let(const std::string& expr, int64_t c) {
        Value value{"t" + std::to_string(letCount_++), c};
        body_ += "    let " + value.name + " = " + expr + "\n";
        pool_.push_back(value);
        return value;
    }
    Value any() { return random_.pick(pool_); }
    // A pool value with c channels, or a linear projection of any value to c channels.
    Value withChannels(int64_t c) {
        std::vector<Value> matching;
        for (const Value& value : pool_)
            if (value.c == c) matching.push_back(value);
        if (!matching.empty()) return random_.pick(matching);
        Value from = any();
        return let("linear(" + from.name + ", " + matrix(c, from.c) + ")", c);
    }

    // Sum of linears over adjacent channel slices of one tensor (fusion a).
    void slicedSum() {
        std::vector<Value> packed;
        for (const Value& value : pool_)
            if (value.c >= 4 && value.c % 2 == 0) packed.push_back(value);
        if (packed.empty()) return linearOf(any());
        Value x = random_.pick(packed);
        int64_t parts = x.c % 3 == 0 ? 3 : 2, part = x.c / parts, out = channels();
        std::string sum;
        for (int64_t i = 0; i < parts; ++i) {
            std::string slice = x.name + "[:, " + std::to_string(i * part) + ":" +
                                std::to_string((i + 1) * part) + ", :, :]";
            sum +=
                (i ? " + " : "") + std::string("linear(") + slice + ", " + matrix(out, part) + ")";
        }
        let(sum, out);
    }
    // Several linears of one tensor (fusion b).
    void horizontal() {
        Value x = any();
        int count = 2 + random_.below(2);
        for (int i = 0; i < count; ++i)
            linearOf(x);
    }
    void linearOf(const Value& x) {
        int64_t out = channels();
        let("linear(" + x.name + ", " + matrix(out, x.c) + ")", out);
    }
    // conv times a per-channel weight, plus a per-channel shift (fusion c).
    void scaledConv() {
        Value x = any();
        int64_t out = channels();
        std::string conv =
            random_.chance(50)
                ? "linear(" + x.name + ", " + matrix(out, x.c) + ")"
                : "conv(" + x.name + ", " +
                      weight("[" + std::to_string(out) + ", " + std::to_string(x.c) + ", 1, 1]",
                             1.0 / std::sqrt(static_cast<double>(x.c))) +
                      ")";
        std::string expr = conv + " * " + channelVector(out, 1.0);
        if (random_.chance(60)) expr += " + " + channelVector(out, 0.5);
        let(expr, out);
    }
    void spatialConv() {
        Value x = any();
        int64_t out = channels();
        std::string w = weight("[" + std::to_string(out) + ", " + std::to_string(x.c) + ", 1, 3]",
                               1.0 / std::sqrt(3.0 * static_cast<double>(x.c)));
        let("conv(" + x.name + ", " + w + ", padding = \"same\")", out);
    }
    void elementwise() {
        Value x = any();
        Value y = withChannels(x.c);
        let(x.name + " " + random_.pick<std::string>({"+", "-", "*"}) + " " + y.name, x.c);
    }
    void scalar() {
        Value x = any();
        let(x.name + random_.pick<std::string>({" * 0.5", " + 1", " * 1", " + 0", " - 0", " / 1",
                                                " / 2", " * 1.0 + 0.25"}),
            x.c);
    }
    void unary() {
        Value x = any();
        let(random_.pick<std::string>({"tanh", "sigmoid", "relu", "silu", "abs"}) + "(" + x.name +
                ")",
            x.c);
    }
    void castRoundTrip() {
        Value x = any();
        let(random_.chance(50) ? "cast(cast(" + x.name + ", fp32), fp16)"
                               : "cast(" + x.name + ", fp16)",
            x.c);
    }
    void reshapes() {
        Value x = any();
        std::string c = std::to_string(x.c), s = std::to_string(seq_);
        switch (random_.below(3)) {
        case 0:
            let("transpose(transpose(" + x.name + ", [0, 3, 2, 1]), [0, 3, 2, 1])", x.c);
            break;
        case 1:
            let("reshape(reshape(" + x.name + ", [1, " + s + ", " + c + ", 1]), [1, " + c +
                    ", 1, " + s + "])",
                x.c);
            break;
        default:
            let("reshape(" + x.name + ", [1, " + c + ", 1, " + s + "]) + transpose(" + x.name +
                    ", [0, 1, 2, 3])",
                x.c);
        }
    }
    void reduction() {
        Value x = any();
        std::string op = random_.pick<std::string>({"reduce_mean", "reduce_max", "reduce_sum"});
        if (random_.chance(50)) {
            let(x.name + " - " + op + "(" + x.name + ", axes = [1], keep_dims = true)", x.c);
        } else {
            // A [1, c, 1, 1] value broadcast against ones: x * 1 that must not be removed.
            std::string ones = "O" + std::to_string(weightCount_++);
            weights_ += "weight " + ones + ": fp16" + "[1, " + std::to_string(x.c) + ", 1, " +
                        std::to_string(seq_) + "] = ones()\n";
            let(op + "(" + x.name + ", axes = [3], keep_dims = true) * " + ones, x.c);
        }
    }
    void softmax() {
        Value x = any();
        let("softmax(" + x.name + ", axis = 1)", x.c);
    }
    // The same expression twice (cse), then both used.
    void duplicate() {
        Value x = any();
        std::string expr =
            random_.pick<std::string>({"tanh(", "sigmoid(", "relu("}) + x.name + ") * 0.5";
        Value a = let(expr, x.c);
        Value b = let(expr, x.c);
        let(a.name + " + " + b.name, x.c);
    }

    void fusionStep() {
        switch (random_.below(4)) {
        case 0:
            return slicedSum();
        case 1:
            return horizontal();
        case 2:
            return scaledConv();
        default:
            return elementwise();
        }
    }
    void anyStep() {
        switch (random_.below(15)) {
        case 0:
            return slicedSum();
        case 1:
            return horizontal();
        case 2:
            return scaledConv();
        case 3:
            return spatialConv();
        case 4:
        case 5:
            return elementwise();
        case 6:
            return scalar();
        case 7:
            return unary();
        case 8:
            return castRoundTrip();
        case 9:
            return reshapes();
        case 10:
            return reduction();
        case 11:
            return softmax();
        case 12:
            return duplicate();
        case 13:
            return linearOf(any());
        default:
            return unary();
        }
    }

    Random random_;
    int64_t seq_ = 1;
    std::vector<std::string> inputs_;
    std::vector<Value> pool_;
    std::string weights_, body_;
    int weightCount_ = 0, letCount_ = 0;
};

// The programs the proofs share: general ones (seeds 1000, 1001, ...) and ones built from the
// fusion patterns only (seeds 5000, ...).
inline std::string generalProgram(int index) {
    return ProgramGenerator(1000 + static_cast<uint64_t>(index)).generate(false);
}
inline std::string fusingProgram(int index) {
    return ProgramGenerator(5000 + static_cast<uint64_t>(index)).generate(true);
}

} // namespace anec::passes::test
