// `.edgesyncignore` patterns: the input is the rules text, a NUL, then a path.
// Property: parsing and matching never crash, throw or hang (the matcher has
// `**` and classes: a backtracking blow-up would show as a timeout).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agent/ignore.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto nul = input.find('\0');
    const std::string_view rules_text = input.substr(0, nul);
    const std::string_view path =
        nul == std::string_view::npos ? std::string_view("a/b/c.txt") : input.substr(nul + 1);

    const auto rules = edgesync::agent::IgnoreRules::parse(rules_text);
    for (const bool is_dir : {false, true}) {
        (void)rules.is_ignored(path, is_dir);
        (void)rules.matches(path, is_dir);
    }
    return 0;
}
