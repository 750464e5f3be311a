#include "server/app.hpp"

#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <csignal>
#include <cstdio>
#include <functional>
#include <future>
#include <memory>
#include <pqxx/nontransaction>
#include <thread>
#include <vector>

#include "server/async_pg.hpp"
#include "server/async_redis.hpp"
#include "server/async_state_put.hpp"
#include "server/auth_routes.hpp"
#include "server/command_line.hpp"
#include "server/connection_tracker.hpp"
#include "server/device_routes.hpp"
#include "server/dispatcher.hpp"
#include "server/event_routes.hpp"
#include "server/http_session.hpp"
#include "server/key_routes.hpp"
#include "server/listener.hpp"
#include "server/live_hub.hpp"
#include "server/metrics.hpp"
#include "server/ops_routes.hpp"
#include "server/presence_routes.hpp"
#include "server/router.hpp"
#include "server/schema_check.hpp"
#include "server/server_metrics.hpp"
#include "server/state_routes.hpp"
#include "server/worker_pool.hpp"
#include "shared/config/config.hpp"
#include "shared/db/pg_pool.hpp"
#include "shared/db/redis_pool.hpp"
#include "shared/repositories/pg_account_repository.hpp"
#include "shared/repositories/pg_device_repository.hpp"
#include "shared/repositories/redis_presence_repository.hpp"
#include "shared/repositories/pg_state_repository.hpp"
#include "shared/repositories/pg_event_repository.hpp"
#include "shared/repositories/redis_session_repository.hpp"
#include "shared/services/auth_service.hpp"
#include "shared/services/redis_publisher.hpp"
#include "shared/services/redis_rate_limiter.hpp"
#include "shared/services/session_service.hpp"
#include "shared/util/error.hpp"
#include "shared/version.hpp"

namespace edgesync::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

PgPool::Options pg_options(const ServerConfig& c) {
    PgPool::Options o;
    o.url = c.database_url;
    o.size = c.pg_pool_size;
    o.connect_timeout = std::chrono::seconds(5);
    o.acquire_timeout = std::chrono::seconds(5);
    return o;
}

RedisPool::Options redis_options(const ServerConfig& c) {
    RedisPool::Options o;
    o.max_size = c.redis_pool_size;
    o.acquire_timeout = std::chrono::seconds(5);
    o.client.connect_timeout = std::chrono::seconds(2);
    o.client.command_timeout = std::chrono::seconds(5);
    o.client.client_name = "edgesync-server";
    return o;
}

AuthOptions auth_options(const ServerConfig& c) {
    AuthOptions o;
    o.login_per_email_ip.max_attempts = c.login_rate_limit;
    o.login_per_ip.max_attempts = c.login_rate_limit_per_ip;
    return o;
}

std::string format_endpoint(const tcp::endpoint& ep) {
    const auto address = ep.address().to_string();
    return ep.address().is_v6() ? fmt::format("[{}]:{}", address, ep.port())
                                : fmt::format("{}:{}", address, ep.port());
}

tcp::endpoint resolve(const std::string& host, std::uint16_t port) {
    boost::system::error_code ec;
    const auto address = net::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
    if (!ec) return {address, port};
    net::io_context ioc;
    tcp::resolver resolver(ioc);
    const auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec || results.empty())
        throw ConfigError(
            fmt::format("SERVER_ADDR '{}' is not an address or a resolvable name", host));
    return results.begin()->endpoint();
}

}  // namespace

struct App::Impl {
    // Declaration order is destruction order reversed: the worker pool joins
    // before the io_context goes (jobs post to it), and the tracker outlives
    // every session (their slots release into it).
    ServerConfig config;
    MetricsRegistry metrics;
    LiveHub live;  // routes that open streams subscribe here
    PgPool pg;
    RedisPool redis;
    PgAccountRepository accounts;
    PgDeviceRepository devices;
    PgEventRepository events;
    RedisSessionRepository sessions;
    RedisPresenceRepository presence;
    RedisRateLimiter limiter;
    RedisPublisher publisher;
    AuthService auth;
    SessionService session_service;
    Router router;
    Dispatcher dispatcher;
    ConnectionTracker tracker;
    net::io_context ioc;
    WorkerPool workers;
    // The PUT hot path's non-blocking connections (async_state_put.hpp).
    AsyncRedis async_redis;
    AsyncPgPool async_pg;
    SessionServices services;

    explicit Impl(ServerConfig c)
        : config(std::move(c)),
          live(parse_redis_url(config.redis_url), metrics),
          pg(pg_options(config)),
          redis(parse_redis_url(config.redis_url), redis_options(config)),
          accounts(pg),
          devices(pg),
          events(pg),
          sessions(redis),
          presence(redis),
          limiter(redis),
          publisher(redis),
          auth(accounts, devices, sessions, limiter, publisher, auth::JwtKey(config.jwt_secret),
               auth_options(config)),
          session_service(sessions, publisher),
          dispatcher(router, metrics, {.default_max_body_bytes = config.http.max_body_bytes}),
          tracker(config.http.max_connections),
          ioc(static_cast<int>(config.io_threads)),
          workers({.threads = config.workers, .queue_capacity = config.worker_queue}),
          async_redis(ioc, parse_redis_url(config.redis_url)),
          async_pg(ioc, {.url = config.database_url, .size = config.pg_pool_size},
                   {async_state_put_statement()},
                   [this](std::move_only_function<void()> job) {
                       return workers.try_submit(std::move(job));
                   }),
          services{config.http, dispatcher, workers, tracker} {
        add_ops_routes(
            router,
            {.config = config,
             .metrics = metrics,
             .probes = {
                 {"postgres",
                  [this] { pg.read([](pqxx::nontransaction& tx) { tx.exec("SELECT 1"); }); }},
                 {"redis", [this] { redis.acquire()->command({"PING"}); }},
             }});
        add_auth_routes(router, auth, session_service);
        add_device_routes(router, {accounts, devices, sessions, presence, publisher});
        add_key_routes(router, {accounts, devices});
        add_presence_routes(router, {devices, presence, publisher, {}});
        add_state_routes(router,
                         {std::make_shared<PgStateRepository>(pg), publisher, config.limits});
        add_event_routes(
            router,
            {.config = config, .events = events, .hub = live, .workers = workers, .auth = auth});
        dispatcher.add_hook(make_auth_hook(auth));
        dispatcher.set_async("PUT", "/v1/states/{key}",
                             make_async_state_put({auth, async_redis, async_pg, config.limits}));
        register_server_metrics(metrics,
                                {.tracker = tracker, .workers = workers, .pg = pg, .redis = redis});
    }
};

App::App(ServerConfig config) : m_impl(std::make_unique<Impl>(std::move(config))) {}
App::~App() = default;

int App::run() {
    Impl& s = *m_impl;
    std::promise<int> stop_signal;
    auto stopped = stop_signal.get_future();

    // The hub's fan-out runs on the I/O threads: one serial lane (a strand)
    // per thread. The guard stops the hub, dropping the strands, on every way
    // out of run(), before the io_context can go.
    std::vector<LiveHub::FanoutLane> lanes;
    for (std::size_t i = 0; i < s.config.io_threads; ++i)
        lanes.emplace_back([strand = net::make_strand(s.ioc)](std::function<void()> job) {
            net::post(strand, std::move(job));
        });
    s.live.set_fanout_lanes(std::move(lanes));
    const std::unique_ptr<LiveHub, void (*)(LiveHub*)> stop_live(&s.live,
                                                                [](LiveHub* h) { h->stop(); });
    s.live.start();  // never throws for Redis: it retries in the background
    // Before binding: from the moment a client can connect, SIGTERM is graceful.
    net::signal_set signals(s.ioc, SIGINT, SIGTERM);
    auto listener = std::make_shared<Listener>(
        s.ioc, resolve(s.config.listen_host, s.config.listen_port), s.services);
    signals.async_wait([&](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        listener->stop();
        s.tracker.shutdown_all();
        spdlog::info("received {}; stopping: no new connections, finishing requests in flight",
                     signo == SIGTERM ? "SIGTERM" : "SIGINT");
        stop_signal.set_value(signo);
    });

    const std::string bound = format_endpoint(listener->local_endpoint());
    std::fputs(fmt::format("edgesync-server: listening on {}\n", bound).c_str(), stdout);
    std::fflush(stdout);
    spdlog::info(
        "edgesync-server {} listening on {} ({} I/O threads, {} workers, database {}, redis {})",
        k_version, bound, s.config.io_threads, s.config.workers, redact_url(s.config.database_url),
        redact_url(s.config.redis_url));
    listener->run();

    // Keeps run() going when no operation is pending: once the acceptor is
    // closed, a request on a worker has nothing in the io_context until it
    // posts its result back. Ended by ioc.stop() below.
    auto work = net::make_work_guard(s.ioc);
    std::vector<std::thread> threads;
    threads.reserve(s.config.io_threads);
    for (std::size_t i = 0; i < s.config.io_threads; ++i)
        threads.emplace_back([&s] {
            for (;;) {
                try {
                    s.ioc.run();
                    return;
                } catch (const std::exception& e) {
                    // One connection's bug must not take the server down.
                    spdlog::error("I/O thread: unhandled exception: {}", e.what());
                }
            }
        });

    stopped.wait();
    const auto deadline = std::chrono::steady_clock::now() + s.config.shutdown_timeout;
    const bool drained = s.tracker.wait_until_empty(deadline);
    if (!drained)
        spdlog::warn("shutdown: {} connection(s) still open after {} ms; closing them",
                     s.tracker.active(), s.config.shutdown_timeout.count());
    s.ioc.stop();
    for (auto& t : threads) t.join();
    // Drained: no job can be left (each holds its connection open). Otherwise
    // queued jobs are dropped; running ones finish (bounded by the pools' timeouts).
    s.workers.stop(drained);
    s.live.stop();  // every stream is closed: nothing is subscribed any more
    spdlog::info("stopped");
    return 0;
}

int run_server(int argc, char** argv) {
    const auto command_line = parse_command_line(argc, argv);
    if (command_line.exit_code) return *command_line.exit_code;

    std::signal(SIGPIPE, SIG_IGN);  // hiredis and libpq write to sockets that may close
    auto config = ServerConfig::from(Config::load(command_line.load));

    auto logger = spdlog::stderr_logger_mt("edgesync-server");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    spdlog::set_level(spdlog::level::from_str(config.log_level));
    spdlog::flush_on(spdlog::level::info);

    if (const auto warning = check_schema(config.database_url, std::chrono::seconds(5));
        !warning.empty())
        spdlog::warn("{}", warning);

    App app(std::move(config));
    return app.run();
}

}  // namespace edgesync::server
