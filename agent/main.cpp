// edgesync-agent: the sync daemon. Placeholder until issue #5 builds the agent;
// it answers --help and --version truthfully.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "shared/version.hpp"

int main(int argc, char** argv) {
    CLI::App app{"edgesync-agent: EdgeSync directory sync daemon (not yet implemented)"};
    app.set_version_flag("--version", std::string("edgesync-agent ") + edgesync::k_version);
    CLI11_PARSE(app, argc, argv);
    fmt::print(stderr, "edgesync-agent: error: the agent is not implemented yet (issue #5)\n");
    return 1;
}
