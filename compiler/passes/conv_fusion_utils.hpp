#pragma once
// Shared by the conv fusion passes (fuse-slice-conv-add, fuse-horizontal, fuse-conv-scale-shift):
// recognising a conv with a constant weight, building the fused weight constants at compile time
// and removing the ops a rewrite has replaced.
#include <memory>
#include <string>
#include <vector>

#include "ir/builder.hpp"
#include "ir/ir.hpp"

namespace anec::passes::fusion {

// The constant weight of a conv with groups = 1 and no bias, or nullptr when the op is
// something else.
const ir::ConstData* plainConvWeight(const ir::Op& op);

// True when two plain convs compute with the same window: equal attributes (strides, pads,
// dilations, pad_type, groups) and equal kernel height and width.
bool sameConvWindow(const ir::Op& a, const ir::Op& b);

// Joins weights [Cout_i, Cin_i, kH, kW] along `axis` (0: Cout, 1: Cin); the other dims must match.
ir::ConstData concatWeights(const std::vector<const ir::ConstData*>& weights, size_t axis);

// "<a>_<b>_..." from the blob names of `weights` ("w" for an inline one).
std::string joinedBlobName(const std::vector<const ir::ConstData*>& weights);

// `base`, or `base_2`, `base_3`, ... when a constant in use in the kernel already has that name.
std::string uniqueBlobName(const ir::Kernel& kernel, const std::string& base);

// A weight constant for `data` usable by ops inserted before `before`: an earlier constant with
// the same data and a name made from `blobName` (two convs scaled alike), or a new one inserted by
// `builder` with a blob name unique in the kernel.
ir::Value* createWeight(ir::Builder& builder, const ir::Op& before, ir::ConstData data,
                        const std::string& blobName, SourceLoc loc);

// Erases `ops` (which must no longer be used), then every const, slice or split left unused by
// that, so that a pass leaves no dead producers of its own making behind.
void eraseReplaced(ir::Kernel& kernel, const std::vector<ir::Op*>& ops);

// The position of `op` in the kernel's op list.
std::list<std::unique_ptr<ir::Op>>::iterator positionOf(ir::Kernel& kernel, const ir::Op* op);

} // namespace anec::passes::fusion
