#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace edgesync::crypto {

// Read-only view of bytes for crypto inputs. Bytes (std::vector<std::uint8_t>),
// std::array and SecretBytes all convert to it, so callers never copy just to
// call a primitive. The viewed bytes must outlive the call, nothing more.
using ByteView = std::span<const std::uint8_t>;

// The bytes of a string, for text that is hashed, MACed or encrypted as is
// (JWT signing input, passphrases, paths). No copy.
[[nodiscard]] inline ByteView as_bytes(std::string_view text) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace edgesync::crypto
