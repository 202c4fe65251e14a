// check and run reject exactly what build rejects. A bool weight was the known case where the
// emitter was the only one to object (MILBlob has no bool type), so check and run accepted what
// build then refused, without a source position; the frontend now rejects it at its type.
#include <catch2/catch.hpp>

#include "support/npy.hpp"
#include "unit/driver/test_support.hpp"

using namespace anec::test;

namespace {

// A bool weight from a bool .npy file, used as select's condition.
struct BoolWeight {
    TempDir dir;
    std::string path;
    BoolWeight() {
        std::vector<double> mask{1, 0, 0, 1, 1, 1, 0, 0};
        auto array = anec::npy::Array::fromDoubles(anec::npy::DType::Bool, {1, 4, 1, 2}, mask);
        REQUIRE(anec::npy::write((dir / "m.npy").string(), array).ok());
        writeFile(dir / "k.ane",
                  "weight M: bool[1, 4, 1, 2] = npy(\"m.npy\")\n"
                  "kernel k(a: fp16[1, 4, 1, 2], b: fp16[1, 4, 1, 2]) -> (y: fp16[1, 4, 1, 2]) {\n"
                  "    y = select(M, a, b)\n"
                  "}\n");
        path = (dir / "k.ane").string();
    }
    CliResult check() const { return runAnec({"check", path, "-w"}); }
    CliResult build() const { return runAnec({"build", path, "-w", "-o", (dir / "out").string()}); }
    CliResult run() const {
        return runAnec(
            {"run", path, "-w", "--random-inputs", "1", "--output-dir", (dir / "run").string()});
    }
};

} // namespace

TEST_CASE("check and run reject a bool weight, as build does", "[cli][run][weights]") {
    BoolWeight source;
    CliResult check = source.check(), build = source.build(), run = source.run();
    CHECK(build.status == 1);
    CHECK(check.status == 1);
    CHECK(run.status == 1);
    CHECK(check.err == build.err);
    CHECK(run.err == build.err);
    CHECK_FALSE(std::filesystem::exists(source.dir / "out"));
    CHECK_FALSE(std::filesystem::exists(source.dir / "run/y.npy"));
}

TEST_CASE("a bool weight is reported at its declaration", "[cli][weights]") {
    BoolWeight source;
    for (const CliResult& result : {source.check(), source.build(), source.run()}) {
        CHECK(result.status == 1);
        CHECK_THAT(result.err, Catch::StartsWith(source.path + ":1:11: error: weight 'M'"));
        CHECK_THAT(result.err, Catch::Contains("bool"));
        CHECK_THAT(result.err, Catch::EndsWith("1 error generated.\n"));
    }
}
