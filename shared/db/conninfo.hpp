#pragma once

#include <string>
#include <string_view>

// libpq connection strings (postgres:// URLs or key=value conninfo): adding
// parameters and keeping passwords out of what is printed. Used by the
// connection pool and the migration runner.
namespace edgesync {

// `url` (postgres:// URL or key=value conninfo) with libpq's `name=value`
// parameter added, unless the caller already set `name` — an explicit
// setting in the URL wins. Values must not need quoting or escaping.
[[nodiscard]] std::string with_conninfo_param(std::string_view url, std::string_view name,
                                              std::string_view value);

// Safe to print: redact_url() plus any `password=` query parameter masked.
[[nodiscard]] std::string redact_database_url(std::string_view url);

// `message` with every password that `url` contains replaced by "***", for
// driver messages that might echo parts of the connection string.
[[nodiscard]] std::string scrub_secrets(std::string_view message, std::string_view url);

}  // namespace edgesync
