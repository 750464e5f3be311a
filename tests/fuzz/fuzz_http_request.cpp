// Raw bytes -> Beast's request parser (as http_session.cpp configures it) ->
// the server's Request -> Dispatcher over routes whose handlers run the real
// request readers (JSON body, object members, UUID captures, query integers,
// PUT preconditions, ETags). No socket, no database: what is fuzzed is
// everything a request's bytes reach before a handler touches storage.
// Property: the dispatcher never throws and always answers a 1xx-5xx status.
#include <utility>  // before Boost.Asio (see shared/STACK.md)

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "server/dispatcher.hpp"
#include "server/json_fields.hpp"
#include "server/metrics.hpp"
#include "server/request_parsing.hpp"
#include "server/response.hpp"
#include "server/router.hpp"
#include "server/state_json.hpp"

namespace http = boost::beast::http;
using namespace edgesync::server;

namespace {

constexpr std::size_t k_max_header_bytes = 16 * 1024;
constexpr std::size_t k_max_body_bytes = 64 * 1024;

Response echo_query(RequestContext& ctx) {
    const auto after = query_int(ctx, "after", 0, 0, INT64_MAX);
    if (!after) return after.error();
    const auto limit = query_int(ctx, "limit", 100, 1, 1000);
    if (!limit) return limit.error();
    return text_response(200, std::to_string(*after + *limit));
}

Response device_body(RequestContext& ctx) {
    const auto id = uuid_param(ctx, "did");
    if (!id) return id.error();
    const auto body = object_body(ctx);
    if (!body) return body.error();
    const auto name = string_field(*body, "name");
    if (!name) return name.error();
    const auto key = base64_field(*body, "public_key", 32, 32);
    if (!key) return key.error();
    const auto ttl = int_field(*body, "ttl", 1, 3600);
    if (!ttl) return ttl.error();
    return no_content();
}

Response optional_body(RequestContext& ctx) {
    const auto body = optional_object_body(ctx);
    if (!body) return body.error();
    return json_response(200, *body);
}

Response put_state(RequestContext& ctx) {
    if (!valid_key(ctx.param("key"), 256))
        return error_response(400, "invalid_key", "bad key");
    const auto pre = put_precondition(ctx.request.headers);
    if (!pre) return pre.error();
    const auto body = json_body(ctx);
    if (!body) return body.error();
    if (!body->is_object()) return error_response(400, "invalid_request", "not an object");
    const auto blob = edgesync::server::base64_field(*body, "blob");
    if (!blob) return blob.error();
    return text_response(200, etag(static_cast<std::int64_t>(blob->size())));
}

Response get_state(RequestContext& ctx) {
    if (const auto inm = ctx.request.headers.get("If-None-Match"); inm && none_match_hits(*inm, 7))
        return text_response(304, "");
    if (const auto im = ctx.request.headers.get("If-Match")) (void)parse_etag(*im);
    return text_response(200, ctx.param("key"));
}

struct Fixture {
    Router router;
    MetricsRegistry metrics;
    std::optional<Dispatcher> dispatcher;

    Fixture() {
        router.add("GET", "/health", [](RequestContext&) { return text_response(200, "OK"); });
        router.add("GET", "/v1/events", echo_query);
        router.add("POST", "/v1/devices/{did}/keys", device_body);
        router.add("POST", "/v1/sessions/current", optional_body);
        router.add("DELETE", "/v1/sessions/{sid}", [](RequestContext& ctx) {
            const auto sid = uuid_param(ctx, "sid");
            return sid ? no_content() : sid.error();
        });
        router.add("PUT", "/v1/states/{key}", put_state, {.max_body_bytes = k_max_body_bytes});
        router.add("GET", "/v1/states/{key}", get_state);
        router.add("GET", "/v1/throws", [](RequestContext&) -> Response {
            throw std::runtime_error("handler failure");
        });
        dispatcher.emplace(router, metrics,
                           Dispatcher::Options{.default_max_body_bytes = 4096,
                                               .access_log = [](const std::string&) {}});
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Fixture fixture;

    http::request_parser<http::string_body> parser;
    parser.eager(true);
    parser.header_limit(static_cast<std::uint32_t>(k_max_header_bytes));
    parser.body_limit(k_max_body_bytes);
    boost::beast::error_code ec;
    (void)parser.put(boost::asio::buffer(data, size), ec);
    if (ec && ec != http::error::need_more) return 0;
    if (!parser.is_header_done()) return 0;
    if (!parser.is_done()) parser.put_eof(ec);
    if (ec || !parser.is_done()) return 0;

    const auto& req = parser.get();
    Request request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.remote_address = "192.0.2.1";
    for (const auto& field : req)
        request.headers.add(std::string(field.name_string()), std::string(field.value()));
    request.body = req.body();

    const Response response = fixture.dispatcher->dispatch(std::move(request));
    if (response.status < 100 || response.status > 599) std::abort();
    return 0;
}
