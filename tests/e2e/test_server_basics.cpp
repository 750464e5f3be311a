// edgesync-server as an operator runs it: the built binary on loopback, against
// a private migrated database and the test Redis, spoken to over real sockets.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <thread>

#include "tests/support/http_client.hpp"
#include "tests/support/run_process.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_env.hpp"

namespace edgesync::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

// A TCP port that accepts connections (the kernel completes the handshake)
// but never answers: a dependency that hangs.
class SilentListener {
  public:
    SilentListener() {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        if (m_fd < 0 || ::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::listen(m_fd, 64) != 0 ||
            ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
            throw std::runtime_error("SilentListener: cannot listen");
        m_port = ntohs(addr.sin_port);
    }
    ~SilentListener() { ::close(m_fd); }
    SilentListener(const SilentListener&) = delete;
    SilentListener& operator=(const SilentListener&) = delete;
    [[nodiscard]] std::uint16_t port() const { return m_port; }

  private:
    int m_fd = -1;
    std::uint16_t m_port = 0;
};

class ServerBasics : public ::testing::Test {
  protected:
    ServerProcess& start(std::vector<std::string> args = {},
                         std::map<std::string, std::string> env = {}) {
        ServerOptions o;
        o.args = std::move(args);
        o.env = server_env(m_db.url());
        for (auto& [k, v] : env) o.env[k] = v;
        o.cwd = m_cwd.path();
        m_server.emplace(std::move(o));
        return *m_server;
    }
    HttpResponse get(std::string_view target, const HttpHeaders& headers = {}) {
        return http_request(m_server->host(), m_server->port(), "GET", target, headers);
    }
    HttpConnection connect() { return HttpConnection(m_server->host(), m_server->port()); }

    // Runs the server binary to completion (for startup failures).
    ProcessResult run_to_exit(std::map<std::string, std::string> env, std::string database_url) {
        ProcessOptions o;
        o.args = {EDGESYNC_SERVER_BINARY, "--listen", "127.0.0.1:0"};
        o.env = server_env(database_url);
        for (auto& [k, v] : env) o.env[k] = v;
        o.cwd = m_cwd.path();
        o.timeout = 60s;
        return run_process(o);
    }

    TestDatabase m_db = TestDatabase::migrated();
    TempDir m_cwd;
    std::optional<ServerProcess> m_server;
};

void expect_error(const HttpResponse& r, int status, std::string_view code) {
    EXPECT_EQ(r.status, status) << r.describe();
    EXPECT_EQ(r.header("Content-Type").value_or(""), "application/json") << r.describe();
    const auto body = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r.describe();
    EXPECT_EQ(body["error"]["code"], code) << r.describe();
    EXPECT_TRUE(body["error"]["message"].is_string()) << r.describe();
}

TEST_F(ServerBasics, PrintsTheBoundAddressAndAnswersHealthWithOk) {
    auto& server = start();
    EXPECT_EQ(server.host(), "127.0.0.1");
    EXPECT_NE(server.port(), 0);
    const auto r = get("/health");
    EXPECT_EQ(r.status, 200) << r.describe();
    EXPECT_EQ(r.body, "OK");
    EXPECT_TRUE(contains(r.header("Content-Type").value_or(""), "text/plain"));
}

TEST_F(ServerBasics, ReadyChecksPostgresAndRedis) {
    start();
    const auto r = get("/ready");
    ASSERT_EQ(r.status, 200) << r.describe();
    const auto body = json::parse(r.body);
    EXPECT_EQ(body["status"], "ready");
    EXPECT_EQ(body["checks"]["postgres"], "ok");
    EXPECT_EQ(body["checks"]["redis"], "ok");
}

TEST_F(ServerBasics, ReadyIs503NamingRedisWhenRedisIsUnreachable) {
    start({}, {{"REDIS_URL", "redis://127.0.0.1:" + std::to_string(closed_port()) + "/0"}});
    const auto r = get("/ready");
    expect_error(r, 503, "not_ready");
    const auto body = json::parse(r.body);
    EXPECT_EQ(body["checks"]["postgres"], "ok");
    EXPECT_EQ(body["checks"]["redis"], "unavailable");
    EXPECT_TRUE(contains(body["error"]["message"].get<std::string>(), "redis"));
    // Liveness does not depend on Redis.
    EXPECT_EQ(get("/health").status, 200);
}

TEST_F(ServerBasics, MetricsCountRequestsByRouteTemplateAndStatus) {
    start();
    ASSERT_EQ(get("/health").status, 200);
    ASSERT_EQ(get("/health").status, 200);
    ASSERT_EQ(get("/no/such/thing").status, 404);
    const auto r = get("/metrics");
    ASSERT_EQ(r.status, 200) << r.describe();
    EXPECT_TRUE(contains(r.header("Content-Type").value_or(""), "text/plain; version=0.0.4"));
    const auto& m = r.body;
    EXPECT_TRUE(contains(m, "# TYPE edgesync_http_requests_total counter\n")) << m;
    EXPECT_TRUE(contains(
        m, "edgesync_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 2\n"))
        << m;
    EXPECT_TRUE(contains(
        m, "edgesync_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1\n"))
        << m;
    EXPECT_TRUE(contains(m, "# TYPE edgesync_http_request_duration_seconds histogram\n")) << m;
    EXPECT_TRUE(contains(m,
                         "edgesync_http_request_duration_seconds_count{method=\"GET\",route=\"/"
                         "health\",status=\"200\"} 2\n"))
        << m;
    EXPECT_TRUE(contains(m,
                         "edgesync_http_request_duration_seconds_bucket{method=\"GET\",route=\"/"
                         "health\",status=\"200\",le=\"+Inf\"} 2\n"))
        << m;
    EXPECT_TRUE(contains(m, "# TYPE edgesync_http_connections_active gauge\n")) << m;
    EXPECT_TRUE(contains(m, "edgesync_pg_pool_capacity ")) << m;
    EXPECT_TRUE(contains(m, "edgesync_worker_queue_capacity ")) << m;
    // The raw path of an unmatched request never becomes a label.
    EXPECT_FALSE(contains(m, "/no/such/thing")) << m;
}

TEST_F(ServerBasics, InfoPublishesTheConfiguredLimits) {
    start({}, {{"MAX_BLOB_BYTES", "12345"}, {"MAX_BATCH_ITEMS", "77"}});
    const auto r = get("/v1/info");
    ASSERT_EQ(r.status, 200) << r.describe();
    EXPECT_EQ(r.header("Content-Type").value_or(""), "application/json");
    const auto body = json::parse(r.body);
    EXPECT_EQ(body["limits"]["max_blob_bytes"], 12345);
    EXPECT_EQ(body["limits"]["max_batch_items"], 77);
    EXPECT_TRUE(body["limits"]["max_batch_bytes"].is_number());
    EXPECT_TRUE(body["version"].is_string());
}

TEST_F(ServerBasics, UnknownRouteIs404NotFound) {
    start();
    expect_error(get("/v1/nothing-here"), 404, "not_found");
}

TEST_F(ServerBasics, WrongMethodIs405WithAllowHeader) {
    start();
    auto c = connect();
    const auto r = c.request("DELETE", "/health");
    expect_error(r, 405, "method_not_allowed");
    EXPECT_EQ(r.header("Allow").value_or(""), "GET");
    // The connection stays usable after a 405 without a body.
    EXPECT_EQ(c.request("GET", "/health").status, 200);
}

TEST_F(ServerBasics, HugeContentLengthIs413BeforeTheBodyIsSent) {
    start();
    auto c = connect();
    // Only the header goes out; the server must answer without waiting for
    // 10 GiB, and must not invite the body with 100 Continue.
    c.send_raw(
        "PUT /v1/info HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Expect: 100-continue\r\nContent-Length: 10737418240\r\n\r\n");
    const auto r = c.read_response(/*return_interim=*/true);
    expect_error(r, 413, "payload_too_large");
    EXPECT_EQ(r.header("Connection").value_or(""), "close");
    EXPECT_TRUE(c.wait_for_close(15s));
}

TEST_F(ServerBasics, MalformedRequestLineIs400) {
    start();
    auto c = connect();
    c.send_raw("THIS IS NOT HTTP\r\n\r\n");
    expect_error(c.read_response(), 400, "malformed_request");
    EXPECT_TRUE(c.wait_for_close(15s));
}

TEST_F(ServerBasics, MalformedHeaderIs400) {
    start();
    auto c = connect();
    c.send_raw("GET /health HTTP/1.1\r\nHost: x\r\nBad Header Name: y\r\n\r\n");
    expect_error(c.read_response(), 400, "malformed_request");
}

TEST_F(ServerBasics, OversizedHeaderIs431) {
    start();
    auto c = connect();
    c.send_raw("GET /health HTTP/1.1\r\nHost: x\r\nX-Filler: " + std::string(64 * 1024, 'a') +
               "\r\n\r\n");
    expect_error(c.read_response(), 431, "headers_too_large");
}

TEST_F(ServerBasics, ClientSendingHeadersTooSlowlyIsDisconnected) {
    start({"--read-timeout", "1s"});
    auto slow = connect();
    slow.send_raw("GET /health HTTP/1.1\r\nHost: x\r\n");  // ... and the rest never comes
    const std::string received = slow.read_until_close(30s);
    EXPECT_TRUE(slow.wait_for_close(1s)) << "the server kept a slow client connected";
    EXPECT_EQ(received, "") << "a timed-out request gets no response";
    // Others are served meanwhile and afterwards.
    EXPECT_EQ(get("/health").status, 200);
}

TEST_F(ServerBasics, KeepAliveServesSeveralRequestsOnOneConnection) {
    start();
    auto c = connect();
    for (int i = 0; i < 3; ++i) {
        const auto r = c.request("GET", "/health");
        EXPECT_EQ(r.status, 200);
        EXPECT_NE(r.header("Connection").value_or(""), "close");
    }
    const auto metrics = c.request("GET", "/metrics").body;
    EXPECT_TRUE(contains(metrics, "edgesync_http_connections_total 1\n")) << metrics;
}

TEST_F(ServerBasics, ConnectionsOverTheLimitGet503) {
    start({"--max-connections", "1"});
    auto first = connect();
    ASSERT_EQ(first.request("GET", "/health").status, 200);  // admitted and held open
    auto second = connect();
    second.send_raw("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    expect_error(second.read_response(), 503, "too_many_connections");
    EXPECT_EQ(first.request("GET", "/health").status, 200);
}

TEST_F(ServerBasics, ConcurrentClientsOnIoAndWorkerRoutesAreAllServed) {
    start({"--workers", "2"});
    constexpr int k_clients = 8, k_requests = 40;
    std::atomic<int> ok{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < k_clients; ++t)
        clients.emplace_back([&, t] {
            HttpConnection c(m_server->host(), m_server->port());
            for (int i = 0; i < k_requests; ++i) {
                // /ready runs on a worker, /health and /metrics on the I/O threads.
                const char* target = (i + t) % 3 == 0 ? "/ready" : (i % 2 ? "/health" : "/metrics");
                const auto r = c.request("GET", target);
                // 503 overloaded is a valid answer when the worker queue is full.
                if (r.status == 200 || (r.status == 503 && contains(r.body, "overloaded"))) ++ok;
            }
        });
    for (auto& c : clients) c.join();
    EXPECT_EQ(ok.load(), k_clients * k_requests);
}

TEST_F(ServerBasics, RequestIdIsEchoedWhenSaneAndGeneratedOtherwise) {
    start();
    EXPECT_EQ(get("/health", {{"X-Request-Id", "client-id.42:a_b"}}).header("X-Request-Id"),
              "client-id.42:a_b");
    const auto replaced = get("/health", {{"X-Request-Id", "has spaces and \"quotes\""}});
    const auto generated = get("/health");
    for (const auto& r : {replaced, generated}) {
        const auto id = r.header("X-Request-Id");
        ASSERT_TRUE(id.has_value()) << r.describe();
        EXPECT_EQ(id->size(), 36u) << *id;  // a UUID
    }
    EXPECT_NE(replaced.header("X-Request-Id"), generated.header("X-Request-Id"));
}

TEST_F(ServerBasics, AccessLogHasRouteTemplateAndIdButNeverCredentials) {
    auto& server = start();
    const std::string token = "tok-" + unique_name("secret");
    const std::string query_secret = unique_name("qsecret");
    const auto r = get("/health?access_token=" + query_secret,
                       {{"Authorization", "Bearer " + token}, {"X-Request-Id", "log-check-1"}});
    ASSERT_EQ(r.status, 200);
    server.signal(SIGTERM);
    ASSERT_TRUE(server.wait(15s).has_value());
    const std::string log = server.err();
    EXPECT_TRUE(contains(log, "access method=GET route=/health status=200")) << log;
    EXPECT_TRUE(contains(log, "request_id=log-check-1")) << log;
    EXPECT_FALSE(contains(log, token)) << log;
    EXPECT_FALSE(contains(log, query_secret)) << log;
    EXPECT_FALSE(contains(log, "e2e-test-secret")) << log;  // JWT_SECRET
}

TEST_F(ServerBasics, SigtermLetsARequestInFlightFinishThenExitsZero) {
    auto& server = start();
    auto c = connect();
    ASSERT_EQ(c.request("GET", "/health").status, 200);  // the connection is accepted
    c.send_raw("GET /health HTTP/1.1\r\nHost: x\r\n");   // request started, header unfinished
    server.signal(SIGTERM);
    ASSERT_TRUE(server.wait_for_err("received SIGTERM", 15s)) << server.err();
    c.send_raw("\r\n");
    HttpResponse r;
    ASSERT_NO_THROW(r = c.read_response()) << server.err();
    EXPECT_EQ(r.status, 200) << r.describe();
    EXPECT_EQ(r.header("Connection").value_or(""), "close");
    c.close();  // no need for the server to linger
    const auto status = server.wait(15s);
    ASSERT_TRUE(status.has_value()) << "still running after SIGTERM";
    EXPECT_EQ(status->exit_code, 0) << server.err();
}

TEST_F(ServerBasics, SigtermWaitsForABlockingRequestOnAWorker) {
    SilentListener hanging_redis;  // /ready's Redis check blocks until its timeout
    auto& server =
        start({}, {{"REDIS_URL", "redis://127.0.0.1:" + std::to_string(hanging_redis.port())}});
    auto c = connect();
    c.send_raw("GET /ready HTTP/1.1\r\nHost: x\r\n\r\n");
    // Wait until a worker runs it (seen through /metrics on another connection).
    bool busy = false;
    for (int i = 0; i < 500 && !busy; ++i) {
        busy = contains(get("/metrics").body, "edgesync_worker_busy 1\n");
        if (!busy) std::this_thread::sleep_for(10ms);
    }
    ASSERT_TRUE(busy) << "the /ready request never reached a worker";
    server.signal(SIGTERM);
    HttpResponse r;
    ASSERT_NO_THROW(r = c.read_response()) << server.err();
    expect_error(r, 503, "not_ready");
    EXPECT_EQ(r.header("Connection").value_or(""), "close");
    c.close();  // no need for the server to linger
    const auto status = server.wait(15s);
    ASSERT_TRUE(status.has_value()) << "still running after SIGTERM";
    EXPECT_EQ(status->exit_code, 0) << server.err();
}

TEST_F(ServerBasics, WeakJwtSecretRefusesToStartWithExit2) {
    const auto r = run_to_exit({{"JWT_SECRET", "too-short-secret"}}, m_db.url());
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_TRUE(contains(r.err, "JWT_SECRET must be at least 32 bytes")) << r.err;
    EXPECT_FALSE(contains(r.err, "too-short-secret")) << r.err;
    EXPECT_FALSE(contains(r.out, "listening")) << r.out;
}

TEST_F(ServerBasics, SchemaBehindRefusesToStartWithExit4) {
    const TestDatabase empty = TestDatabase::empty();
    const auto r = run_to_exit({}, empty.url());
    EXPECT_EQ(r.exit_code, 4) << describe(r);
    EXPECT_TRUE(contains(r.err, "edgesync migrate up")) << r.err;
}

TEST_F(ServerBasics, DirtySchemaRefusesToStartWithExit4) {
    {
        pqxx::connection conn(m_db.url());
        pqxx::nontransaction tx(conn);
        tx.exec("UPDATE schema_migrations SET dirty = true");
    }
    const auto r = run_to_exit({}, m_db.url());
    EXPECT_EQ(r.exit_code, 4) << describe(r);
    EXPECT_TRUE(contains(r.err, "dirty")) << r.err;
}

TEST_F(ServerBasics, HelpAndVersionExitZero) {
    ProcessOptions o;
    o.args = {EDGESYNC_SERVER_BINARY, "--help"};
    const auto help = run_process(o);
    EXPECT_EQ(help.exit_code, 0) << describe(help);
    EXPECT_TRUE(contains(help.out, "--listen")) << help.out;
    EXPECT_TRUE(contains(help.out, "JWT_SECRET")) << help.out;
    o.args = {EDGESYNC_SERVER_BINARY, "--version"};
    const auto version = run_process(o);
    EXPECT_EQ(version.exit_code, 0);
    EXPECT_TRUE(contains(version.out, "edgesync-server ")) << version.out;
}

}  // namespace
}  // namespace edgesync::test
