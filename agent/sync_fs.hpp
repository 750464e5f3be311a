#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string_view>

// Small helpers shared by the sync engine's translation units.
namespace edgesync::agent {

inline constexpr std::string_view k_ignore_file = ".edgesyncignore";

[[nodiscard]] inline std::int64_t mtime_ns_of(const struct stat& st) noexcept {
    return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

}  // namespace edgesync::agent
