#include "server/server_metrics.hpp"

#include "server/connection_tracker.hpp"
#include "server/worker_pool.hpp"
#include "shared/db/pg_pool.hpp"
#include "shared/db/redis_pool.hpp"
#include "shared/version.hpp"

namespace edgesync::server {

void register_server_metrics(MetricsRegistry& r, const ServerMetricSources& src) {
    const auto* tracker = &src.tracker;
    const auto* workers = &src.workers;
    const auto* pg = &src.pg;
    const auto* redis = &src.redis;
    const auto d = [](auto v) { return static_cast<double>(v); };

    r.gauge("edgesync_build_info", "Build information; always 1", {{"version", k_version}}).set(1);

    r.gauge_callback("edgesync_http_connections_active", "Open client connections", {},
                     [=] { return d(tracker->active()); });
    r.counter_callback("edgesync_http_connections_total", "Client connections admitted", {},
                       [=] { return d(tracker->admitted_total()); });
    r.counter_callback("edgesync_http_connections_refused_total",
                       "Client connections refused (connection limit or shutting down)", {},
                       [=] { return d(tracker->refused_total()); });

    r.gauge_callback("edgesync_worker_threads", "Worker threads for blocking work", {},
                     [=] { return d(workers->stats().threads); });
    r.gauge_callback("edgesync_worker_busy", "Worker threads running a request", {},
                     [=] { return d(workers->stats().busy); });
    r.gauge_callback("edgesync_worker_queue_depth", "Requests waiting for a worker", {},
                     [=] { return d(workers->stats().queued); });
    r.gauge_callback("edgesync_worker_queue_capacity", "Requests that may wait for a worker", {},
                     [=] { return d(workers->stats().queue_capacity); });
    r.counter_callback("edgesync_worker_rejected_total", "Requests refused with 503: queue full",
                       {}, [=] { return d(workers->stats().rejected); });

    r.gauge_callback("edgesync_pg_pool_connections", "Postgres connections by state",
                     {{"state", "in_use"}}, [=] { return d(pg->stats().in_use); });
    r.gauge_callback("edgesync_pg_pool_connections", "Postgres connections by state",
                     {{"state", "idle"}}, [=] { return d(pg->stats().idle); });
    r.gauge_callback("edgesync_pg_pool_capacity", "Postgres pool size", {},
                     [=] { return d(pg->stats().capacity); });
    r.gauge_callback("edgesync_pg_pool_waiting", "Threads waiting for a Postgres connection", {},
                     [=] { return d(pg->stats().waiting); });
    r.counter_callback("edgesync_pg_pool_acquire_timeouts_total",
                       "Waits for a Postgres connection that gave up", {},
                       [=] { return d(pg->stats().acquire_timeouts); });

    r.gauge_callback("edgesync_redis_pool_connections", "Redis connections by state",
                     {{"state", "open"}}, [=] { return d(redis->open_count()); });
    r.gauge_callback("edgesync_redis_pool_connections", "Redis connections by state",
                     {{"state", "idle"}}, [=] { return d(redis->idle_count()); });
    r.gauge_callback("edgesync_redis_pool_capacity", "Redis pool size", {},
                     [=] { return d(redis->max_size()); });
}

}  // namespace edgesync::server
