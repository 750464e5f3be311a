// edgesync-server: the HTTP/WebSocket/SSE API. Placeholder until issue #4
// builds the server; it answers --help and --version truthfully.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "shared/version.hpp"

int main(int argc, char** argv) {
    CLI::App app{"edgesync-server: the EdgeSync HTTP/WebSocket/SSE API (not yet implemented)"};
    app.set_version_flag("--version", std::string("edgesync-server ") + edgesync::k_version);
    CLI11_PARSE(app, argc, argv);
    fmt::print(stderr, "edgesync-server: error: the server is not implemented yet (issue #4)\n");
    return 1;
}
