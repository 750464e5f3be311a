#pragma once

// Reading systemd unit files in tests (tests/unit/test_agent_packaging.cpp,
// tests/package/test_server_unit.cpp).

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace edgesync::test {

// The whole file; "" when it cannot be read (the caller's assertions then fail).
[[nodiscard]] inline std::string read_text_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The value of `key=` in a unit file, one line, or "" if absent.
[[nodiscard]] inline std::string unit_setting(const std::string& unit, const std::string& key) {
    std::istringstream lines(unit);
    for (std::string line; std::getline(lines, line);)
        if (line.starts_with(key + "=")) return line.substr(key.size() + 1);
    return {};
}

}  // namespace edgesync::test
