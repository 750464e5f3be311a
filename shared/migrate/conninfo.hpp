#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "shared/db/conninfo.hpp"

namespace edgesync::migrate {

using edgesync::redact_database_url;
using edgesync::scrub_secrets;
using edgesync::with_conninfo_param;

// The URL with a bounded connect (libpq `connect_timeout`, whole seconds,
// at least 1; libpq itself waits at least 2) and `application_name`.
[[nodiscard]] std::string with_connect_timeout(std::string_view url, std::chrono::seconds timeout);

}  // namespace edgesync::migrate
