// `edgesync doctor`: one line per check (cli/doctor.hpp), then a summary.
// Exit 0 when nothing failed (warnings allowed), 5 when Postgres or Redis
// could not be reached, 1 for any other failure. Shapes: docs/cli.md (doctor).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "cli/console.hpp"
#include "cli/doctor.hpp"
#include "cli/groups.hpp"

namespace edgesync::cli {
namespace {

using nlohmann::json;

Tone tone_of(CheckLevel level) {
    switch (level) {
        case CheckLevel::ok:
            return Tone::good;
        case CheckLevel::warn:
            return Tone::warn;
        case CheckLevel::fail:
            return Tone::bad;
        case CheckLevel::skip:
            return Tone::dim;
    }
    return Tone::bad;
}

bool passed(const CheckResult& r) {
    return r.level == CheckLevel::ok || r.level == CheckLevel::warn;
}

std::string summary(const std::vector<CheckResult>& results) {
    const auto count = [&](CheckLevel level) {
        return std::count_if(results.begin(), results.end(),
                             [&](const CheckResult& r) { return r.level == level; });
    };
    const auto failed = count(CheckLevel::fail);
    const auto warned = count(CheckLevel::warn);
    const auto skipped = count(CheckLevel::skip);
    std::string text = failed == 0 ? fmt::format("all {} checks passed", results.size())
                                   : fmt::format("{} of {} checks failed", failed, results.size());
    if (warned > 0) text += fmt::format(", {} warning{}", warned, warned == 1 ? "" : "s");
    if (skipped > 0) text += fmt::format(", {} skipped", skipped);
    return text;
}

ExitCode doctor(const Context& context) {
    const auto results = run_checks(context);
    if (context.json) {
        json list = json::array();
        for (const auto& r : results)
            list.push_back({{"check", r.check},
                            {"ok", passed(r)},
                            {"level", to_string(r.level)},
                            {"detail", r.detail}});
        print_json(list);
    } else {
        std::vector<std::vector<std::string>> rows;
        for (const auto& r : results)
            rows.push_back({r.check, paint(context, tone_of(r.level), to_string(r.level)),
                            printable(r.detail)});
        fmt::print("{}", format_table({"CHECK", "STATUS", "DETAIL"}, rows));
        print_line(summary(results));
    }
    if (std::all_of(results.begin(), results.end(),
                    [](const CheckResult& r) { return r.level != CheckLevel::fail; }))
        return ExitCode::ok;
    const bool unreachable = std::any_of(results.begin(), results.end(),
                                         [](const CheckResult& r) { return r.connection; });
    return unreachable ? ExitCode::cannot_connect : ExitCode::failure;
}

}  // namespace

GroupSpec doctor_group() {
    return GroupSpec{
        .name = "doctor",
        .help = "Check connectivity, schema version, clocks and configuration",
        .options = {{.names = "--path",
                     .help = "Migrations directory to compare the schema with (env "
                             "MIGRATIONS_PATH; default as for migrate)",
                     .takes_value = true,
                     .value_name = "DIR",
                     .config_key = "MIGRATIONS_PATH"}},
        .run = [](const Invocation& inv) { return doctor(inv.context()); },
    };
}

}  // namespace edgesync::cli
