#pragma once

#include <csignal>

namespace edgesync::cli {

// While one exists, SIGINT and SIGTERM only set a flag, so a long-running
// command (`events tail --follow`) finishes the line it is writing, flushes
// and exits 0 instead of dying mid-write. Blocking calls are not interrupted:
// loops poll requested() at least every few hundred milliseconds. The
// previous handlers come back on destruction. One at a time per process.
class StopSignals {
  public:
    StopSignals();
    ~StopSignals();
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    [[nodiscard]] bool requested() const noexcept;

  private:
    struct sigaction m_old_int {};
    struct sigaction m_old_term {};
};

}  // namespace edgesync::cli
