#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace edgesync::agent {

// The canonical spelling of a path inside the sync folder, the one every device
// hashes into a state key (crypto::state_key_for_path) and writes into payloads:
// relative, '/'-separated, valid UTF-8, no empty / "." / ".." components, no
// NUL, at most k_max_path_bytes. Paths from the network are untrusted: anything
// that is not canonical is rejected before it can name a file (no traversal).
inline constexpr std::size_t k_max_path_bytes = 4096;
inline constexpr std::size_t k_max_name_bytes = 255;  // one component (NAME_MAX)

// The mode bits that sync: rwx for user, group, others. setuid, setgid and
// sticky never travel: a file from another device must not become setuid here.
inline constexpr std::uint32_t k_synced_mode_bits = 0777;

// True for strict UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
[[nodiscard]] bool is_valid_utf8(std::string_view text) noexcept;

[[nodiscard]] bool is_canonical_path(std::string_view path) noexcept;

// "a/b/c" -> "a/b"; "c" -> "".
[[nodiscard]] std::string_view parent_path(std::string_view path) noexcept;
// "a/b/c" -> "c".
[[nodiscard]] std::string_view base_name(std::string_view path) noexcept;

}  // namespace edgesync::agent
