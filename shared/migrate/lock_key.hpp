#pragma once

#include <cstdint>
#include <string_view>

namespace edgesync::migrate {

// The pg_advisory_lock key golang-migrate's Postgres driver uses for a
// migrations table: CRC-32 (IEEE) of "schema\0table\0database" times
// 1486364155, modulo 2^32. Using the same key means an `edgesync migrate`
// and a golang-migrate `migrate` never run against one database at once.
[[nodiscard]] std::int64_t golang_migrate_lock_key(std::string_view database,
                                                   std::string_view schema,
                                                   std::string_view table = "schema_migrations");

[[nodiscard]] std::uint32_t crc32_ieee(std::string_view data) noexcept;

}  // namespace edgesync::migrate
