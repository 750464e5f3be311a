#include "agent/sync_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <chrono>
#include <system_error>
#include <thread>

namespace edgesync::agent {

namespace {

UniqueFd open_lock_file(const std::filesystem::path& state_dir) {
    const auto file = state_dir / "lock";
    UniqueFd fd(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd.valid())
        throw std::system_error(errno, std::generic_category(), "open " + file.string());
    return fd;
}

}  // namespace

std::optional<StateLock> StateLock::try_acquire(const std::filesystem::path& state_dir) {
    auto fd = open_lock_file(state_dir);
    // A few tries: `status` holds a shared lock for an instant while it looks.
    for (int attempt = 0;; ++attempt) {
        if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return StateLock(std::move(fd));
        if (errno != EWOULDBLOCK)
            throw std::system_error(errno, std::generic_category(),
                                    "flock " + (state_dir / "lock").string());
        if (attempt == 10) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

bool StateLock::held_by_someone(const std::filesystem::path& state_dir) {
    UniqueFd fd(::open((state_dir / "lock").c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return false;  // never created: nobody ran an engine here
    if (::flock(fd.get(), LOCK_SH | LOCK_NB) != 0) return errno == EWOULDBLOCK;
    ::flock(fd.get(), LOCK_UN);
    return false;
}

}  // namespace edgesync::agent
