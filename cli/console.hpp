#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "cli/command.hpp"

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

// Left-aligned columns separated by two spaces; the header row first.
[[nodiscard]] std::string format_table(const std::vector<std::string>& header,
                                       const std::vector<std::vector<std::string>>& rows);

// Levenshtein distance, for "did you mean".
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` if it is close enough to be a typo.
[[nodiscard]] std::optional<std::string> closest_match(std::string_view word,
                                                       const std::vector<std::string>& candidates);

}  // namespace edgesync::cli
