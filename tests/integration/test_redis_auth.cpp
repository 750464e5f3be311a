// AUTH needs a Redis with a password; the shared test Redis has none, so these
// tests start a private redis-server on a free loopback port.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shared/db/redis_client.hpp"
#include "shared/db/redis_subscriber.hpp"
#include "shared/util/error.hpp"
#include "tests/integration/redis_test_support.hpp"

namespace edgesync {
namespace {

int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        throw std::runtime_error("no free port");
    ::close(fd);
    return ntohs(addr.sin_port);
}

// redis-server --requirepass for the life of the object; stopped by its PID.
class PasswordRedis {
  public:
    explicit PasswordRedis(std::string password) : m_password(std::move(password)) {
        m_endpoint.host = "127.0.0.1";
        m_endpoint.port = free_port();
        m_endpoint.password = m_password;
        const auto port = std::to_string(m_endpoint.port);
        m_pid = ::fork();
        if (m_pid == 0) {
            const int null = ::open("/dev/null", O_WRONLY);
            ::dup2(null, STDOUT_FILENO);
            ::dup2(null, STDERR_FILENO);
            ::execl("/usr/bin/redis-server", "redis-server", "--port", port.c_str(), "--bind",
                    "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", "/tmp",
                    "--requirepass", m_password.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        if (m_pid < 0) throw std::runtime_error("fork failed");
        const bool up = test::eventually([&] {
            try {
                return RedisClient(m_endpoint).command({"PING"}).is_status("PONG");
            } catch (const ConnectionError&) {
                return false;
            }
        });
        if (!up) throw std::runtime_error("private redis-server did not start");
    }
    ~PasswordRedis() {
        ::kill(m_pid, SIGTERM);
        int status = 0;
        ::waitpid(m_pid, &status, 0);
    }
    PasswordRedis(const PasswordRedis&) = delete;
    PasswordRedis& operator=(const PasswordRedis&) = delete;

    [[nodiscard]] const RedisEndpoint& endpoint() const { return m_endpoint; }

  private:
    std::string m_password;
    RedisEndpoint m_endpoint;
    pid_t m_pid = -1;
};

TEST(RedisAuth, ConnectsWithThePasswordAndSelectsTheDatabase) {
    const PasswordRedis server("s3cret-pass");
    auto ep = server.endpoint();
    ep.db = 2;
    RedisClient client(ep);
    client.command({"SET", "k", "v"});
    EXPECT_NE(client.command({"CLIENT", "INFO"}).as_string().find(" db=2 "), std::string::npos);
    EXPECT_TRUE(RedisClient(server.endpoint()).command({"GET", "k"}).is_nil());  // db 0
}

TEST(RedisAuth, ReconnectAuthenticatesAndSelectsAgain) {
    const PasswordRedis server("s3cret-pass");
    auto ep = server.endpoint();
    ep.db = 2;
    RedisClient client(ep);
    client.command({"SET", "k", "v"});
    RedisClient admin(server.endpoint());
    const auto id = client.command({"CLIENT", "ID"}).as_integer();
    ASSERT_EQ(admin.command({"CLIENT", "KILL", "ID", std::to_string(id)}).as_integer(), 1);
    EXPECT_EQ(client.command({"GET", "k"}).as_optional_string(), "v");
    EXPECT_NE(client.command({"CLIENT", "ID"}).as_integer(), id);
}

TEST(RedisAuth, WrongPasswordIsAConnectionErrorThatDoesNotShowIt) {
    const PasswordRedis server("s3cret-pass");
    auto ep = server.endpoint();
    ep.password = "wrong-pass-123";
    try {
        RedisClient client(ep);
        FAIL() << "expected ConnectionError";
    } catch (const ConnectionError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("AUTH"), std::string::npos) << what;
        EXPECT_EQ(what.find("wrong-pass-123"), std::string::npos) << what;
        EXPECT_EQ(what.find("s3cret-pass"), std::string::npos) << what;
    }
    EXPECT_THROW(RedisSubscriber{ep}, ConnectionError);
}

TEST(RedisAuth, SubscriberAuthenticates) {
    const PasswordRedis server("s3cret-pass");
    RedisSubscriber sub(server.endpoint());
    sub.subscribe({"es:test"});
    RedisClient publisher(server.endpoint());
    ASSERT_EQ(publisher.publish("es:test", "hi"), 1);
    const auto m = sub.next_message(std::chrono::seconds(10));
    ASSERT_TRUE(m);
    EXPECT_EQ(m->payload, "hi");
}

}  // namespace
}  // namespace edgesync
