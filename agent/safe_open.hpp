#pragma once

#include <filesystem>
#include <string_view>

#include "agent/unique_fd.hpp"

namespace edgesync::agent {

// Opens the folder that holds root/rel_path (rel_path canonical), one
// component at a time with O_NOFOLLOW, so a symlink inside the sync folder can
// never lead a read or write outside it. With `create`, missing folders are
// made (0755 & ~umask); without, a missing folder gives an invalid UniqueFd.
// Throws std::system_error otherwise (a file or symlink in the way, EACCES).
[[nodiscard]] UniqueFd open_parent_dir(const std::filesystem::path& root, std::string_view rel_path,
                                       bool create);

}  // namespace edgesync::agent
