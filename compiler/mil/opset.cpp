#include "mil/emitter.hpp"

namespace anec::mil {

std::string_view opsetName(Opset opset) {
    switch (opset) {
    case Opset::iOS16:
        return "ios16";
    case Opset::iOS17:
        return "ios17";
    case Opset::iOS18:
        return "ios18";
    }
    return "ios18";
}

std::optional<Opset> parseOpset(std::string_view name) {
    for (Opset opset : {Opset::iOS16, Opset::iOS17, Opset::iOS18})
        if (opsetName(opset) == name) return opset;
    return std::nullopt;
}

} // namespace anec::mil
