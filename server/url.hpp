#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Percent-decoding for request targets (RFC 3986). Pure functions.
namespace edgesync::server {

// Decodes %XX escapes; with `plus_is_space` (query strings) '+' becomes ' '.
// nullopt for a malformed escape ('%' not followed by two hex digits) or a
// decoded NUL byte, which no EdgeSync value may contain.
[[nodiscard]] std::optional<std::string> percent_decode(std::string_view text,
                                                        bool plus_is_space = false);

// "a=1&b=x%20y&flag" -> {{"a","1"},{"b","x y"},{"flag",""}}, in order.
// Pairs whose name or value is malformed are dropped.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);

}  // namespace edgesync::server
