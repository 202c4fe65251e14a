// Warnings on every command that compiles: shown by check (which compiles as build does), printed
// once each (also by stats, which compiles twice), dropped by -w / --warnings=none, and fatal
// with --warnings=error. The DiagnosticEngine's deduplication and policies underneath.
#include <catch2/catch.hpp>

#include "support/diagnostics.hpp"
#include "unit/driver/test_support.hpp"

using namespace anec::test;
using anec::Diagnostic;
using anec::DiagnosticEngine;
using anec::Severity;
using anec::SourceLoc;
using anec::SourceManager;
using anec::WarningPolicy;

namespace {

// Its 16-byte surfaces are below the ANE's minimum: ane-legalize warns (rule 6) at the kernel.
const char* kSmall = R"(kernel k(x: fp16[1, 4, 1, 2]) -> (y: fp16[1, 4, 1, 2]) {
    y = x * 2
}
)";
const std::string kWarning = "k.ane:1:8: warning: kernel 'k': input 'x' (fp16[1,4,1,2], 16 bytes) "
                             "and output 'y' (fp16[1,4,1,2], 16 bytes) are below the ANE's "
                             "49,152-byte minimum surface";

size_t count(const std::string& text, const std::string& part) {
    size_t n = 0;
    for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
        ++n;
    return n;
}

struct Source {
    TempDir dir;
    std::string path;
    explicit Source(const char* text = kSmall) {
        writeFile(dir / "k.ane", text);
        path = (dir / "k.ane").string();
    }
    // Every command that compiles, on this source, with `extra` options.
    std::vector<std::vector<std::string>> commands(const std::vector<std::string>& extra) const {
        std::vector<std::vector<std::string>> all{
            {"check", path},
            {"build", path, "-o", (dir / "out").string()},
            {"stats", path},
            {"run", path, "--random-inputs", "1", "--output-dir", (dir / "run").string()}};
        for (auto& command : all)
            command.insert(command.end(), extra.begin(), extra.end());
        return all;
    }
};

// stderr as it is printed, with the directory of the source removed: "k.ane:1:8: ...".
std::string relative(const Source& source, const std::string& err) {
    std::string out = err, prefix = source.dir.path().string() + "/";
    for (size_t at = out.find(prefix); at != std::string::npos; at = out.find(prefix))
        out.erase(at, prefix.size());
    return out;
}

} // namespace

TEST_CASE("every command that compiles prints each warning once", "[cli][warnings]") {
    Source source;
    for (const auto& command : source.commands({})) {
        INFO(command[0]);
        CliResult result = runAnec(command);
        CHECK(result.status == 0);
        std::string err = relative(source, result.err);
        CHECK_THAT(err, Catch::StartsWith(kWarning));
        CHECK(count(err, "warning:") == 1); // stats compiles at -O0 and -O1, but says it once
    }
}

TEST_CASE("no warnings are printed with -w or --warnings=none", "[cli][warnings]") {
    Source source;
    for (const char* option : {"-w", "--warnings=none"})
        for (const auto& command : source.commands({option})) {
            INFO(command[0] << " " << option);
            CliResult result = runAnec(command);
            CHECK(result.status == 0);
            CHECK(result.err.empty());
        }
    CHECK(runAnec(source.commands({"--warnings=all"})[0]).err.size() > 0);
    CHECK(runAnec(source.commands({"-w", "--warnings=all"})[0]).status == 2);
    CHECK(runAnec(source.commands({"--warnings=some"})[0]).status == 2);
}

TEST_CASE("a warning fails the command with --warnings=error", "[cli][warnings]") {
    Source source;
    for (const auto& command : source.commands({"--warnings=error"})) {
        INFO(command[0]);
        CliResult result = runAnec(command);
        CHECK(result.status == 1);
        std::string err = relative(source, result.err);
        std::string asError = "k.ane:1:8: error: kernel 'k': input 'x'";
        CHECK_THAT(err, Catch::StartsWith(asError));
        CHECK_THAT(err, Catch::Contains("(rule 6): use a longer sequence or batch calls "
                                        "[--warnings=error]\n"));
        CHECK_THAT(err, Catch::EndsWith("1 error generated.\n"));
        CHECK(result.out.find("wrote") == std::string::npos);
    }
    CHECK_FALSE(std::filesystem::exists(source.dir / "out"));
    CHECK_FALSE(std::filesystem::exists(source.dir / "run/y.npy"));
    // Without warnings nothing fails.
    CHECK(runAnec({"check", source.path, "--target", "none", "--warnings=error"}).status == 0);
}

TEST_CASE("a warning reported twice at the same place is printed once", "[cli][warnings]") {
    Source source;
    // ane-legalize run twice warns twice about the same kernel.
    CliResult twice =
        runAnec({"build", source.path, "--emit=mil", "--passes=ane-legalize,ane-legalize"});
    CHECK(twice.status == 0);
    CHECK(count(twice.err, "warning:") == 1);
}

TEST_CASE("the diagnostic engine drops repeats and applies the warning policy",
          "[diagnostics][warnings]") {
    SourceManager sources;
    uint32_t file = sources.addFile("a.ane", "line one\nline two\n");
    SourceLoc one{file, 1, 3}, two{file, 2, 1};
    auto briefs = [](const DiagnosticEngine& engine) {
        std::vector<std::string> out;
        for (const Diagnostic& d : engine.diagnostics())
            out.push_back(DiagnosticEngine::brief(d));
        return out;
    };

    DiagnosticEngine all(sources);
    all.warning(one, "w");
    all.note(two, "about w");
    all.warning(one, "w"); // a repeat, and its note with it
    all.note(two, "about w");
    all.warning(two, "w"); // elsewhere: not a repeat
    all.error(one, "e");
    all.error(one, "e");
    all.warning(one, "e"); // another severity: not a repeat
    CHECK(briefs(all) == std::vector<std::string>{"1:3: warning: w", "2:1: note: about w",
                                                  "2:1: warning: w", "1:3: error: e",
                                                  "1:3: warning: e"});
    CHECK(all.errorCount() == 1);

    DiagnosticEngine none(sources);
    none.setWarningPolicy(WarningPolicy::None);
    none.warning(one, "w");
    none.note(two, "about w"); // goes with its warning
    none.error(two, "e");
    CHECK(briefs(none) == std::vector<std::string>{"2:1: error: e"});

    DiagnosticEngine error(sources);
    error.setWarningPolicy(WarningPolicy::Error);
    error.warning(one, "w");
    CHECK(error.hasErrors());
    CHECK(briefs(error) == std::vector<std::string>{"1:3: error: w [--warnings=error]"});
    CHECK(error.errorSummary() == "1 error generated.\n");
    CHECK(all.errorSummary() == "1 error generated.\n");
    CHECK(none.errorSummary() == "1 error generated.\n");
    CHECK(DiagnosticEngine(sources).errorSummary().empty());

    // The printer shows what several engines found about one source once.
    std::ostringstream printed;
    anec::DiagnosticPrinter printer(printed);
    printer.print(all);
    printer.print(all);
    CHECK(printed.str() == [&] {
        std::ostringstream once;
        all.print(once);
        return once.str();
    }());

    CHECK(anec::parseWarningPolicy("none") == WarningPolicy::None);
    CHECK(anec::parseWarningPolicy("all") == WarningPolicy::All);
    CHECK(anec::parseWarningPolicy("error") == WarningPolicy::Error);
    CHECK_FALSE(anec::parseWarningPolicy("Error"));
}

TEST_CASE("run -O0 and -O1 run the pipeline of build -O0 and -O1", "[run][cli]") {
    // -O1 folds the scale into the weights (fuse-conv-scale-shift), which rounds differently in
    // fp16 than scaling the conv's result: the levels give different outputs.
    Source source(R"(weight W: fp16[64, 64] = random(seed = 1, scale = 0.125)
kernel k(x: fp16[1, 64, 1, 64]) -> (y: fp16[1, 64, 1, 64]) {
    y = linear(x, W) * 3
}
)");
    auto run = [&](const std::string& from, const std::string& to, const std::string& level) {
        std::vector<std::string> args{"run", from,           "--random-inputs",         "1",
                                      "-w",  "--output-dir", (source.dir / to).string()};
        if (!level.empty()) args.push_back(level);
        CliResult result = runAnec(args);
        INFO(result.err);
        REQUIRE(result.status == 0);
        return readFile(source.dir / to / "y.npy");
    };
    for (const std::string level : {"-O0", "-O1"}) {
        INFO(level);
        CliResult built = runAnec(
            {"build", source.path, level, "-w", "-o", (source.dir / ("built" + level)).string()});
        REQUIRE(built.status == 0);
        CHECK(run(source.path, "ane" + level, level) ==
              run((source.dir / ("built" + level) / "k").string(), "mil" + level, ""));
    }
    CHECK(run(source.path, "default", "") == readFile(source.dir / "ane-O1/y.npy"));
    CHECK(readFile(source.dir / "ane-O0/y.npy") != readFile(source.dir / "ane-O1/y.npy"));

    // A MIL program runs as written: -O and --no-pack-io are mistakes there, like -D.
    std::string mil = (source.dir / "built-O1" / "k").string();
    CliResult level = runAnec({"run", mil, "-O0", "--random-inputs", "1"});
    CHECK(level.status == 1);
    CHECK(level.err == "anec: error: -O applies to .ane sources only; '" + mil +
                           "' is a MIL program, which runs as written\n");
    CliResult packing = runAnec({"run", mil, "--no-pack-io", "--random-inputs", "1"});
    CHECK(packing.status == 1);
    CHECK_THAT(packing.err, Catch::StartsWith("anec: error: --no-pack-io applies to .ane sources"));
    CHECK(runAnec({"run", source.path, "-O2"}).status == 2);
}
