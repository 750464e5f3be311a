#pragma once

#include <vector>

#include "cli/command.hpp"

namespace edgesync::cli {

// One function per command group, each defined in its cli/cmd_<group>.cpp.
[[nodiscard]] GroupSpec migrate_group();
[[nodiscard]] GroupSpec account_group();
[[nodiscard]] GroupSpec device_group();
[[nodiscard]] GroupSpec session_group();
[[nodiscard]] GroupSpec state_group();
[[nodiscard]] GroupSpec events_group();
[[nodiscard]] GroupSpec presence_group();
[[nodiscard]] GroupSpec doctor_group();

// Every group, in the order `edgesync --help` lists them. Adding a group is
// adding its cli/cmd_<group>.cpp plus its declaration and one line here.
[[nodiscard]] inline std::vector<GroupSpec> all_groups() {
    return {
        migrate_group(), account_group(), device_group(), session_group(),
        state_group(),   events_group(),  presence_group(), doctor_group(),
    };
}

}  // namespace edgesync::cli
