#pragma once
// A loss curve drawn in plain ASCII, so that `anec train` can show how training went in any
// terminal or log file without a plotting tool.
#include <string>
#include <vector>

namespace anec::driver {

// Plots `values` (one per step) in `height` rows (at least 2) under a title line `label`:
//
//   loss
//   4 |*
//     | *
//     |  *
//   1 |   *
//     +----
//      1  4
//
// The y axis shows the largest and smallest plotted value (%.3g) on the top and bottom rows. With
// more values than `width` columns, each column is the average of one of `width` equal buckets of
// consecutive steps; otherwise each value has its own column. NaN and infinite values are
// skipped (a column with none left stays blank); constant values are drawn on the middle row. The
// x axis is labelled with the first and last step, 1 and values.size(). Empty input gives "".
std::string plotSeries(const std::vector<double>& values, int width = 60, int height = 10,
                       const std::string& label = "loss");

} // namespace anec::driver
