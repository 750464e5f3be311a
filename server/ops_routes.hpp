#pragma once

#include <functional>
#include <string>
#include <vector>

#include "server/metrics.hpp"
#include "server/router.hpp"
#include "server/server_config.hpp"

namespace edgesync::server {

// One dependency /ready checks. `check` blocks (it runs on a worker) and
// throws when the dependency is not usable; its message is logged, not
// returned to the client.
struct ReadinessProbe {
    std::string name;  // "postgres", "redis": the key in the response
    std::function<void()> check;
};

struct OpsRoutesDeps {
    const ServerConfig& config;
    const MetricsRegistry& metrics;
    std::vector<ReadinessProbe> probes;
};

// GET /health   200 "OK" (liveness: the process serves HTTP; no dependency checked)
// GET /ready    200 {"status":"ready","checks":{"postgres":"ok",...}} or
//               503 {"error":{"code":"not_ready",...},"status":"not_ready","checks":{...}}
// GET /metrics  Prometheus text format
// GET /v1/info  server version and limits, from the configuration
void add_ops_routes(Router& router, OpsRoutesDeps deps);

}  // namespace edgesync::server
