#include "shared/migrate/conninfo.hpp"

#include <algorithm>
#include <string>

namespace edgesync::migrate {

std::string with_connect_timeout(std::string_view url, std::chrono::seconds timeout) {
    const auto secs = std::max<std::chrono::seconds::rep>(1, timeout.count());
    return with_conninfo_param(with_conninfo_param(url, "connect_timeout", std::to_string(secs)),
                               "application_name", "edgesync-migrate");
}

}  // namespace edgesync::migrate
