// `edgesync-agent approve DEVICE` (issue #5). Being built this session by the
// enrollment work; until then it says so.
#include <fmt/format.h>

#include "agent/commands.hpp"

namespace edgesync::agent {

int approve(const GlobalOptions&, const std::string&, bool) {
    fmt::print(stderr, "edgesync-agent: error: approve is not built yet (issue #5)\n");
    return 1;
}

}  // namespace edgesync::agent
