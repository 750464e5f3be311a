#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "shared/services/service_error.hpp"

namespace edgesync {

// Input rules shared by the CLI and the server, so both accept exactly the
// same values. Lengths are counted in Unicode code points, as Postgres'
// length() does for the CHECK constraints in migrations/000001_init.up.sql.

inline constexpr std::size_t k_email_min_chars = 3;
inline constexpr std::size_t k_email_max_chars = 320;
inline constexpr std::size_t k_device_name_max_chars = 255;

// The email with surrounding ASCII whitespace removed, letter case kept (the
// account shows it as registered; uniqueness ignores case). Error
// `invalid_email` unless it is valid UTF-8 of 3..320 characters with exactly
// one '@', a non-empty part on each side, and no whitespace or control
// characters anywhere. Deliberately no deeper RFC 5322 parsing: whether an
// address works is only known by writing to it.
[[nodiscard]] ServiceResult<std::string> normalize_email(std::string_view email);

// Error `invalid_argument` unless `name` is valid UTF-8 of 1..255 characters,
// not only whitespace, without control characters (C0, DEL, C1). Not trimmed:
// the name is stored exactly as given.
[[nodiscard]] ServiceResult<void> validate_device_name(std::string_view name);

// `text` without leading and trailing ASCII whitespace.
[[nodiscard]] std::string_view trim_ascii_space(std::string_view text) noexcept;

// ASCII letters lowered, other bytes kept (canonical form of a UUID ref).
[[nodiscard]] std::string to_lower_ascii(std::string_view text);

// Number of code points of valid UTF-8 (no overlongs, surrogates or values
// above U+10FFFF); SIZE_MAX when `text` is not valid UTF-8.
[[nodiscard]] std::size_t utf8_length(std::string_view text) noexcept;

}  // namespace edgesync
