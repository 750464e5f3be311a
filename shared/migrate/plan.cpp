#include "shared/migrate/plan.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace edgesync::migrate {
namespace {

using Files = std::vector<Migration>;

// Index of the first file above the current version, after checking that the
// current version is a known file.
std::size_t first_pending(const Files& files, const SchemaVersion& current) {
    if (current.dirty) throw DirtyDatabase(current);
    if (!current.version) return 0;
    const auto it = std::find_if(files.begin(), files.end(),
                                 [&](const Migration& m) { return m.version == *current.version; });
    if (it == files.end())
        throw Error(fmt::format("the database is at version {}, but there is no migration {} in "
                                "the migrations directory (wrong --path?)",
                                *current.version, *current.version),
                    ExitCode::conflict);
    return static_cast<std::size_t>(it - files.begin()) + 1;
}

std::vector<Step> up_steps(const Files& files, std::size_t from, std::size_t to) {
    std::vector<Step> steps;
    for (std::size_t i = from; i < to; ++i)
        steps.push_back(Step{files[i], Direction::up, files[i].version});
    return steps;
}

// Reverts files[from-1] down to files[to] (inclusive), newest first.
std::vector<Step> down_steps(const Files& files, std::size_t from, std::size_t to) {
    std::vector<Step> steps;
    for (std::size_t i = from; i > to; --i) {
        const auto& m = files[i - 1];
        if (!m.down) throw Error(fmt::format("cannot revert {}: it has no .down.sql file", m.name));
        const auto target = i >= 2 ? std::optional(files[i - 2].version) : std::nullopt;
        steps.push_back(Step{m, Direction::down, target});
    }
    return steps;
}

}  // namespace

std::string describe(const SchemaVersion& v) {
    const auto base = v.version ? std::to_string(*v.version) : std::string("none");
    return v.dirty ? base + " (dirty)" : base;
}

DirtyDatabase::DirtyDatabase(const SchemaVersion& v)
    : Error(fmt::format("the database is dirty at version {}: a migration failed part way; "
                        "repair the schema by hand, then run `edgesync migrate force {}`",
                        v.version ? std::to_string(*v.version) : std::string("none"),
                        v.version ? std::to_string(*v.version) : std::string("-1")),
            ExitCode::conflict) {}

std::vector<Step> plan_up(const Files& files, const SchemaVersion& current,
                          std::optional<std::size_t> limit) {
    const auto from = first_pending(files, current);
    const auto pending = files.size() - from;
    return up_steps(files, from, from + std::min(pending, limit.value_or(pending)));
}

std::vector<Step> plan_down(const Files& files, const SchemaVersion& current,
                            std::optional<std::size_t> limit) {
    const auto applied = first_pending(files, current);
    return down_steps(files, applied, applied - std::min(applied, limit.value_or(applied)));
}

std::vector<Step> plan_goto(const Files& files, const SchemaVersion& current, std::int64_t target) {
    const auto it = std::find_if(files.begin(), files.end(),
                                 [&](const Migration& m) { return m.version == target; });
    if (it == files.end())
        throw Error(fmt::format("there is no migration {} in the migrations directory", target),
                    ExitCode::not_found);
    const auto applied = first_pending(files, current);
    const auto wanted = static_cast<std::size_t>(it - files.begin()) + 1;
    return wanted >= applied ? up_steps(files, applied, wanted)
                             : down_steps(files, applied, wanted);
}

}  // namespace edgesync::migrate
