#pragma once

#include <string>
#include <vector>

#include "cli/command.hpp"

// The checks behind `edgesync doctor`, as data: cli/cmd_doctor.cpp prints them.
namespace edgesync::cli {

enum class CheckLevel {
    ok,
    warn,  // works, but look at it; does not fail doctor
    fail,
    skip,  // not run because a check it needs failed
};

struct CheckResult {
    std::string check;  // stable name: "postgres", "clock.redis", "config.database_url", ...
    CheckLevel level = CheckLevel::ok;
    std::string detail;       // one line; never a secret
    bool connection = false;  // failed because Postgres/Redis could not be reached
};

// Clock skew between this host and Postgres/Redis: a warning above
// k_skew_warn, a failure above k_skew_fail (docs/cli.md says why).
inline constexpr double k_skew_warn_seconds = 1.0;
inline constexpr double k_skew_fail_seconds = 30.0;

// Runs every check in a fixed order (the same names every time, so scripts
// can rely on them). Each connection is bounded by context.timeout; nothing
// throws for a failing check, only for a bug.
[[nodiscard]] std::vector<CheckResult> run_checks(const Context& context);

[[nodiscard]] const char* to_string(CheckLevel level);

}  // namespace edgesync::cli
