#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/binarystring>
#include <pqxx/field>

#include "shared/util/bytes.hpp"
#include "shared/util/time.hpp"

// Conversions between libpqxx fields/parameters and EdgeSync types, shared by
// the Pg* repositories. Malformed values from the database throw StorageError.
namespace edgesync::pg {

// BYTEA parameter, sent in binary format (no hex blow-up on the wire).
// libpqxx 6 cannot pass an optional binarystring: use NULLIF($n, ''::bytea) in SQL.
[[nodiscard]] pqxx::binarystring bytea(const Bytes& b);

[[nodiscard]] Bytes to_bytes(const pqxx::field& f);  // NULL -> empty
[[nodiscard]] std::optional<Bytes> to_optional_bytes(const pqxx::field& f);

[[nodiscard]] Timestamp to_timestamp(const pqxx::field& f);  // NULL throws
[[nodiscard]] std::optional<Timestamp> to_optional_timestamp(const pqxx::field& f);

[[nodiscard]] std::string to_text(const pqxx::field& f);  // NULL -> ""

// A timestamptz parameter (RFC 3339 text; pass with a ::timestamptz cast).
[[nodiscard]] std::string timestamp_param(Timestamp t);

// A Postgres array literal for a text[] parameter, each element quoted.
[[nodiscard]] std::string text_array(const std::vector<std::string>& items);

// SIZE_MAX and friends do not fit a bigint: clamp.
[[nodiscard]] std::int64_t clamp_bigint(std::size_t n);

}  // namespace edgesync::pg
