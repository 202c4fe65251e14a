// conv's VJP. With y[o] = sum_k xpad[o*s + k*d] * W[k] (per spatial axis, pb elements of
// padding before x):
//  - dx is the "transposed conv": the cotangent dilated by the stride (s - 1 zeros between
//    elements), padded by (k - 1) * d - pb before, convolved at stride 1 and dilation d with the
//    weight transposed to [Cin, Cout/groups, kH, kW] per group and flipped spatially. The weight
//    rearrangement is transpose/reverse ops on the weight value, which constant folding turns into
//    a new constant when the weight is one; a 1x1 stride-1 conv's dx is the single conv(g, W^T).
//  - dW[co, ci, kh, kw] = sum_{n, oh, ow} g[n, co, oh, ow] * xpad[n, ci, oh*s + kh*d, ...]: per
//    tap, g [Cout, N*Oh*Ow] times the tap's shifted strided slice of the padded x transposed
//    (a per group batched matmul), the taps stacked; a 1x1 stride-1 conv is one matmul of g and
//    x as they are.
//  - dbias is g summed over N, H and W.
#include "ir/ops/conv_vjp.hpp"

#include <algorithm>

namespace anec::ir::vjp_windows {

int64_t convPadBefore(const std::string& padType, int64_t in, int64_t out, int64_t kernel,
                      int64_t stride, int64_t dilation, int64_t custom) {
    if (padType == "custom") return custom;
    if (padType == "valid") return 0;
    const int64_t total =
        std::max<int64_t>((out - 1) * stride + (kernel - 1) * dilation + 1 - in, 0);
    return padType == "same_lower" ? (total + 1) / 2 : total / 2;
}

Value* strided(VjpContext& c, Value* v, const std::vector<int64_t>& begin,
               const std::vector<int64_t>& stride, const std::vector<int64_t>& count) {
    const Shape& shape = v->type.shape;
    const size_t first = shape.size() - begin.size();
    std::vector<int64_t> b(shape.size(), 0), e(shape.begin(), shape.end()), s(shape.size(), 1);
    bool whole = true;
    for (size_t i = 0; i < begin.size(); ++i) {
        b[first + i] = begin[i];
        e[first + i] = begin[i] + (count[i] - 1) * stride[i] + 1;
        s[first + i] = stride[i];
        whole = whole && begin[i] == 0 && count[i] == shape[first + i] &&
                (stride[i] == 1 || count[i] == 1);
    }
    if (whole) return v;
    return c.create("slice_by_index", {v}, {{"begin", b}, {"end", e}, {"stride", s}});
}

namespace {
// The forward conv's window geometry along H and W.
struct ConvGeometry {
    int64_t groups;
    std::vector<int64_t> in, out, kernel, strides, dilations;
    std::vector<int64_t> padBefore, padAfter; // padAfter < 0: trailing input rows never read
};

ConvGeometry convGeometry(VjpContext& c) {
    const Shape& x = c.operand(0)->type.shape;
    const Shape& w = c.operand(1)->type.shape;
    const Shape& y = c.result()->type.shape;
    ConvGeometry g;
    g.groups = c.intAttr("groups");
    g.strides = c.intListAttr("strides");
    g.dilations = c.intListAttr("dilations");
    const auto& pad = c.intListAttr("pad");
    for (size_t i = 0; i < 2; ++i) {
        g.in.push_back(x[2 + i]);
        g.out.push_back(y[2 + i]);
        g.kernel.push_back(w[2 + i]);
        const int64_t before = convPadBefore(c.stringAttr("pad_type"), x[2 + i], y[2 + i], w[2 + i],
                                             g.strides[i], g.dilations[i], pad[2 * i]);
        g.padBefore.push_back(before);
        g.padAfter.push_back((y[2 + i] - 1) * g.strides[i] + (w[2 + i] - 1) * g.dilations[i] + 1 -
                             x[2 + i] - before);
    }
    return g;
}

// [Cout, Cin/groups, kH, kW] -> [Cin, Cout/groups, kH, kW] (each group's block transposed),
// flipped along H and W.
Value* transposedFlippedWeight(VjpContext& c, Value* weight, int64_t groups) {
    const Shape& w = weight->type.shape;
    const int64_t outPerGroup = w[0] / groups, inPerGroup = w[1];
    Value* t;
    if (inPerGroup == 1 || outPerGroup == 1) {
        // swapping a size-1 dim moves no element (depthwise convs): a reshape
        t = c.reshape(weight, {groups * inPerGroup, outPerGroup, w[2], w[3]});
    } else if (groups == 1) {
        t = c.transpose(weight, {1, 0, 2, 3});
    } else {
        t = c.reshape(weight, {groups, outPerGroup, inPerGroup, w[2], w[3]});
        t = c.transpose(t, {0, 2, 1, 3, 4});
        t = c.reshape(t, {groups * inPerGroup, outPerGroup, w[2], w[3]});
    }
    std::vector<int64_t> flip;
    for (int64_t axis : {2, 3})
        if (w[static_cast<size_t>(axis)] > 1) flip.push_back(axis);
    if (!flip.empty()) t = c.create("reverse", {t}, {{"axes", flip}});
    return t;
}

Value* convInputGradient(VjpContext& c, Value* g, const ConvGeometry& geo) {
    std::vector<int64_t> before, after, pad;
    for (size_t i = 0; i < 2; ++i) {
        g = dilateWithZeros(c, g, static_cast<int64_t>(2 + i), geo.strides[i]);
        const int64_t reach = (geo.kernel[i] - 1) * geo.dilations[i];
        // the dilated g ends with stride - 1 zeros of its own
        before.push_back(reach - geo.padBefore[i]);
        after.push_back(reach - geo.padAfter[i] - (geo.strides[i] - 1));
    }
    // negative amounts (padding wider than the kernel reach) crop g; the rest is conv padding
    std::vector<int64_t> cropBefore, cropAfter;
    bool anyPad = false;
    for (size_t i = 0; i < 2; ++i) {
        cropBefore.push_back(std::min<int64_t>(before[i], 0));
        cropAfter.push_back(std::min<int64_t>(after[i], 0));
        pad.push_back(std::max<int64_t>(before[i], 0));
        pad.push_back(std::max<int64_t>(after[i], 0));
        anyPad = anyPad || before[i] > 0 || after[i] > 0;
    }
    g = padOrCrop(c, g, cropBefore, cropAfter);
    AttrMap attrs{{"groups", geo.groups}, {"dilations", geo.dilations}};
    if (anyPad) {
        attrs["pad_type"] = std::string("custom");
        attrs["pad"] = pad;
    }
    return c.create("conv", {g, transposedFlippedWeight(c, c.operand(1), geo.groups)}, attrs);
}

// [N, C, ...] -> [C, N, ...] (a reshape when N is 1).
Value* channelsFirst(VjpContext& c, Value* v) {
    Shape s = v->type.shape;
    if (s[0] == 1) {
        std::swap(s[0], s[1]);
        return c.reshape(v, s);
    }
    return c.transpose(v, {1, 0, 2, 3});
}

Value* convWeightGradient(VjpContext& c, Value* g, const ConvGeometry& geo) {
    const Shape& w = c.operand(1)->type.shape;
    const int64_t groups = geo.groups, inPerGroup = w[1], outPerGroup = w[0] / groups;
    const int64_t batch = g->type.shape[0];
    const int64_t positions = batch * geo.out[0] * geo.out[1]; // the contraction: n, oh, ow

    // x as [Cin, N, H, W], padded as the forward conv read it
    Value* x = channelsFirst(c, c.operand(0));
    x = padOrCrop(c, x, geo.padBefore,
                  {std::max<int64_t>(geo.padAfter[0], 0), std::max<int64_t>(geo.padAfter[1], 0)});
    Value* gm = channelsFirst(c, g);
    const Shape rowsPerGroup =
        groups == 1 ? Shape{outPerGroup, positions} : Shape{groups, outPerGroup, positions};
    gm = c.reshape(gm, rowsPerGroup);
    // per tap, its strided slice of x times g: dW[:, :, kh, kw] (one matmul per group)
    std::vector<Value*> perTap;
    for (int64_t kh = 0; kh < geo.kernel[0]; ++kh)
        for (int64_t kw = 0; kw < geo.kernel[1]; ++kw) {
            Value* tap =
                strided(c, x, {kh * geo.dilations[0], kw * geo.dilations[1]}, geo.strides, geo.out);
            tap = c.reshape(tap, groups == 1 ? Shape{inPerGroup, positions}
                                             : Shape{groups, inPerGroup, positions});
            Value* dw = c.create("matmul", {gm, tap}, {{"transpose_y", true}});
            perTap.push_back(c.reshape(dw, {w[0], inPerGroup, 1}));
        }
    // the taps are W's last (row-major kH, kW) axis; joining the small per-tap blocks (not the
    // taps' slices of x) keeps the assembly cheap where concat is legalized into matmuls
    if (perTap.size() == 1) return c.reshape(perTap[0], w);
    return c.reshape(c.create("concat", perTap, {{"axis", int64_t{2}}}), w);
}
} // namespace

std::vector<Value*> convVjp(VjpContext& c) {
    Value* g = c.cotangent();
    std::vector<Value*> grads(c.numOperands(), nullptr);
    if (!g) return grads;
    const ConvGeometry geo = convGeometry(c);
    if (c.wants(0)) grads[0] = convInputGradient(c, g, geo);
    if (c.wants(1)) grads[1] = convWeightGradient(c, g, geo);
    if (c.numOperands() > 2 && c.operand(2) && c.wants(2))
        grads[2] = c.create("reduce_sum", {g}, {{"axes", std::vector<int64_t>{0, 2, 3}}});
    return grads;
}

} // namespace anec::ir::vjp_windows
