#pragma once

#include <vector>

#include "cli/command.hpp"

namespace edgesync::cli {

// One function per command group, each defined in its cli/cmd_<group>.cpp.
[[nodiscard]] GroupSpec migrate_group();

// Every group, in the order `edgesync --help` lists them. Adding a group is
// adding its cli/cmd_<group>.cpp plus its declaration and one line here.
[[nodiscard]] inline std::vector<GroupSpec> all_groups() {
    return {
        migrate_group(),
    };
}

}  // namespace edgesync::cli
