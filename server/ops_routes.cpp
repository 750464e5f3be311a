#include "server/ops_routes.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <memory>
#include <nlohmann/json.hpp>

#include "server/response.hpp"
#include "shared/version.hpp"

namespace edgesync::server {

namespace {

using nlohmann::json;

Response ready(const std::vector<ReadinessProbe>& probes, const std::string& request_id) {
    json checks = json::object();
    std::string failed;
    for (const auto& probe : probes) {
        try {
            probe.check();
            checks[probe.name] = "ok";
        } catch (const std::exception& e) {
            spdlog::warn("request {}: readiness check {} failed: {}", request_id, probe.name,
                         e.what());
            checks[probe.name] = "unavailable";
            failed += (failed.empty() ? "" : ", ") + probe.name;
        }
    }
    if (failed.empty()) return json_response(200, {{"status", "ready"}, {"checks", checks}});
    json body = error_body(error_code::not_ready, "not ready: " + failed + " unavailable");
    body["status"] = "not_ready";
    body["checks"] = std::move(checks);
    return json_response(503, body);
}

json info(const ServerConfig& c) {
    const auto& l = c.limits;
    return {
        {"server", "edgesync-server"},
        {"version", k_version},
        {"limits",
         {
             {"max_blob_bytes", l.max_blob_bytes},
             {"max_key_bytes", l.max_key_bytes},
             {"max_batch_items", l.max_batch_items},
             {"max_batch_bytes", l.max_batch_bytes},
             {"max_page_items", l.max_page_items},
             {"max_wait_seconds", l.max_wait.count()},
             {"max_request_bytes", c.http.max_body_bytes},
             {"default_quota_bytes",
              l.default_quota_bytes ? json(*l.default_quota_bytes) : json(nullptr)},
         }},
    };
}

}  // namespace

void add_ops_routes(Router& router, OpsRoutesDeps deps) {
    auto shared = std::make_shared<OpsRoutesDeps>(std::move(deps));

    router.add("GET", "/health", [](RequestContext&) { return text_response(200, "OK"); });

    router.add("GET", "/ready",
               [shared](RequestContext& ctx) {
                   auto r = ready(shared->probes, ctx.request_id);
                   r.headers.set("Cache-Control", "no-store");
                   return r;
               },
               {.blocking = true});

    router.add("GET", "/metrics", [shared](RequestContext&) {
        return text_response(200, shared->metrics.render(), k_prometheus_content_type);
    });

    // Computed once: the configuration does not change while running.
    const std::string info_body = info(shared->config).dump();
    router.add("GET", "/v1/info", [info_body](RequestContext&) {
        return text_response(200, info_body, k_json_content_type);
    });
}

}  // namespace edgesync::server
