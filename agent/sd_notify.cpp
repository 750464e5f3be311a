#include "agent/sd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace edgesync::agent {

SystemdNotifier::SystemdNotifier(std::string socket_address)
    : m_address(std::move(socket_address)) {
    const bool supported = m_address.size() >= 2 && (m_address[0] == '/' || m_address[0] == '@');
    if (!supported || m_address.size() > sizeof(sockaddr_un::sun_path)) return;
    m_fd.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
}

SystemdNotifier SystemdNotifier::from_environment() {
    const char* address = std::getenv("NOTIFY_SOCKET");
    return address == nullptr ? SystemdNotifier() : SystemdNotifier(address);
}

bool SystemdNotifier::notify(std::string_view state) const noexcept {
    if (!enabled()) return true;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, m_address.data(), m_address.size());
    if (m_address[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
    // Abstract names are not NUL-terminated: the length says where they end.
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + m_address.size());
    while (true) {
        const auto sent = ::sendto(m_fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
                                   reinterpret_cast<const sockaddr*>(&addr), length);
        if (sent >= 0) return static_cast<std::size_t>(sent) == state.size();
        if (errno != EINTR) return false;
    }
}

bool SystemdNotifier::status(std::string_view text) const noexcept {
    try {
        std::string message = "STATUS=";
        for (const char c : text) message.push_back(c == '\n' || c == '\r' ? ' ' : c);
        return notify(message);
    } catch (...) {  // allocation failure: a status line is not worth dying for
        return false;
    }
}

std::optional<std::chrono::microseconds> SystemdNotifier::watchdog_interval() {
    const char* usec = std::getenv("WATCHDOG_USEC");
    if (usec == nullptr) return std::nullopt;
    if (const char* pid = std::getenv("WATCHDOG_PID"); pid != nullptr) {
        char* end = nullptr;
        const long value = std::strtol(pid, &end, 10);
        if (end == pid || *end != '\0' || value != static_cast<long>(::getpid()))
            return std::nullopt;
    }
    char* end = nullptr;
    const unsigned long long value = std::strtoull(usec, &end, 10);
    if (end == usec || *end != '\0' || value == 0) return std::nullopt;
    return std::chrono::microseconds(static_cast<std::int64_t>(value / 2));
}

}  // namespace edgesync::agent
