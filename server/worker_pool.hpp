#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace edgesync::server {

// A fixed set of threads for blocking work (Postgres, Redis, Argon2) with a
// bounded queue, so a burst of slow requests queues a little and is then
// refused (503 overloaded) instead of piling up without limit. Sized like the
// Postgres pool: more workers than connections would only wait in acquire().
//
// A job is a plain callable; it reports its result itself, normally by posting
// a completion to the connection's strand. Jobs must not throw (one that does
// is logged and dropped). Thread-safe.
class WorkerPool {
  public:
    using Job = std::move_only_function<void()>;

    struct Options {
        std::size_t threads = 8;           // >= 1
        std::size_t queue_capacity = 256;  // jobs waiting for a thread, >= 1
    };

    struct Stats {
        std::size_t threads = 0;
        std::size_t busy = 0;    // running a job
        std::size_t queued = 0;  // waiting for a thread
        std::size_t queue_capacity = 0;
        std::uint64_t rejected = 0;  // try_submit() calls refused since start
    };

    // Starts the threads. Throws std::invalid_argument for a zero option.
    explicit WorkerPool(Options options);
    // stop(drain = false).
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // Queues `job`; false (the job is destroyed) when the queue is full or the
    // pool is stopping.
    [[nodiscard]] bool try_submit(Job job);

    // Refuses new jobs, runs the queued ones when `drain` (else destroys them
    // unrun), and joins the threads after their current jobs. Idempotent.
    void stop(bool drain);

    [[nodiscard]] Stats stats() const;

  private:
    void run();

    const Options m_options;
    mutable std::mutex m_mutex;
    std::condition_variable m_ready;
    std::deque<Job> m_queue;             // guarded by m_mutex
    std::size_t m_busy = 0;              // guarded
    std::uint64_t m_rejected = 0;        // guarded
    bool m_stopping = false;             // guarded
    bool m_drain = true;                 // guarded; meaningful once m_stopping
    std::vector<std::thread> m_threads;  // joined by stop()
};

}  // namespace edgesync::server
