#include "agent/safe_open.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "agent/sync_path.hpp"

namespace edgesync::agent {

UniqueFd open_parent_dir(const std::filesystem::path& root, std::string_view rel_path,
                         bool create) {
    UniqueFd dir(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir.valid())
        throw std::system_error(errno, std::generic_category(),
                                "open sync folder " + root.string());
    std::string_view rest = parent_path(rel_path);
    while (!rest.empty()) {
        const auto slash = rest.find('/');
        const std::string part(rest.substr(0, slash));
        rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
        if (create && ::mkdirat(dir.get(), part.c_str(), 0755) != 0 && errno != EEXIST)
            throw std::system_error(errno, std::generic_category(), "mkdir " + part);
        UniqueFd next(
            ::openat(dir.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!next.valid()) {
            if (!create && errno == ENOENT) return {};
            throw std::system_error(errno, std::generic_category(),
                                    "open folder " + part + " (a file or symlink in the way?)");
        }
        dir = std::move(next);
    }
    return dir;
}

}  // namespace edgesync::agent
