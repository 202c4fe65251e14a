#include "driver/text_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace anec::driver {

namespace {

constexpr double kNoValue = std::numeric_limits<double>::quiet_NaN();

// One value per column: the mean of the finite values in each bucket, NaN for a bucket of none.
// Bucket i holds steps [i * n / columns, (i + 1) * n / columns), so every step is in exactly one
// bucket and the buckets differ in size by at most one step.
std::vector<double> columnValues(const std::vector<double>& values, size_t columns) {
    std::vector<double> result(columns, kNoValue);
    const size_t n = values.size();
    for (size_t column = 0; column < columns; ++column) {
        double sum = 0;
        size_t count = 0;
        for (size_t i = column * n / columns; i < (column + 1) * n / columns; ++i) {
            if (!std::isfinite(values[i])) continue;
            sum += values[i];
            ++count;
        }
        if (count > 0) result[column] = sum / static_cast<double>(count);
    }
    return result;
}

std::string formatValue(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.3g", value);
    return buffer;
}

// Row 0 is the top (`high`), row height - 1 the bottom (`low`). A constant series has no range to
// scale by and sits on the middle row.
int rowOf(double value, double low, double high, int height) {
    if (!(high > low)) return (height - 1) / 2;
    double scaled = (high - value) / (high - low) * (height - 1);
    return std::clamp(static_cast<int>(std::lround(scaled)), 0, height - 1);
}

void trimRight(std::string& line) {
    line.erase(line.find_last_not_of(' ') + 1);
}

// "1" under the first column and the last step number ending under the last column (moved right
// when the axis is too short to keep a space between the two).
std::string stepLabels(size_t steps, size_t columns, size_t indent) {
    std::string last = std::to_string(steps);
    std::string line = std::string(indent, ' ') + "1";
    if (steps == 1) return line;
    size_t start = columns >= last.size() + 2 ? columns - last.size() : 2;
    line.append(start - 1, ' ');
    return line + last;
}

} // namespace

std::string plotSeries(const std::vector<double>& values, int width, int height,
                       const std::string& label) {
    if (values.empty()) return "";
    width = std::max(width, 1);
    height = std::max(height, 2); // room for distinct max and min labels
    std::string title = label.empty() ? "" : label + "\n";

    size_t columns = std::min(values.size(), static_cast<size_t>(width));
    std::vector<double> points = columnValues(values, columns);
    double low = std::numeric_limits<double>::infinity();
    double high = -low;
    for (double point : points) {
        if (std::isnan(point)) continue;
        low = std::min(low, point);
        high = std::max(high, point);
    }
    if (low > high) return title + "no finite values to plot\n";

    std::vector<std::string> rows(static_cast<size_t>(height), std::string(columns, ' '));
    for (size_t column = 0; column < columns; ++column)
        if (!std::isnan(points[column]))
            rows[static_cast<size_t>(rowOf(points[column], low, high, height))][column] = '*';

    // The labels: max on the top row and min on the bottom one, or a constant's one value on the
    // row it is drawn on.
    std::vector<std::string> labels(static_cast<size_t>(height));
    if (high > low) {
        labels.front() = formatValue(high);
        labels.back() = formatValue(low);
    } else {
        labels[static_cast<size_t>(rowOf(high, low, high, height))] = formatValue(high);
    }
    size_t labelWidth = 0;
    for (const std::string& text : labels)
        labelWidth = std::max(labelWidth, text.size());

    std::string plot = title;
    for (size_t row = 0; row < rows.size(); ++row) {
        std::string line =
            std::string(labelWidth - labels[row].size(), ' ') + labels[row] + " |" + rows[row];
        trimRight(line);
        plot += line + "\n";
    }
    plot += std::string(labelWidth + 1, ' ') + "+" + std::string(columns, '-') + "\n";
    plot += stepLabels(values.size(), columns, labelWidth + 2) + "\n";
    return plot;
}

} // namespace anec::driver
