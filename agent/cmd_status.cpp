// `edgesync-agent status` (issue #5). Being built this session by the sync
// engine work; until then it says so.
#include <fmt/format.h>

#include "agent/commands.hpp"

namespace edgesync::agent {

int status(const GlobalOptions&, bool) {
    fmt::print(stderr, "edgesync-agent: error: status is not built yet (issue #5)\n");
    return 1;
}

}  // namespace edgesync::agent
