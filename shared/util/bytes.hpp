#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace edgesync {

// Opaque binary data (ciphertext, nonces, keys). Never treated as text.
using Bytes = std::vector<std::uint8_t>;

[[nodiscard]] inline Bytes to_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
[[nodiscard]] inline std::string to_string(const Bytes& b) { return std::string(b.begin(), b.end()); }

// Standard base64 with padding (RFC 4648 §4) and the URL-safe unpadded form (§5).
[[nodiscard]] std::string base64_encode(const Bytes& data);
[[nodiscard]] std::string base64url_encode(const Bytes& data);
// Returns false (and leaves `out` unspecified) on malformed input.
[[nodiscard]] bool base64_decode(std::string_view text, Bytes& out);
[[nodiscard]] bool base64url_decode(std::string_view text, Bytes& out);

[[nodiscard]] std::string hex_encode(const Bytes& data);

}  // namespace edgesync
