#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <string>

#include "agent/sd_notify.hpp"
#include "agent/unique_fd.hpp"
#include "shared/crypto/hash.hpp"
#include "shared/util/bytes.hpp"
#include "tests/support/temp_dir.hpp"

namespace edgesync::agent {
namespace {

// A bound unix datagram socket standing in for systemd's notify socket.
class NotifySocket {
  public:
    // `address` is a path or "@abstract-name".
    explicit NotifySocket(std::string address) : m_address(std::move(address)) {
        m_fd.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, m_address.data(), m_address.size());
        if (m_address[0] == '@') addr.sun_path[0] = '\0';
        const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + m_address.size());
        EXPECT_EQ(::bind(m_fd.get(), reinterpret_cast<const sockaddr*>(&addr), len), 0)
            << std::strerror(errno);
    }
    const std::string& address() const { return m_address; }
    // The next datagram, or nullopt if none arrives within a generous timeout.
    std::optional<std::string> receive() {
        pollfd p{m_fd.get(), POLLIN, 0};
        if (::poll(&p, 1, 10'000) != 1) return std::nullopt;
        char buffer[4096];
        const auto n = ::recv(m_fd.get(), buffer, sizeof buffer, 0);
        if (n < 0) return std::nullopt;
        return std::string(buffer, static_cast<std::size_t>(n));
    }

  private:
    std::string m_address;
    UniqueFd m_fd;
};

TEST(AgentSdNotify, SendsEachMessageToAPathSocket) {
    test::TempDir dir;
    NotifySocket socket((dir.path() / "notify").string());
    const SystemdNotifier notifier(socket.address());
    ASSERT_TRUE(notifier.enabled());
    EXPECT_TRUE(notifier.ready());
    EXPECT_EQ(socket.receive(), "READY=1");
    EXPECT_TRUE(notifier.status("idle, 1234 files"));
    EXPECT_EQ(socket.receive(), "STATUS=idle, 1234 files");
    EXPECT_TRUE(notifier.watchdog());
    EXPECT_EQ(socket.receive(), "WATCHDOG=1");
    EXPECT_TRUE(notifier.stopping());
    EXPECT_EQ(socket.receive(), "STOPPING=1");
}

TEST(AgentSdNotify, SendsToAnAbstractSocket) {
    NotifySocket socket("@edgesync-test-" + hex_encode(crypto::random_bytes(8)));
    const SystemdNotifier notifier(socket.address());
    EXPECT_TRUE(notifier.ready());
    EXPECT_EQ(socket.receive(), "READY=1");
}

TEST(AgentSdNotify, StatusIsOneLine) {
    test::TempDir dir;
    NotifySocket socket((dir.path() / "notify").string());
    EXPECT_TRUE(SystemdNotifier(socket.address()).status("a\nb"));
    EXPECT_EQ(socket.receive(), "STATUS=a b");
}

TEST(AgentSdNotify, ReadsNotifySocketFromTheEnvironment) {
    test::TempDir dir;
    NotifySocket socket((dir.path() / "notify").string());
    ::setenv("NOTIFY_SOCKET", socket.address().c_str(), 1);
    const auto notifier = SystemdNotifier::from_environment();
    ::unsetenv("NOTIFY_SOCKET");
    EXPECT_TRUE(notifier.ready());
    EXPECT_EQ(socket.receive(), "READY=1");
}

TEST(AgentSdNotify, WithoutNotifySocketEveryCallIsANoOp) {
    ::unsetenv("NOTIFY_SOCKET");
    const auto notifier = SystemdNotifier::from_environment();
    EXPECT_FALSE(notifier.enabled());
    EXPECT_TRUE(notifier.ready());
    EXPECT_FALSE(SystemdNotifier("vsock:2:1234").enabled());  // not supported: disabled
}

TEST(AgentSdNotify, GoneSocketIsReportedNotThrown) {
    test::TempDir dir;
    const SystemdNotifier notifier((dir.path() / "nobody-listens").string());
    EXPECT_FALSE(notifier.ready());
}

TEST(AgentSdNotify, WatchdogIntervalIsHalfOfWatchdogUsecForThisProcess) {
    ::setenv("WATCHDOG_USEC", "30000000", 1);
    ::unsetenv("WATCHDOG_PID");
    EXPECT_EQ(SystemdNotifier::watchdog_interval(), std::chrono::microseconds(15'000'000));
    ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
    EXPECT_EQ(SystemdNotifier::watchdog_interval(), std::chrono::microseconds(15'000'000));
    ::setenv("WATCHDOG_PID", "1", 1);  // meant for another process
    EXPECT_FALSE(SystemdNotifier::watchdog_interval().has_value());
    ::unsetenv("WATCHDOG_PID");
    ::unsetenv("WATCHDOG_USEC");
    EXPECT_FALSE(SystemdNotifier::watchdog_interval().has_value());
}

}  // namespace
}  // namespace edgesync::agent
