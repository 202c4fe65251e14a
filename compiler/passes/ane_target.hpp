#pragma once
// ANE targets and what each one accepts (docs/ane-rules.md). The ane-legalize pass rewrites a
// module for one target; the MIL emitter takes the program version and blob alignment from it;
// the ANE backend maps the machine's chip to a target.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mil/emitter.hpp"
#include "passes/pass.hpp"

namespace anec::passes {

// generic: what works on every known chip (the default for `anec build`).
enum class AneTarget { Generic, M1, M2, M3, M4, M5 };

std::string_view aneTargetName(AneTarget target); // "generic", "m1", ...
std::optional<AneTarget> parseAneTarget(std::string_view name);
std::vector<std::string> aneTargetNames(); // in enum order
std::string aneTargetList();               // "generic, m1, m2, m3, m4, m5", for messages
// The target for a chip brand string ("Apple M3 Max" -> M3); Generic for an unknown chip.
AneTarget aneTargetForChip(std::string_view chipName);

// What a target accepts, in one place: ane-legalize rewrites whatever is false here and warns
// about what exceeds the limits; the passes after it (fusion, pack-io) read the same fields so
// that they never produce either (docs/ane-rules.md, "Legality after legalization").
struct AneTargetRules {
    bool castInProgram = true; // false: fp32 I/O becomes fp16 I/O converted on the host
    bool concat = true;        // false: concat is rewritten (and pack-io packs no outputs)
    bool widthAxisOps = true;  // false (m3): reshape/slice/concat along the width axis warned
    // Limits every known chip has (warned, never rewritten):
    int64_t convInputChannelLimit = 16384; // rule 12: a conv's Cin must stay below (32000 fails)
    int64_t matmulInnerMultiple = 32;      // rule 13: a matmul's inner dimension a multiple of
    int64_t minSurfaceBytes = 49152;       // rule 6: kernel inputs/outputs at least this large
    std::string programVersion = "1.3";
    uint64_t blobAlignment = 64; // MILBlob data alignment
};
AneTargetRules aneTargetRules(AneTarget target);

// The emitter options a target needs (program version, blob alignment), on top of `base`.
mil::EmitOptions emitOptionsFor(AneTarget target, mil::EmitOptions base = {});

// "ane-legalize": rewrites what the target's ANE compiler rejects or silently gets wrong and warns,
// at the op's source location, about what it cannot rewrite. Records Kernel::legalizedFor.
std::unique_ptr<Pass> createAneLegalizePass(AneTarget target = AneTarget::Generic);

// The check buildPipeline adds to a pipeline that legalizes: after every pass that follows
// ane-legalize, the build fails (an internal error naming the pass) if the pass produced
// something legalization would rewrite or warn about for `target` that was not there before it.
PassCheck createLegalityCheck(AneTarget target);

} // namespace anec::passes
