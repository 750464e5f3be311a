#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/command.hpp"
#include "shared/util/time.hpp"

// Terminal conventions shared by every command: results on stdout (a table or
// one JSON document with --json), diagnostics on stderr, prompts only on a TTY.
namespace edgesync::cli {

// A line on stdout, flushed (progress stays visible when piped).
void print_line(std::string_view text);

// One JSON document on one line on stdout.
void print_json(const nlohmann::json& doc);

// "edgesync: <text>" on stderr, only with --verbose.
void note(const Context& context, std::string_view text);

// Asks "<action>? [y/N]" on stderr and reads the answer from stdin.
// Returns true at once when `assume_yes` (--yes). Without a TTY on stdin it
// never waits: throws UsageError "refusing to <action> without confirmation".
// Returns false when the user does not answer y/yes.
[[nodiscard]] bool confirm(const Context& context, std::string_view action, bool assume_yes);

// Left-aligned columns separated by two spaces; the header row first. Widths
// count what the terminal shows: UTF-8 characters, not bytes, and no ANSI
// colour sequences (so painted cells still line up).
[[nodiscard]] std::string format_table(const std::vector<std::string>& header,
                                       const std::vector<std::vector<std::string>>& rows);

// "name  value" lines, the values aligned: for one record (`state show`).
[[nodiscard]] std::string format_fields(
    const std::vector<std::pair<std::string, std::string>>& fields);

// Colours for words like "ok", "online", "FAIL". paint() returns `text`
// unchanged unless context.color (stdout is a terminal or CLICOLOR_FORCE is
// set, NO_COLOR is not, and --json is off).
enum class Tone { good, warn, bad, dim };
[[nodiscard]] std::string paint(const Context& context, Tone tone, std::string_view text);

// `text` safe to put on a terminal: control characters (and DEL) become \xNN,
// so a hostile key or device name cannot move the cursor or change colours.
[[nodiscard]] std::string printable(std::string_view text);

// "2026-11-25 09:24:39Z": UTC to the second, for tables. JSON uses RFC 3339.
[[nodiscard]] std::string human_time(Timestamp t);

// RFC 3339 text, or null for no time: how JSON output writes timestamps.
[[nodiscard]] nlohmann::json time_json(std::optional<Timestamp> t);

// Levenshtein distance, for "did you mean".
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` if it is close enough to be a typo.
[[nodiscard]] std::optional<std::string> closest_match(std::string_view word,
                                                       const std::vector<std::string>& candidates);

}  // namespace edgesync::cli
