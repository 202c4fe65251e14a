// openAppleNeuralEngine where AppleNeuralEngine.framework cannot exist (every non-Apple build).
#include "runtime/ane/ane_device.hpp"

namespace anec::runtime::ane {

std::unique_ptr<Device> openAppleNeuralEngine(std::string& why) {
#if defined(__linux__)
    why = "this build is for Linux";
#elif defined(_WIN32)
    why = "this build is for Windows";
#else
    why = "this build is not for macOS";
#endif
    return nullptr;
}

} // namespace anec::runtime::ane
