#pragma once

#include <filesystem>
#include <optional>

#include "agent/unique_fd.hpp"

namespace edgesync::agent {

// One sync engine per state directory: `run` and `sync --once` hold an
// exclusive flock() on state_dir/lock for their lifetime. The kernel drops it
// when the process dies, so a crash never leaves a stale lock.
class StateLock {
  public:
    // nullopt when another process holds it. Throws std::system_error when the
    // lock file cannot be opened.
    [[nodiscard]] static std::optional<StateLock> try_acquire(
        const std::filesystem::path& state_dir);

    // True when some process holds the lock now (for `status`).
    [[nodiscard]] static bool held_by_someone(const std::filesystem::path& state_dir);

  private:
    explicit StateLock(UniqueFd fd) : m_fd(std::move(fd)) {}
    UniqueFd m_fd;
};

}  // namespace edgesync::agent
