#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "agent/unique_fd.hpp"

namespace edgesync::agent {

// The systemd notification protocol (sd_notify(3)), without libsystemd: one
// datagram per message to the unix socket named by $NOTIFY_SOCKET, either a
// path ("/run/systemd/notify") or an abstract name ("@name"). Without
// $NOTIFY_SOCKET (not run by systemd with Type=notify) every call is a no-op.
//
// Thread-safe: each message is one sendto() on a socket nobody else reads.
class SystemdNotifier {
  public:
    // Disabled: every call is a no-op.
    SystemdNotifier() = default;
    // Sends to `socket_address` ("/path" or "@abstract"); an empty or
    // unsupported address (e.g. "vsock:...") gives a disabled notifier.
    explicit SystemdNotifier(std::string socket_address);

    // From $NOTIFY_SOCKET.
    [[nodiscard]] static SystemdNotifier from_environment();

    [[nodiscard]] bool enabled() const noexcept { return m_fd.valid(); }

    // Sends `state` as is ("READY=1", "STATUS=idle\nWATCHDOG=1", ...). Returns
    // false if the datagram could not be sent (systemd gone); true when sent or
    // when disabled. Never throws: a service must not die over a status line.
    bool notify(std::string_view state) const noexcept;

    bool ready() const noexcept { return notify("READY=1"); }
    bool stopping() const noexcept { return notify("STOPPING=1"); }
    bool reloading() const noexcept { return notify("RELOADING=1"); }
    bool watchdog() const noexcept { return notify("WATCHDOG=1"); }
    // One line of free text shown by `systemctl status`; newlines become spaces.
    bool status(std::string_view text) const noexcept;

    // How often to send WATCHDOG=1: half of $WATCHDOG_USEC, if the watchdog is
    // on for this process ($WATCHDOG_PID unset or equal to getpid()).
    [[nodiscard]] static std::optional<std::chrono::microseconds> watchdog_interval();

  private:
    UniqueFd m_fd;
    std::string m_address;  // as given; '@' marks an abstract name
};

}  // namespace edgesync::agent
