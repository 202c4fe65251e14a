// The ASCII loss plot: exact output for small series, bucketing of long ones, and the edge cases
// (empty, one value, constant, NaN and infinite values, tiny sizes) that must not divide by zero.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <sstream>

#include "driver/text_plot.hpp"

using anec::driver::plotSeries;

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> result;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        result.push_back(line);
    return result;
}
} // namespace

TEST_CASE("plot: a small decreasing series, one column per value", "[plot]") {
    CHECK(plotSeries({4, 3, 2, 1}, 60, 4) == "loss\n"
                                             "4 |*\n"
                                             "  | *\n"
                                             "  |  *\n"
                                             "1 |   *\n"
                                             "  +----\n"
                                             "   1  4\n");
    // Values between rows round to the nearest one; the labels are %.3g.
    CHECK(plotSeries({2.5, 2.25, 1.125, 0.5, 0.25}, 60, 3, "train loss") == "train loss\n"
                                                                            " 2.5 |**\n"
                                                                            "     |  *\n"
                                                                            "0.25 |   **\n"
                                                                            "     +-----\n"
                                                                            "      1   5\n");
}

TEST_CASE("plot: more values than columns are averaged in buckets", "[plot]") {
    // 8, 7, ..., 1 in 4 columns: bucket means 7.5, 5.5, 3.5, 1.5.
    CHECK(plotSeries({8, 7, 6, 5, 4, 3, 2, 1}, 4, 4) == "loss\n"
                                                        "7.5 |*\n"
                                                        "    | *\n"
                                                        "    |  *\n"
                                                        "1.5 |   *\n"
                                                        "    +----\n"
                                                        "     1  8\n");
    // The defaults: 60 columns, 10 rows, the last step number under the last column.
    std::vector<double> curve;
    for (int i = 0; i < 1000; ++i)
        curve.push_back(5.0 * std::exp(-i / 200.0) + 1.0);
    std::vector<std::string> plot = lines(plotSeries(curve));
    REQUIRE(plot.size() == 1 + 10 + 2);
    CHECK(plot[0] == "loss");
    // The first bucket (steps 1-16) has the largest mean, 5 * exp(-7.5 / 200) + 1 = 5.82.
    CHECK(plot[1] == "5.82 |*");
    CHECK(plot[10].rfind("1.04 |", 0) == 0);
    CHECK(plot[10].back() == '*'); // the last bucket is the minimum, in the last column
    CHECK(plot[11] == "     +" + std::string(60, '-'));
    CHECK(plot[12] == "      1" + std::string(55, ' ') + "1000");
    CHECK(plot[12].size() == plot[11].size());
}

TEST_CASE("plot: empty, one value and constant values", "[plot]") {
    CHECK(plotSeries({}) == "");
    // No range to scale by: the value sits on the middle row with its one label.
    CHECK(plotSeries({2.5}, 60, 3) == "loss\n"
                                      "    |\n"
                                      "2.5 |*\n"
                                      "    |\n"
                                      "    +-\n"
                                      "     1\n");
    CHECK(plotSeries({2, 2, 2}, 60, 4, "") == "  |\n"
                                              "2 |***\n"
                                              "  |\n"
                                              "  |\n"
                                              "  +---\n"
                                              "   1 3\n");
    // Two values in two columns: the last step moves right to keep a space after the 1.
    CHECK(plotSeries({3, 1}, 60, 2) == "loss\n"
                                       "3 |*\n"
                                       "1 | *\n"
                                       "  +--\n"
                                       "   1 2\n");
}

TEST_CASE("plot: NaN and infinite values are skipped", "[plot]") {
    CHECK(plotSeries({3, kNaN, kInf, 1}, 60, 2) == "loss\n"
                                                   "3 |*\n"
                                                   "1 |   *\n"
                                                   "  +----\n"
                                                   "   1  4\n");
    // In a bucket, only the finite values are averaged: (5 + 3) / 2 and (2 + 0 + 1) / 3.
    CHECK(plotSeries({5, kNaN, 3, -kInf, 2, 0, 1}, 2, 2) == "loss\n"
                                                            "4 |*\n"
                                                            "1 | *\n"
                                                            "  +--\n"
                                                            "   1 7\n");
    CHECK(plotSeries({kNaN, kInf}) == "loss\nno finite values to plot\n");
}

TEST_CASE("plot: tiny and invalid sizes are clamped", "[plot]") {
    // Width 0 is one column (the mean of everything, a constant), height 0 the minimum of 2.
    CHECK(plotSeries({4, 3, 2, 1}, 0, 0) == "loss\n"
                                            "2.5 |*\n"
                                            "    |\n"
                                            "    +-\n"
                                            "     1 4\n");
    CHECK(plotSeries({4, 3, 2, 1}, -5, 1) == plotSeries({4, 3, 2, 1}, 1, 2));
}
