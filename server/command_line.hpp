#pragma once

#include <optional>

#include "shared/config/config.hpp"

namespace edgesync::server {

struct CommandLine {
    // Set when the process should exit right away: 0 after --help or
    // --version (already printed), 2 after a usage error (already reported).
    std::optional<int> exit_code;
    Config::LoadOptions load;  // flags mapped to their setting names (SERVER_PORT, ...)
};

// The only CLI11 translation unit of the server.
[[nodiscard]] CommandLine parse_command_line(int argc, char** argv);

}  // namespace edgesync::server
