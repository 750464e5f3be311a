#pragma once

// The `edgesync` program: builds the command tree from cli/groups.hpp, parses
// the command line, resolves the configuration, runs the chosen command and
// turns every error into one stderr line and an ExitCode. The only place that
// catches edgesync::Error.
namespace edgesync::cli {

[[nodiscard]] int run(int argc, char** argv);

}  // namespace edgesync::cli
