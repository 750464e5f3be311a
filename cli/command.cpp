#include "cli/command.hpp"

#include <fmt/format.h>

#include <charconv>

namespace edgesync::cli {

std::optional<std::string> Invocation::value(std::string_view key) const {
    const auto it = m_values.find(key);
    if (it == m_values.end()) return std::nullopt;
    return it->second;
}

bool Invocation::flag(std::string_view key) const { return m_flags.contains(key); }

std::optional<std::int64_t> Invocation::integer(std::string_view key, std::int64_t min,
                                                std::int64_t max) const {
    const auto text = value(key);
    if (!text) return std::nullopt;
    std::int64_t n = 0;
    const auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
    if (ec != std::errc{} || p != text->data() + text->size() || text->empty())
        throw UsageError(fmt::format("{} must be a whole number, got '{}'", key, *text));
    if (n < min || n > max)
        throw UsageError(fmt::format("{} must be between {} and {}, got {}", key, min, max, n));
    return n;
}

std::string option_key(std::string_view names) {
    std::string_view best;
    std::size_t start = 0;
    while (start <= names.size()) {
        const auto comma = names.find(',', start);
        auto name =
            names.substr(start, comma == std::string_view::npos ? names.npos : comma - start);
        const auto dashes = name.find_first_not_of('-');
        const bool is_long = dashes == 2;
        name.remove_prefix(dashes == std::string_view::npos ? name.size() : dashes);
        if (best.empty() || is_long) best = name;
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return std::string(best);
}

}  // namespace edgesync::cli
