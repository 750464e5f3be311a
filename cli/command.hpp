#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "shared/config/config.hpp"
#include "shared/util/error.hpp"

// The command tree as plain data. Each group (cli/cmd_<group>.cpp) describes
// its commands here; cli/app.cpp, the only file that includes CLI11 (slow to
// compile), turns the descriptions into a parser. Handlers receive the parsed
// values as an Invocation and never see CLI11.
namespace edgesync::cli {

// A wrong command line: exit code 2.
class UsageError : public Error {
  public:
    explicit UsageError(const std::string& what) : Error(what, ExitCode::usage) {}
};

// Settings every command sees, resolved once before the handler runs.
struct Context {
    Config config;  // flags > environment > .env in the cwd > defaults
    bool json = false;
    bool verbose = false;
    std::chrono::seconds timeout{5};  // connect timeout for Postgres and Redis
    bool stdin_is_tty = false;
};

struct ArgSpec {         // a positional argument
    std::string name{};  // e.g. "N"; also the key in Invocation
    std::string help{};
    bool required = false;
};

struct OptionSpec {
    std::string names{};  // "--all" or "-y,--yes"; the key is the long name without dashes
    std::string help{};
    bool takes_value = false;  // false: a flag
    std::string value_name{};  // e.g. "DIR"
    // When set, a given value joins Config's flags under this name, so it
    // overrides the environment variable of the same name.
    std::string config_key{};
};

class Invocation;

struct CommandSpec {
    std::string name{};
    std::string help{};
    std::vector<ArgSpec> args{};
    std::vector<OptionSpec> options{};
    std::function<ExitCode(const Invocation&)> run{};
};

struct GroupSpec {
    std::string name{};
    std::string help{};
    std::vector<OptionSpec> options{};  // accepted before or after the command
    std::vector<CommandSpec> commands{};
};

// One parsed command line: the context plus the values of the chosen
// command's arguments and of its (and its group's) options.
class Invocation {
  public:
    Invocation(const Context& context, std::map<std::string, std::string, std::less<>> values,
               std::set<std::string, std::less<>> flags)
        : m_context(context), m_values(std::move(values)), m_flags(std::move(flags)) {}

    [[nodiscard]] const Context& context() const noexcept { return m_context; }
    [[nodiscard]] std::optional<std::string> value(std::string_view key) const;
    [[nodiscard]] bool flag(std::string_view key) const;
    // A whole number in [min, max], or nullopt when absent. UsageError otherwise.
    [[nodiscard]] std::optional<std::int64_t> integer(std::string_view key, std::int64_t min,
                                                      std::int64_t max) const;

  private:
    const Context& m_context;
    std::map<std::string, std::string, std::less<>> m_values;
    std::set<std::string, std::less<>> m_flags;
};

// "-y,--yes" -> "yes"; "--path" -> "path"; "-v" -> "v".
[[nodiscard]] std::string option_key(std::string_view names);

}  // namespace edgesync::cli
