#pragma once

#include <sys/stat.h>

#include <csignal>
#include <cstdlib>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

// Small helpers shared by the sync engine's translation units.
namespace edgesync::agent {

inline constexpr std::string_view k_ignore_file = ".edgesyncignore";

// The bound on files read and sealed, or decrypted and written, at once.
inline constexpr std::size_t k_file_threads = 4;

// Runs fn(0..n-1) on up to k_file_threads threads; rethrows the first exception.
template <typename Fn>
inline void for_each_parallel(std::size_t n, Fn fn) {
    const std::size_t threads = std::min(n, k_file_threads);
    if (threads <= 1) {
        for (std::size_t i = 0; i < n; ++i) fn(i);
        return;
    }
    std::atomic<std::size_t> next{0};
    std::exception_ptr error;
    std::mutex error_mutex;
    std::vector<std::thread> pool;
    pool.reserve(threads);
    for (std::size_t t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            for (std::size_t i = next++; i < n; i = next++) {
                try {
                    fn(i);
                } catch (...) {
                    std::lock_guard lock(error_mutex);
                    if (!error) error = std::current_exception();
                }
            }
        });
    for (auto& t : pool) t.join();
    if (error) std::rethrow_exception(error);
}

// Test-only fault injection: when the environment variable
// EDGESYNC_AGENT_FAULT names this point, the process SIGKILLs itself there,
// exactly as a `kill -9` at that moment would (the e2e crash tests use it to
// hit a crash window deterministically). Nothing is written or skipped; unset
// (always, outside tests) it costs one comparison. Points:
//   exit_after_pull_write     a pulled page is written, its index commit not done
//   exit_after_push_send      the server applied a push, its index commit not done
//   exit_after_conflict_copy  a conflict copy is written, the remote version not yet
inline void fault_point(std::string_view name) {
    static const char* const fault = std::getenv("EDGESYNC_AGENT_FAULT");
    if (fault != nullptr && name == fault) std::raise(SIGKILL);
}

[[nodiscard]] inline std::int64_t mtime_ns_of(const struct stat& st) noexcept {
    return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

}  // namespace edgesync::agent
