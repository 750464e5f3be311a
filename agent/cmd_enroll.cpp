// `edgesync-agent enroll` and the key handling of a new device (issue #5).
// Being built this session by the enrollment work; until then it says so.
#include <fmt/format.h>

#include "agent/commands.hpp"

namespace edgesync::agent {

int enroll(const GlobalOptions&, const EnrollOptions&) {
    fmt::print(stderr, "edgesync-agent: error: enroll is not built yet (issue #5)\n");
    return 1;
}

}  // namespace edgesync::agent
