#include "support/npy.hpp"

#include <cctype>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <stdexcept>

#include "support/checked_math.hpp"
#include "support/fp16.hpp"

namespace anec::npy {

namespace {
constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
constexpr size_t kHeaderAlignment = 64;

struct DTypeInfo {
    DType dtype;
    std::string_view descr;
    std::string_view name;
    size_t size;
};
constexpr DTypeInfo kDTypes[] = {
    {DType::Float16, "<f2", "float16", 2}, {DType::Float32, "<f4", "float32", 4},
    {DType::Float64, "<f8", "float64", 8}, {DType::Int32, "<i4", "int32", 4},
    {DType::Bool, "|b1", "bool", 1},
};

const DTypeInfo& info(DType dtype) {
    for (const DTypeInfo& i : kDTypes)
        if (i.dtype == dtype) return i;
    throw std::logic_error("npy: unknown dtype");
}

// The header is a Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class HeaderParser {
  public:
    explicit HeaderParser(std::string_view text) : text_(text) {}

    struct Header {
        std::string descr;
        bool fortranOrder = false;
        std::vector<int64_t> shape;
    };

    Expected<Header> parse() {
        Header header;
        bool seenDescr = false, seenOrder = false, seenShape = false;
        if (!consume('{')) return fail("header is not a dictionary");
        while (true) {
            skipSpace();
            if (consume('}')) break;
            auto key = parseString();
            if (!key) return fail("expected a quoted key in the header");
            if (!consume(':')) return fail("expected ':' after '" + *key + "' in the header");
            if (*key == "descr") {
                auto value = parseString();
                if (!value) return fail("'descr' is not a string");
                header.descr = *value;
                seenDescr = true;
            } else if (*key == "fortran_order") {
                auto value = parseBool();
                if (!value) return fail("'fortran_order' is not True or False");
                header.fortranOrder = *value;
                seenOrder = true;
            } else if (*key == "shape") {
                auto value = parseShape();
                if (!value) return fail("'shape' is not a tuple of non-negative integers");
                header.shape = *value;
                seenShape = true;
            } else {
                return fail("unexpected key '" + *key + "' in the header");
            }
            skipSpace();
            if (consume(',')) continue;
            if (consume('}')) break;
            return fail("expected ',' or '}' in the header");
        }
        if (!seenDescr || !seenOrder || !seenShape)
            return fail("header lacks 'descr', 'fortran_order' or 'shape'");
        return header;
    }

  private:
    void skipSpace() {
        while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])))
            ++pos_;
    }
    bool consume(char c) {
        skipSpace();
        if (pos_ < text_.size() && text_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    std::optional<std::string> parseString() {
        skipSpace();
        if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"'))
            return std::nullopt;
        char quote = text_[pos_++];
        size_t end = text_.find(quote, pos_);
        if (end == std::string_view::npos) return std::nullopt;
        std::string value(text_.substr(pos_, end - pos_));
        pos_ = end + 1;
        return value;
    }
    std::optional<bool> parseBool() {
        skipSpace();
        for (auto [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
            size_t n = std::strlen(word);
            if (text_.substr(pos_, n) == word) {
                pos_ += n;
                return value;
            }
        }
        return std::nullopt;
    }
    std::optional<int64_t> parseDim() {
        skipSpace();
        int64_t value = 0;
        size_t start = pos_;
        while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
            int digit = text_[pos_++] - '0';
            if (value > (std::numeric_limits<int64_t>::max() - digit) / 10) return std::nullopt;
            value = value * 10 + digit;
        }
        if (pos_ == start) return std::nullopt;
        if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_; // Python 2 long
        return value;
    }
    std::optional<std::vector<int64_t>> parseShape() {
        if (!consume('(')) return std::nullopt;
        std::vector<int64_t> shape;
        while (!consume(')')) {
            auto dim = parseDim();
            if (!dim) return std::nullopt;
            shape.push_back(*dim);
            if (consume(',')) continue;
            if (consume(')')) break;
            return std::nullopt;
        }
        return shape;
    }

    std::string_view text_;
    size_t pos_ = 0;
};

uint32_t readLE(const uint8_t* p, size_t bytes) {
    uint32_t value = 0;
    for (size_t i = 0; i < bytes; ++i)
        value |= static_cast<uint32_t>(p[i]) << (8 * i);
    return value;
}

std::string shapeTuple(const std::vector<int64_t>& shape) {
    std::string out = "(";
    for (size_t i = 0; i < shape.size(); ++i)
        out += (i ? ", " : "") + std::to_string(shape[i]);
    return out + (shape.size() == 1 ? ",)" : ")");
}
} // namespace

std::string_view descr(DType dtype) {
    return info(dtype).descr;
}
std::string_view numpyName(DType dtype) {
    return info(dtype).name;
}
size_t itemSize(DType dtype) {
    return info(dtype).size;
}

std::optional<DType> parseDescr(std::string_view text) {
    for (const DTypeInfo& i : kDTypes) {
        if (i.descr == text) return i.dtype;
        // A 1-byte type may be written with any byte-order mark.
        if (i.size == 1 && text.size() == 3 && text.substr(1) == i.descr.substr(1) &&
            (text[0] == '<' || text[0] == '=' || text[0] == '|'))
            return i.dtype;
    }
    return std::nullopt;
}

int64_t Array::numElements() const {
    return checkedProduct(shape).value_or(0);
}

double Array::at(int64_t index) const {
    const uint8_t* p = data.data() + static_cast<size_t>(index) * itemSize(dtype);
    switch (dtype) {
    case DType::Float16:
        return halfToFloat(static_cast<uint16_t>(readLE(p, 2)));
    case DType::Float32: {
        float value;
        std::memcpy(&value, p, 4);
        return value;
    }
    case DType::Float64: {
        double value;
        std::memcpy(&value, p, 8);
        return value;
    }
    case DType::Int32:
        return static_cast<int32_t>(readLE(p, 4));
    case DType::Bool:
        return *p != 0;
    }
    return 0;
}

std::string Array::typeString() const {
    std::string out(numpyName(dtype));
    out += "[";
    for (size_t i = 0; i < shape.size(); ++i)
        out += (i ? "," : "") + std::to_string(shape[i]);
    return out + "]";
}

Array Array::fromDoubles(DType dtype, std::vector<int64_t> shape, std::span<const double> values) {
    Array array{dtype, std::move(shape), {}};
    size_t size = itemSize(dtype);
    array.data.resize(values.size() * size);
    for (size_t i = 0; i < values.size(); ++i) {
        uint8_t* p = array.data.data() + i * size;
        switch (dtype) {
        case DType::Float16: {
            uint16_t bits = doubleToHalf(values[i]);
            std::memcpy(p, &bits, 2);
            break;
        }
        case DType::Float32: {
            float value = static_cast<float>(values[i]);
            std::memcpy(p, &value, 4);
            break;
        }
        case DType::Float64:
            std::memcpy(p, &values[i], 8);
            break;
        case DType::Int32: {
            int32_t value = static_cast<int32_t>(values[i]);
            std::memcpy(p, &value, 4);
            break;
        }
        case DType::Bool:
            *p = values[i] != 0.0;
            break;
        }
    }
    return array;
}

namespace {
// Reorders column-major (Fortran) element data to row-major: element (i0, ..., in) sits at
// i0 + s0 * (i1 + s1 * (...)) in the source.
std::vector<uint8_t> fortranToC(const std::vector<uint8_t>& source,
                                const std::vector<int64_t>& shape, size_t itemBytes) {
    std::vector<uint8_t> out(source.size());
    size_t rank = shape.size();
    std::vector<int64_t> index(rank, 0);
    std::vector<int64_t> fortranStride(rank, 1);
    for (size_t d = 1; d < rank; ++d)
        fortranStride[d] = fortranStride[d - 1] * shape[d - 1];
    size_t count = itemBytes == 0 ? 0 : source.size() / itemBytes;
    for (size_t c = 0; c < count; ++c) {
        int64_t f = 0;
        for (size_t d = 0; d < rank; ++d)
            f += index[d] * fortranStride[d];
        std::memcpy(out.data() + c * itemBytes, source.data() + static_cast<size_t>(f) * itemBytes,
                    itemBytes);
        for (size_t d = rank; d-- > 0;) { // advance the row-major multi-index
            if (++index[d] < shape[d]) break;
            index[d] = 0;
        }
    }
    return out;
}
} // namespace

Expected<Array> parse(std::span<const uint8_t> bytes) {
    if (bytes.size() < kMagicSize + 2 || std::memcmp(bytes.data(), kMagic, kMagicSize) != 0)
        return fail("not a .npy file (bad magic)");
    uint8_t major = bytes[kMagicSize];
    size_t lengthBytes = major == 1 ? 2 : (major == 2 || major == 3) ? 4 : 0;
    if (lengthBytes == 0) return fail("unsupported .npy format version " + std::to_string(major));
    size_t prefix = kMagicSize + 2 + lengthBytes;
    if (bytes.size() < prefix) return fail("truncated header");
    size_t headerLength = readLE(bytes.data() + kMagicSize + 2, lengthBytes);
    if (bytes.size() - prefix < headerLength) return fail("truncated header");
    std::string_view headerText(reinterpret_cast<const char*>(bytes.data() + prefix), headerLength);

    auto header = HeaderParser(headerText).parse();
    if (!header) return fail("malformed header: " + header.error());
    auto dtype = parseDescr(header->descr);
    if (!dtype)
        return fail("unsupported dtype '" + header->descr +
                    "' (expected <f2, <f4, <f8, <i4 or |b1)");
    auto count = checkedProduct(header->shape);
    if (!count || *count > std::numeric_limits<int64_t>::max() / 8)
        return fail("shape is too large");

    size_t dataSize = static_cast<size_t>(*count) * itemSize(*dtype);
    size_t available = bytes.size() - prefix - headerLength;
    if (available < dataSize)
        return fail("truncated data: " + shapeTuple(header->shape) + " needs " +
                    std::to_string(dataSize) + " bytes, the file has " + std::to_string(available));
    if (available > dataSize)
        return fail(std::to_string(available - dataSize) + " unexpected bytes after the data");
    const uint8_t* data = bytes.data() + prefix + headerLength;
    std::vector<uint8_t> values(data, data + dataSize);
    if (header->fortranOrder) values = fortranToC(values, header->shape, itemSize(*dtype));
    return Array{*dtype, std::move(header->shape), std::move(values)};
}

Expected<Array> read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail("cannot open '" + path + "'");
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    if (in.bad()) return fail("cannot read '" + path + "'");
    return parse(bytes);
}

std::vector<uint8_t> encode(const Array& array) {
    std::string header = "{'descr': '" + std::string(descr(array.dtype)) +
                         "', 'fortran_order': False, 'shape': " + shapeTuple(array.shape) + ", }";
    size_t lengthBytes = 2;
    size_t unpadded = kMagicSize + 2 + lengthBytes + header.size() + 1;
    if (unpadded + kHeaderAlignment > 0xFFFF) {
        lengthBytes = 4;
        unpadded += 2;
    }
    header.append((kHeaderAlignment - unpadded % kHeaderAlignment) % kHeaderAlignment, ' ');
    header += '\n';

    std::vector<uint8_t> out(kMagic, kMagic + kMagicSize);
    out.push_back(lengthBytes == 2 ? 1 : 2);
    out.push_back(0);
    for (size_t i = 0; i < lengthBytes; ++i)
        out.push_back(static_cast<uint8_t>(header.size() >> (8 * i)));
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), array.data.begin(), array.data.end());
    return out;
}

Expected<size_t> write(const std::string& path, const Array& array) {
    std::vector<uint8_t> bytes = encode(array);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) return fail("cannot create '" + path + "'");
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) return fail("cannot write '" + path + "'");
    return bytes.size();
}

} // namespace anec::npy
