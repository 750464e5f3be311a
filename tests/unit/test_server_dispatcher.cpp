// Dispatcher and request helpers as plain functions: Request in, Response out,
// no socket. This is how handler tests are meant to be written.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "server/access_log.hpp"
#include "server/dispatcher.hpp"
#include "server/request_parsing.hpp"
#include "server/response.hpp"
#include "shared/db/pg_pool.hpp"
#include "shared/util/error.hpp"

namespace edgesync::server {
namespace {

using nlohmann::json;

class DispatcherTest : public ::testing::Test {
  protected:
    Response send(std::string method, std::string target, std::string body = {},
                  std::vector<std::pair<std::string, std::string>> headers = {}) {
        Request req;
        req.method = std::move(method);
        req.target = std::move(target);
        req.body = std::move(body);
        req.remote_address = "192.0.2.7";
        for (auto& [n, v] : headers) req.headers.add(n, v);
        return dispatcher().dispatch(std::move(req));
    }
    Dispatcher& dispatcher() {
        if (!m_dispatcher)
            m_dispatcher.emplace(m_router, m_metrics,
                                 Dispatcher::Options{.default_max_body_bytes = 64,
                                                     .access_log = [this](const std::string& line) {
                                                         m_log.push_back(line);
                                                     }});
        return *m_dispatcher;
    }
    static std::string code_of(const Response& r) { return json::parse(r.body)["error"]["code"]; }

    Router m_router;
    MetricsRegistry m_metrics;
    std::vector<std::string> m_log;
    std::optional<Dispatcher> m_dispatcher;
};

TEST_F(DispatcherTest, HandlerSeesCapturesAndQuery) {
    m_router.add("GET", "/v1/states/{key}", [](RequestContext& ctx) {
        return text_response(200, ctx.param("key") + "|" + ctx.query("after").value_or("-"));
    });
    const auto r = send("GET", "/v1/states/k%201?after=42&x=y");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "k 1|42");
}

TEST_F(DispatcherTest, UnknownRouteIsJson404AndWrongMethod405WithAllow) {
    m_router.add("GET", "/health", [](RequestContext&) { return text_response(200, "OK"); });
    const auto missing = send("GET", "/nope");
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(code_of(missing), "not_found");
    const auto wrong = send("POST", "/health");
    EXPECT_EQ(wrong.status, 405);
    EXPECT_EQ(code_of(wrong), "method_not_allowed");
    EXPECT_EQ(wrong.headers.get("Allow"), "GET");
    EXPECT_EQ(send("GET", "/a%zz").status, 400);
}

TEST_F(DispatcherTest, BodyOverTheRouteLimitIs413) {
    m_router.add("PUT", "/small", [](RequestContext&) { return text_response(200, "ok"); });
    m_router.add("PUT", "/big", [](RequestContext&) { return text_response(200, "ok"); },
                 {.max_body_bytes = 1000});
    EXPECT_EQ(send("PUT", "/small", std::string(64, 'x')).status, 200);
    const auto r = send("PUT", "/small", std::string(65, 'x'));
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(code_of(r), "payload_too_large");
    EXPECT_EQ(send("PUT", "/big", std::string(500, 'x')).status, 200);
}

TEST_F(DispatcherTest, ExceptionsBecomeStableErrorResponses) {
    m_router.add("GET", "/http", [](RequestContext&) -> Response {
        throw HttpError(409, "conflict", "changed meanwhile");
    });
    m_router.add("GET", "/json", [](RequestContext&) -> Response {
        return text_response(200, json::parse("{\"a\":1}").at("missing").get<std::string>());
    });
    m_router.add("GET", "/down", [](RequestContext&) -> Response {
        throw ConnectionError("cannot connect to Postgres at db:5432");
    });
    m_router.add("GET", "/busy", [](RequestContext&) -> Response {
        throw PoolTimeoutError("no connection within 5000 ms");
    });
    m_router.add("GET", "/bug", [](RequestContext&) -> Response {
        throw std::runtime_error("SELECT secret FROM somewhere failed");
    });

    const auto http = send("GET", "/http");
    EXPECT_EQ(http.status, 409);
    EXPECT_EQ(code_of(http), "conflict");
    EXPECT_EQ(json::parse(http.body)["error"]["message"], "changed meanwhile");

    EXPECT_EQ(send("GET", "/json").status, 400);
    EXPECT_EQ(code_of(send("GET", "/json")), "invalid_request");

    const auto down = send("GET", "/down");
    EXPECT_EQ(down.status, 503);
    EXPECT_EQ(code_of(down), "unavailable");
    EXPECT_EQ(down.headers.get("Retry-After"), "1");
    EXPECT_EQ(down.body.find("db:5432"), std::string::npos) << "internal detail leaked";

    EXPECT_EQ(code_of(send("GET", "/busy")), "overloaded");

    const auto bug = send("GET", "/bug", {}, {{"X-Request-Id", "rid-1"}});
    EXPECT_EQ(bug.status, 500);
    EXPECT_EQ(code_of(bug), "internal_error");
    EXPECT_NE(bug.body.find("rid-1"), std::string::npos);
    EXPECT_EQ(bug.body.find("secret"), std::string::npos) << "exception text leaked";
}

TEST_F(DispatcherTest, HooksRunInOrderAndMayAnswerInstead) {
    std::vector<std::string> seen;
    m_router.add("GET", "/open", [](RequestContext& ctx) {
        return text_response(200, ctx.account_id.value_or("none"));
    });
    m_router.add("GET", "/closed", [](RequestContext&) { return text_response(200, "secret"); });
    dispatcher().add_hook([&](RequestContext& ctx) -> std::optional<Response> {
        seen.push_back("first");
        ctx.account_id = "acc-1";
        return std::nullopt;
    });
    dispatcher().add_hook([&](RequestContext& ctx) -> std::optional<Response> {
        seen.push_back("second");
        if (ctx.route_template() == "/closed") return error_response(401, "unauthenticated", "no");
        return std::nullopt;
    });
    EXPECT_EQ(send("GET", "/open").body, "acc-1");
    EXPECT_EQ(send("GET", "/closed").status, 401);
    EXPECT_EQ(seen, (std::vector<std::string>{"first", "second", "first", "second"}));
}

TEST_F(DispatcherTest, RequestIdIsKeptWhenSaneAndGeneratedOtherwise) {
    m_router.add("GET", "/x", [](RequestContext&) { return text_response(200, ""); });
    EXPECT_EQ(send("GET", "/x", {}, {{"x-request-id", "abc-123"}}).headers.get("X-Request-Id"),
              "abc-123");
    for (const std::string& bad : std::vector<std::string>{"", "with space", "quote\"",
                                                           std::string(129, 'a'), "new\nline"}) {
        const auto id = send("GET", "/x", {}, {{"X-Request-Id", bad}}).headers.get("X-Request-Id");
        ASSERT_TRUE(id.has_value());
        EXPECT_NE(*id, bad);
        EXPECT_EQ(id->size(), 36u);
    }
}

TEST_F(DispatcherTest, AccessLogAndMetricsUseTheRouteTemplate) {
    m_router.add("GET", "/v1/states/{key}", [](RequestContext& ctx) {
        ctx.account_id = "acc-9";
        return text_response(200, "body");
    });
    (void)send("GET", "/v1/states/SECRETKEY?token=QUERYSECRET", {},
               {{"Authorization", "Bearer TOKENSECRET"}, {"X-Request-Id", "r-1"}});
    (void)send("GET", "/unknown/path");
    ASSERT_EQ(m_log.size(), 2u);
    EXPECT_EQ(m_log[0].rfind("access method=GET route=/v1/states/{key} status=200 duration_ms=", 0),
              0u)
        << m_log[0];
    EXPECT_NE(m_log[0].find("request_id=r-1 account=acc-9 remote=192.0.2.7 bytes_in=0 bytes_out=4"),
              std::string::npos)
        << m_log[0];
    for (const auto* secret : {"SECRETKEY", "QUERYSECRET", "TOKENSECRET"})
        EXPECT_EQ(m_log[0].find(secret), std::string::npos) << m_log[0];
    EXPECT_NE(m_log[1].find("route=- status=404"), std::string::npos) << m_log[1];

    const auto metrics = m_metrics.render();
    EXPECT_NE(metrics.find("edgesync_http_requests_total{method=\"GET\",route=\"/v1/states/"
                           "{key}\",status=\"200\"} 1"),
              std::string::npos)
        << metrics;
    EXPECT_NE(metrics.find("route=\"unmatched\",status=\"404\"} 1"), std::string::npos) << metrics;
    EXPECT_EQ(metrics.find("SECRETKEY"), std::string::npos);
}

TEST_F(DispatcherTest, UnusualMethodsShareOneMetricsLabel) {
    (void)send("BREW", "/pot");
    EXPECT_NE(m_metrics.render().find("method=\"other\""), std::string::npos);
    EXPECT_EQ(method_label("PATCH"), "PATCH");
}

// --- request_parsing -------------------------------------------------------

RequestContext context_with(std::string body, std::optional<std::string> content_type) {
    RequestContext ctx;
    ctx.request.body = std::move(body);
    if (content_type) ctx.request.headers.add("Content-Type", *content_type);
    return ctx;
}

TEST(RequestParsing, JsonBodyNeedsJsonContentType) {
    for (const std::optional<std::string>& type :
         {std::optional<std::string>{}, std::optional<std::string>{"text/plain"},
          std::optional<std::string>{"application/jsonx"}}) {
        const auto r = json_body(context_with("{}", type));
        ASSERT_FALSE(r.has_value());
        EXPECT_EQ(r.error().status, 415);
        EXPECT_EQ(json::parse(r.error().body)["error"]["code"], "unsupported_media_type");
    }
    EXPECT_TRUE(
        json_body(context_with("{\"a\":1}", "Application/JSON; charset=utf-8")).has_value());
}

TEST(RequestParsing, MalformedJsonIs400WithoutEchoingTheBody) {
    const auto r = json_body(context_with("{\"password\": \"hunter2\"", "application/json"));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().status, 400);
    EXPECT_EQ(json::parse(r.error().body)["error"]["code"], "malformed_json");
    EXPECT_EQ(r.error().body.find("hunter2"), std::string::npos);
}

TEST(RequestParsing, UuidParamIsValidatedAndLowerCased) {
    RequestContext ctx;
    ctx.params = {{"id", "6F9619FF-8B86-D011-B42D-00C04FC964FF"}, {"bad", "not-a-uuid"}};
    EXPECT_EQ(uuid_param(ctx, "id").value(), "6f9619ff-8b86-d011-b42d-00c04fc964ff");
    const auto bad = uuid_param(ctx, "bad");
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().status, 400);
    EXPECT_EQ(json::parse(bad.error().body)["error"]["code"], "invalid_uuid");
}

TEST(RequestParsing, QueryIntIsBoundedAndStrict) {
    RequestContext ctx;
    ctx.request.target = "/x?after=12&limit=abc&big=99999999999999999999&neg=-1";
    EXPECT_EQ(query_int(ctx, "after", 0, 0, 100).value(), 12);
    EXPECT_EQ(query_int(ctx, "missing", 7, 0, 100).value(), 7);
    for (const char* name : {"limit", "big", "neg"})
        EXPECT_EQ(query_int(ctx, name, 0, 0, 100).error().status, 400) << name;
}

// --- access log ------------------------------------------------------------

TEST(AccessLog, HostileValuesCannotForgeFields) {
    const auto line = format_access_log({.method = "GET",
                                         .route = "/x",
                                         .status = 200,
                                         .request_id = "a b\nstatus=500",
                                         .account_id = std::nullopt,
                                         .remote_address = ""});
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
    EXPECT_NE(line.find("request_id=a?b?status?500"), std::string::npos) << line;
    EXPECT_NE(line.find("account=- remote=-"), std::string::npos) << line;
    EXPECT_EQ(sanitize_method("G\"ET"), "-");
}

}  // namespace
}  // namespace edgesync::server
