#pragma once
// The VJPs of conv (built from a stride-1 conv for dx and one matmul for dW, so both stay
// ANE-shaped) and the window helpers they share with the pooling VJPs.
#include <cstdint>
#include <string>
#include <vector>

#include "ir/vjp.hpp"

namespace anec::ir::vjp_windows {

// Padding before the data along one spatial axis, as conv evaluates it (MIL "same" puts the odd
// pixel after, "same_lower" before).
int64_t convPadBefore(const std::string& padType, int64_t in, int64_t out, int64_t kernel,
                      int64_t stride, int64_t dilation, int64_t custom);

// Every element along the given trailing axes from begin, step stride, count elements.
Value* strided(VjpContext& c, Value* v, const std::vector<int64_t>& begin,
               const std::vector<int64_t>& stride, const std::vector<int64_t>& count);

// conv(x, weight, bias?): dx, dweight, dbias.
std::vector<Value*> convVjp(VjpContext& c);

} // namespace anec::ir::vjp_windows
