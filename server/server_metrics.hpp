#pragma once

#include "server/metrics.hpp"

namespace edgesync {
class PgPool;
class RedisPool;
}  // namespace edgesync

namespace edgesync::server {

class ConnectionTracker;
class WorkerPool;

// Where the scrape-time metrics come from. All must outlive the registry's
// last render().
struct ServerMetricSources {
    const ConnectionTracker& tracker;
    const WorkerPool& workers;
    const PgPool& pg;
    const RedisPool& redis;
};

// Registers the process-level series (the per-request ones are recorded by
// the Dispatcher):
//   edgesync_build_info{version}                       1
//   edgesync_http_connections_active                   gauge
//   edgesync_http_connections_total                    counter (admitted)
//   edgesync_http_connections_refused_total            counter (limit or shutdown)
//   edgesync_worker_threads / _busy / _queue_depth / _queue_capacity   gauges
//   edgesync_worker_rejected_total                     counter (503 overloaded)
//   edgesync_pg_pool_connections{state=in_use|idle}    gauge
//   edgesync_pg_pool_capacity / edgesync_pg_pool_waiting               gauges
//   edgesync_pg_pool_acquire_timeouts_total            counter
//   edgesync_redis_pool_connections{state=open|idle}   gauge
//   edgesync_redis_pool_capacity                       gauge
void register_server_metrics(MetricsRegistry& registry, const ServerMetricSources& sources);

}  // namespace edgesync::server
