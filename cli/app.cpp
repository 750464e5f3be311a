// The only translation unit that includes CLI11 (6-12 s to compile): it turns
// the plain GroupSpec tables into a parser and everything else into plain data.
#include "cli/app.hpp"

#include <fmt/format.h>
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <deque>

#include "cli/console.hpp"
#include "cli/groups.hpp"
#include "shared/version.hpp"

namespace edgesync::cli {
namespace {

constexpr const char* k_footer =
    "Exit codes: 0 ok, 1 failure, 2 usage, 3 not found, 4 conflict or dirty schema,\n"
    "5 cannot connect. Configuration: flags > environment > .env > defaults.\n"
    "See docs/cli.md.";

struct BoundOption {
    const OptionSpec* spec;
    CLI::Option* option;
};

struct BoundArg {
    const ArgSpec* spec;
    CLI::Option* option;
};

struct BoundCommand {
    const CommandSpec* spec;
    CLI::App* app;
    std::vector<BoundArg> args;
    std::vector<BoundOption> options;  // the command's, then its group's
};

CLI::Option* add_option(CLI::App& app, const OptionSpec& spec) {
    if (!spec.takes_value) return app.add_flag(spec.names, spec.help);
    auto* option = app.add_option(spec.names, spec.help);
    if (!spec.value_name.empty()) option->type_name(spec.value_name);
    if (spec.required) option->required();
    return option;
}

std::vector<std::string> subcommand_names(const CLI::App& app) {
    std::vector<std::string> names;
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
        names.push_back(sub->get_name());
    return names;
}

// An environment variable that is present and not empty (as no-color.org says).
bool is_set(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0';
}

std::string one_line(std::string text) {
    std::replace(text.begin(), text.end(), '\n', ' ');
    return text;
}

class Program {
  public:
    Program() : m_groups(all_groups()) { build(); }

    int run(int argc, char** argv) {
        try {
            try {
                m_app.parse(argc, argv);
            } catch (const CLI::CallForHelp& e) {
                return m_app.exit(e);
            } catch (const CLI::CallForAllHelp& e) {
                return m_app.exit(e);
            } catch (const CLI::CallForVersion& e) {
                return m_app.exit(e);
            } catch (const CLI::ParseError& e) {
                throw UsageError(describe(e));
            }
            return static_cast<int>(dispatch());
        } catch (const Error& e) {
            return report(e.what(), e.code());
        } catch (const std::exception& e) {
            return report(e.what(), ExitCode::failure);
        }
    }

  private:
    void build() {
        m_app.name("edgesync");
        m_app.description(
            "edgesync: EdgeSync administration (migrations, accounts, devices, "
            "sessions, state, presence)");
        m_app.footer(k_footer);
        m_app.set_version_flag("--version", std::string("edgesync ") + k_version);
        m_app.require_subcommand(1);
        m_database_url =
            m_app.add_option("--database-url", "Postgres URL (env DATABASE_URL)")->type_name("URL");
        m_redis_url =
            m_app.add_option("--redis-url", "Redis URL (env REDIS_URL)")->type_name("URL");
        m_app.add_flag("--json", m_json, "Print results as JSON (one document on stdout)");
        m_app.add_flag("-v,--verbose", m_verbose, "Say more on stderr (never secrets)");
        m_timeout = m_app.add_option("--timeout", "Connect timeout in seconds (default 5)")
                        ->type_name("SECONDS");
        for (const auto& group : m_groups) {
            auto* group_app = m_app.add_subcommand(group.name, group.help);
            group_app->fallthrough();
            std::vector<BoundOption> group_options;
            for (const auto& option : group.options)
                group_options.push_back({&option, add_option(*group_app, option)});
            if (group.run) {  // the group is itself the command
                m_direct.push_back(CommandSpec{.name = group.name, .run = group.run});
                m_commands.push_back({&m_direct.back(), group_app, {}, std::move(group_options)});
                continue;
            }
            group_app->require_subcommand(1);
            for (const auto& command : group.commands) {
                auto* app = group_app->add_subcommand(command.name, command.help);
                app->fallthrough();
                BoundCommand bound{&command, app, {}, {}};
                for (const auto& arg : command.args) {
                    auto* positional = app->add_option(arg.name, arg.help);
                    if (arg.required) positional->required();
                    bound.args.push_back({&arg, positional});
                }
                for (const auto& option : command.options)
                    bound.options.push_back({&option, add_option(*app, option)});
                bound.options.insert(bound.options.end(), group_options.begin(),
                                     group_options.end());
                m_commands.push_back(std::move(bound));
            }
        }
    }

    // A parse failure as one line; a mistyped command gets a suggestion.
    std::string describe(const CLI::ParseError& e) const {
        std::vector<const CLI::App*> chain{&m_app};
        while (!chain.back()->get_subcommands().empty())
            chain.push_back(chain.back()->get_subcommands().front());
        const CLI::App& deepest = *chain.back();
        const auto names = subcommand_names(deepest);
        std::string path = "edgesync";
        for (std::size_t i = 1; i < chain.size(); ++i) path += " " + chain[i]->get_name();
        if (!names.empty()) {  // a command was expected here
            for (const auto* app : chain)
                for (const auto& word : app->remaining()) {
                    if (word.starts_with('-')) continue;
                    if (const auto match = closest_match(word, names))
                        return fmt::format("unknown command '{}', did you mean '{}'?", word,
                                           *match);
                    return fmt::format("unknown command '{}' (see '{} --help')", word, path);
                }
            return fmt::format("missing command: {} <{}> (see '{} --help')", path,
                               fmt::join(names, "|"), path);
        }
        std::string what = one_line(e.what());
        // "The following argument..." reads as "the following argument..."; "V is required" stays.
        if (what.size() > 1 && std::islower(static_cast<unsigned char>(what[1])) != 0)
            what[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(what[0])));
        return fmt::format("{} (see '{} --help')", what, path);
    }

    ExitCode dispatch() {
        const auto it = std::find_if(m_commands.begin(), m_commands.end(),
                                     [](const BoundCommand& c) { return c.app->parsed(); });
        if (it == m_commands.end()) throw UsageError("missing command (see 'edgesync --help')");
        std::map<std::string, std::string> config_flags;
        if (m_database_url->count() > 0)
            config_flags["DATABASE_URL"] = m_database_url->as<std::string>();
        if (m_redis_url->count() > 0) config_flags["REDIS_URL"] = m_redis_url->as<std::string>();
        std::map<std::string, std::string, std::less<>> values;
        std::set<std::string, std::less<>> flags;
        std::set<std::string, std::less<>> option_keys;
        for (const auto& arg : it->args)
            if (arg.option->count() > 0) values[arg.spec->name] = arg.option->as<std::string>();
        for (const auto& option : it->options) {
            if (option.option->count() == 0) continue;
            const auto key = option_key(option.spec->names);
            if (!option.spec->takes_value) {
                flags.insert(key);
                continue;
            }
            values[key] = option.option->as<std::string>();
            option_keys.insert(key);
            if (!option.spec->config_key.empty())
                config_flags[option.spec->config_key] = values[key];
        }
        Context context;
        context.json = m_json;
        context.verbose = m_verbose > 0;
        context.stdin_is_tty = ::isatty(STDIN_FILENO) == 1;
        context.color = !m_json && !is_set("NO_COLOR") &&
                        (is_set("CLICOLOR_FORCE") || ::isatty(STDOUT_FILENO) == 1);
        if (m_timeout->count() > 0) {
            const Invocation timeout_arg(context, {{"--timeout", m_timeout->as<std::string>()}},
                                         {});
            context.timeout = std::chrono::seconds(*timeout_arg.integer("--timeout", 1, 3600));
        }
        Config::LoadOptions load;
        load.flags = std::move(config_flags);
        context.config = Config::load(load);
        return it->spec->run(
            Invocation(context, std::move(values), std::move(flags), std::move(option_keys)));
    }

    int report(const std::string& message, ExitCode code) const {
        if (m_json)
            print_json({{"error", {{"message", message}, {"exit_code", static_cast<int>(code)}}}});
        // Messages may quote what the user typed or what the database holds:
        // control characters are shown escaped, never sent to the terminal.
        fmt::print(stderr, "edgesync: error: {}\n", printable(one_line(message)));
        return static_cast<int>(code);
    }

    std::vector<GroupSpec> m_groups;   // never resized after build(): specs are pointed to
    std::deque<CommandSpec> m_direct;  // the commands of groups that are one (stable addresses)
    CLI::App m_app;
    CLI::Option* m_database_url = nullptr;
    CLI::Option* m_redis_url = nullptr;
    CLI::Option* m_timeout = nullptr;
    bool m_json = false;
    int m_verbose = 0;
    std::vector<BoundCommand> m_commands;
};

}  // namespace

int run(int argc, char** argv) {
    Program program;
    return program.run(argc, argv);
}

}  // namespace edgesync::cli
