#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include "shared/util/bytes.hpp"

namespace edgesync::test {

// Test vectors are written in hex.
[[nodiscard]] inline Bytes from_hex(std::string_view hex) {
    if (hex.size() % 2 != 0) throw std::invalid_argument("odd-length hex");
    Bytes out;
    for (std::size_t i = 0; i < hex.size(); i += 2)
        out.push_back(static_cast<std::uint8_t>(std::stoul(std::string(hex.substr(i, 2)), nullptr, 16)));
    return out;
}

// A copy of `data` with bit `bit` (0 = lowest bit of byte 0) inverted.
[[nodiscard]] inline Bytes flip_bit(Bytes data, std::size_t bit) {
    data.at(bit / 8) ^= static_cast<std::uint8_t>(1U << (bit % 8));
    return data;
}

}  // namespace edgesync::test
