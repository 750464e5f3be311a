#include "cli/console.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iostream>
#include <numeric>

namespace edgesync::cli {

void print_line(std::string_view text) {
    fmt::print(stdout, "{}\n", text);
    std::fflush(stdout);
}

void print_json(const nlohmann::json& doc) { print_line(doc.dump()); }

void note(const Context& context, std::string_view text) {
    if (context.verbose) fmt::print(stderr, "edgesync: {}\n", text);
}

bool confirm(const Context& context, std::string_view action, bool assume_yes) {
    if (assume_yes) return true;
    if (!context.stdin_is_tty)
        throw UsageError(fmt::format(
            "refusing to {} without confirmation: stdin is not a terminal (pass --yes)", action));
    fmt::print(stderr, "edgesync: {}? [y/N] ", action);
    std::fflush(stderr);
    std::string answer;
    if (!std::getline(std::cin, answer)) return false;
    std::transform(answer.begin(), answer.end(), answer.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return answer == "y" || answer == "yes";
}

std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width(header.size(), 0);
    const auto measure = [&](const std::vector<std::string>& row) {
        for (std::size_t i = 0; i < row.size() && i < width.size(); ++i)
            width[i] = std::max(width[i], row[i].size());
    };
    measure(header);
    for (const auto& row : rows) measure(row);
    std::string out;
    const auto emit = [&](const std::vector<std::string>& row) {
        std::string line;
        for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line.append(width[i] - row[i].size() + 2, ' ');
        }
        out += line + "\n";
    };
    emit(header);
    for (const auto& row : rows) emit(row);
    return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    std::iota(prev.begin(), prev.end(), std::size_t{0});
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates) {
    // Like ninja: a typo is at most a third of the word (and at least 1 edit) away.
    const std::size_t allowed = std::max<std::size_t>(1, (word.size() + 2) / 3);
    std::optional<std::string> best;
    std::size_t best_distance = allowed + 1;
    for (const auto& c : candidates) {
        const auto d = edit_distance(word, c);
        if (d < best_distance) {
            best_distance = d;
            best = c;
        }
    }
    return best;
}

}  // namespace edgesync::cli
