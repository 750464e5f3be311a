// `edgesync-agent run` and `sync --once` (issue #5). Being built this session by
// the sync engine work; until then they say so.
#include <fmt/format.h>

#include "agent/commands.hpp"

namespace edgesync::agent {

int run_daemon(const GlobalOptions&) {
    fmt::print(stderr, "edgesync-agent: error: run is not built yet (issue #5)\n");
    return 1;
}

int sync_once(const GlobalOptions&) {
    fmt::print(stderr, "edgesync-agent: error: sync is not built yet (issue #5)\n");
    return 1;
}

}  // namespace edgesync::agent
