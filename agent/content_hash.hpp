#pragma once

#include <cstddef>
#include <filesystem>

#include "shared/crypto/byte_view.hpp"
#include "shared/util/bytes.hpp"

namespace edgesync::agent {

// The content hash of a file: unkeyed BLAKE2b-256 of its bytes. Stored in the
// local index and inside the encrypted payload (never in clear on the server:
// an unkeyed hash of a known file would identify it).
inline constexpr std::size_t k_content_hash_bytes = 32;

[[nodiscard]] Bytes content_hash(crypto::ByteView content);

// The hash of the file at `file`, read in chunks (never whole in memory).
// Throws std::system_error if it cannot be opened or read.
[[nodiscard]] Bytes hash_file(const std::filesystem::path& file);

}  // namespace edgesync::agent
