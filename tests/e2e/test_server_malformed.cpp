// Bad input of every kind against the real edgesync-server: each request gets
// its documented 4xx with a stable error code (never a 500, a hang or a
// crash), and the server keeps serving afterwards. The table grows with the
// routes; one server serves the whole table (a server per case would spend
// the run starting servers).
#include <gtest/gtest.h>

#include <cctype>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "shared/auth/jwt.hpp"
#include "shared/util/bytes.hpp"
#include "shared/util/time.hpp"
#include "shared/util/uuid.hpp"
#include "tests/e2e/server_api_fixture.hpp"

namespace edgesync::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

struct Case {
    std::string name;
    std::string raw;   // the bytes sent, as they are
    int status;        // expected status
    std::string code;  // expected error.code ("" when the answer has no JSON body)
};

bool iequals_ascii(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

// A request as bytes: request line, Host, the given headers, Content-Length
// when a body is given and no length/transfer coding is, then the body.
std::string req(std::string_view method, std::string_view target, const HttpHeaders& headers = {},
                std::string_view body = {}) {
    std::string r = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n";
    r += "Host: 127.0.0.1\r\n";
    bool has_length = false;
    for (const auto& [k, v] : headers) {
        r += k + ": " + v + "\r\n";
        if (iequals_ascii(k, "Content-Length") || iequals_ascii(k, "Transfer-Encoding"))
            has_length = true;
    }
    if (!body.empty() && !has_length)
        r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    r += "\r\n";
    r += body;
    return r;
}

HttpHeaders json_type() { return {{"Content-Type", "application/json"}}; }

HttpHeaders bearer(const std::string& token, bool with_json = false) {
    HttpHeaders h{{"Authorization", "Bearer " + token}};
    if (with_json) h.emplace_back("Content-Type", "application/json");
    return h;
}

std::string b64url(std::string_view text) {
    return base64url_encode(Bytes(text.begin(), text.end()));
}

class ServerMalformed : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        s_api = new ServerApi(std::map<std::string, std::string>{{"SERVER_READ_TIMEOUT", "1s"},
                                                                 {"SERVER_BODY_TIMEOUT", "1s"}});
        s_login = new ApiLogin(s_api->new_account("malformed"));
    }
    static void TearDownTestSuite() {
        delete s_login;
        delete s_api;
    }

    // Sends `raw` on a fresh connection and reads one response.
    static HttpResponse send(const std::string& raw) {
        HttpConnection c(s_api->host(), s_api->port(), 10s);
        c.send_raw(raw);
        return c.read_response();
    }

    static void expect_alive() {
        const auto r = http_request(s_api->host(), s_api->port(), "GET", "/health");
        EXPECT_EQ(r.status, 200) << r.describe();
    }

    static inline ServerApi* s_api = nullptr;
    static inline ApiLogin* s_login = nullptr;
};

std::vector<Case> protocol_cases() {
    const std::string big_header(20'000, 'x');
    const std::string long_target = "/v1/" + std::string(40'000, 'a');
    return {
        {"garbage request line", "GARBAGE\r\n\r\n", 400, "malformed_request"},
        {"request line without version", "GET /health\r\n\r\n", 400, "malformed_request"},
        {"header without colon", "GET /health HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n", 400,
         "malformed_request"},
        {"space in header name", "GET /health HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", 400,
         "malformed_request"},

        {"header over the limit", req("GET", "/health", {{"X-Big", big_header}}), 431,
         "headers_too_large"},
        {"target over the header limit", req("GET", long_target), 431, "headers_too_large"},
        {"non-numeric Content-Length",
         req("POST", "/v1/auth/register",
             {{"Content-Type", "application/json"}, {"Content-Length", "abc"}}),
         400, "malformed_request"},
        {"negative Content-Length",
         req("POST", "/v1/auth/register",
             {{"Content-Type", "application/json"}, {"Content-Length", "-1"}}),
         400, "malformed_request"},
        {"Content-Length with Transfer-Encoding (smuggling)",
         req("POST", "/v1/auth/register",
             {{"Content-Type", "application/json"},
              {"Content-Length", "4"},
              {"Transfer-Encoding", "chunked"}},
             "0\r\n\r\n"),
         400, "malformed_request"},
        {"bad chunk size",
         req("POST", "/v1/auth/register",
             {{"Content-Type", "application/json"}, {"Transfer-Encoding", "chunked"}},
             "zz\r\n{}\r\n0\r\n\r\n"),
         400, "malformed_request"},
        {"Content-Length of a gigabyte",
         req("POST", "/v1/auth/register",
             {{"Content-Type", "application/json"}, {"Content-Length", "1073741824"}}),
         413, "payload_too_large"},
        {"Content-Length of 2^64",
         req("POST", "/v1/auth/register",
             {{"Content-Type", "application/json"}, {"Content-Length", "18446744073709551616"}}),
         400, "malformed_request"},
        {"chunked body over the limit",
         req("POST", "/v1/auth/register",
             {{"Content-Type", "application/json"}, {"Transfer-Encoding", "chunked"}},
             "20000\r\n" + std::string(0x20000, ' ') + "\r\n0\r\n\r\n"),
         413, "payload_too_large"},
        {"Expect 100-continue with a body over the limit",
         req("POST", "/v1/auth/register",
             {{"Content-Type", "application/json"},
              {"Expect", "100-continue"},
              {"Content-Length", "10000000"}}),
         413, "payload_too_large"},
        {"bad percent escape in the path", req("GET", "/v1/sessions/%zz"), 400, "invalid_path"},
        {"truncated percent escape", req("GET", "/v1/sessions/%4"), 400, "invalid_path"},
        {"unknown route", req("GET", "/v1/nope"), 404, "not_found"},
        {"NUL in the path", req("GET", "/v1/sessions/%00"), 400, "invalid_path"},
        {"dot segments do not escape routing", req("GET", "/v1/../health"), 404, "not_found"},
        {"wrong method", req("POST", "/health"), 405, "method_not_allowed"},
        {"unknown method", req("BREW", "/health"), 405, "method_not_allowed"},
        {"absolute-form target of an unknown route", req("GET", "http://evil.example/v1/nope"), 404,
         "not_found"},
    };
}

std::vector<Case> json_cases() {
    const auto reg = [](std::string_view body, HttpHeaders h = json_type()) {
        return req("POST", "/v1/auth/register", h, body);
    };
    const std::string deep(30'000, '[');
    return {
        {"no Content-Type", reg(R"({"email":"a@b.c","password":"x"})", {}), 415,
         "unsupported_media_type"},
        {"text/plain", reg(R"({"email":"a@b.c"})", {{"Content-Type", "text/plain"}}), 415,
         "unsupported_media_type"},
        {"form encoded", reg("email=a", {{"Content-Type", "application/x-www-form-urlencoded"}}),
         415, "unsupported_media_type"},
        {"empty JSON body", req("POST", "/v1/auth/register", json_type()), 400, "malformed_json"},
        {"truncated JSON", reg("{"), 400, "malformed_json"},
        {"trailing garbage", reg(R"({"email":"a@b.c"} x)"), 400, "malformed_json"},
        {"invalid UTF-8 in a string", reg("{\"email\":\"\xff\xfe@b.c\",\"password\":\"x\"}"), 400,
         "malformed_json"},
        {"30,000 nested arrays", reg(deep), 400, "malformed_json"},
        {"array instead of object", reg("[]"), 400, "invalid_request"},
        {"null instead of object", reg("null"), 400, "invalid_request"},
        {"string instead of object", reg(R"("hello")"), 400, "invalid_request"},
        {"email missing", reg(R"({"password":"correct horse battery"})"), 400, "invalid_request"},
        {"email a number", reg(R"({"email":42,"password":"correct horse battery"})"), 400,
         "invalid_request"},
        {"password an array", reg(R"({"email":"a@example.com","password":["x"]})"), 400,
         "invalid_request"},
        {"email without @", reg(R"({"email":"nobody","password":"correct horse battery"})"), 400,
         "invalid_email"},
        {"email of 10,000 characters",
         reg(json{{"email", std::string(10'000, 'a') + "@example.com"},
                  {"password", "correct horse battery"}}
                 .dump()),
         400, "invalid_email"},
        {"email with a NUL",
         reg("{\"email\":\"a\\u0000b@example.com\",\"password\":\"correct horse battery\"}"), 400,
         "invalid_email"},
        {"password too short", reg(R"({"email":"short@example.com","password":"short"})"), 400,
         "weak_password"},
        {"password over 1024 bytes",
         reg(json{{"email", "long@example.com"}, {"password", std::string(2000, 'p')}}.dump()), 400,
         "weak_password"},
        {"login: device_id not a UUID",
         req("POST", "/v1/auth/login", json_type(),
             R"({"email":"a@example.com","password":"correct horse battery","device_id":"x"})"),
         400, "invalid_uuid"},
        {"login: both device_id and device",
         req("POST", "/v1/auth/login", json_type(),
             json{{"email", "a@example.com"},
                  {"password", "correct horse battery"},
                  {"device_id", new_uuid()},
                  {"device", {{"name", "x"}, {"device_type", "agent"}}}}
                 .dump()),
         400, "invalid_request"},
        {"login: public key not base64",
         req("POST", "/v1/auth/login", json_type(),
             json{{"email", "a@example.com"},
                  {"password", "correct horse battery"},
                  {"device",
                   {{"name", "x"}, {"device_type", "agent"}, {"public_key", "!!not base64!!"}}}}
                 .dump()),
         400, "invalid_request"},
        {"login: public key of 5 bytes",
         req("POST", "/v1/auth/login", json_type(),
             json{{"email", "a@example.com"},
                  {"password", "correct horse battery"},
                  {"device", {{"name", "x"}, {"device_type", "agent"}, {"public_key", "AAAAAAA="}}}}
                 .dump()),
         400, "invalid_request"},
        {"login: unknown device type",
         req("POST", "/v1/auth/login", json_type(),
             json{{"email", "a@example.com"},
                  {"password", "correct horse battery"},
                  {"device", {{"name", "x"}, {"device_type", "toaster"}}}}
                 .dump()),
         400, "invalid_request"},
        {"refresh: garbage token",
         req("POST", "/v1/auth/refresh", json_type(), R"({"refresh_token":"garbage"})"), 401,
         "invalid_token"},
        {"refresh: token a number",
         req("POST", "/v1/auth/refresh", json_type(), R"({"refresh_token":7})"), 400,
         "invalid_request"},
        {"refresh: 100 KiB token",
         req("POST", "/v1/auth/refresh", json_type(),
             json{{"refresh_token", std::string(100'000, 'v')}}.dump()),
         413, "payload_too_large"},
    };
}

std::vector<Case> auth_cases(const ApiLogin& login) {
    const auto now_s = to_unix(now());
    const std::string claims = json{{"iss", "edgesync"},      {"sub", login.account_id},
                                    {"did", login.device_id}, {"sid", login.session_id},
                                    {"iat", now_s},           {"exp", now_s + 600}}
                                   .dump();
    const std::string alg_none =
        b64url(R"({"alg":"none","typ":"JWT"})") + "." + b64url(claims) + ".";
    const std::string wrong_key = auth::issue_access_token(
        auth::JwtKey(std::string(48, 'k')),
        {"edgesync", login.account_id, login.device_id, login.session_id, now_s, now_s + 600});
    const auto sessions = [](HttpHeaders h) { return req("GET", "/v1/sessions", h); };
    return {
        {"no Authorization", sessions({}), 401, "invalid_token"},
        {"Bearer without a token", sessions({{"Authorization", "Bearer"}}), 401, "invalid_token"},
        {"Basic credentials", sessions({{"Authorization", "Basic dXNlcjpwYXNz"}}), 401,
         "invalid_token"},
        {"token of three garbage parts", sessions(bearer("a.b.c")), 401, "invalid_token"},
        {"token of 10 KiB", sessions(bearer(std::string(10'000, 'A'))), 401, "invalid_token"},
        {"alg none", sessions(bearer(alg_none)), 401, "invalid_token"},
        {"signed with another key", sessions(bearer(wrong_key)), 401, "invalid_token"},
        {"revoke a session: id not a UUID",
         req("DELETE", "/v1/sessions/not-a-uuid", bearer(login.access)), 400, "invalid_uuid"},
        {"revoke a session: unknown id",
         req("DELETE", "/v1/sessions/" + new_uuid(), bearer(login.access)), 404, "not_found"},
        {"revoke a session: SQL in the id",
         req("DELETE", "/v1/sessions/'%20OR%201=1--", bearer(login.access)), 400, "invalid_uuid"},
    };
}

// The product routes: states, devices, keys, presence, events.
std::vector<Case> route_cases(const ApiLogin& login) {
    const auto authed = [&](std::string_view method, std::string_view target,
                            HttpHeaders extra = {}, std::string_view body = {}) {
        HttpHeaders h = bearer(login.access);
        for (auto& kv : extra) h.push_back(std::move(kv));
        return req(method, target, h, body);
    };
    const HttpHeaders js{{"Content-Type", "application/json"}};
    const auto with = [](HttpHeaders h, std::string k, std::string v) {
        h.emplace_back(std::move(k), std::move(v));
        return h;
    };
    const std::string ok_blob = R"({"state":"AAAA","nonce":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})";
    return {
        {"state put without a precondition", authed("PUT", "/v1/states/k1", js, ok_blob), 428,
         "precondition_required"},
        {"state put with a weak ETag",
         authed("PUT", "/v1/states/k1", with(js, "If-Match", "W/\"1\""), ok_blob), 400,
         "invalid_precondition"},
        {"state put with If-Match not a number",
         authed("PUT", "/v1/states/k1", with(js, "If-Match", "\"one\""), ok_blob), 400,
         "invalid_precondition"},
        {"state put with both preconditions",
         authed("PUT", "/v1/states/k1", with(with(js, "If-Match", "\"1\""), "If-None-Match", "*"),
                ok_blob),
         400, "invalid_precondition"},
        {"state put: blob not base64",
         authed("PUT", "/v1/states/k1", with(js, "If-None-Match", "*"),
                R"({"state":"***","nonce":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})"),
         400, "invalid_request"},
        {"state put: nonce of 3 bytes",
         authed("PUT", "/v1/states/k1", with(js, "If-None-Match", "*"),
                R"({"state":"AAAA","nonce":"AAAA"})"),
         400, "invalid_request"},
        {"state put: state a number",
         authed("PUT", "/v1/states/k1", with(js, "If-None-Match", "*"),
                R"({"state":5,"nonce":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})"),
         400, "invalid_request"},
        {"state key with a slash", authed("GET", "/v1/states/a%2Fb"), 400, "invalid_key"},
        {"state key of 1,000 bytes", authed("GET", "/v1/states/" + std::string(1000, 'k')), 400,
         "invalid_key"},
        {"state key with a space", authed("GET", "/v1/states/a%20b"), 400, "invalid_key"},
        {"state delete without If-Match", authed("DELETE", "/v1/states/k1"), 428,
         "precondition_required"},
        {"feed: after not a number", authed("GET", "/v1/states?after=abc"), 400, "invalid_query"},
        {"feed: negative after", authed("GET", "/v1/states?after=-5"), 400, "invalid_query"},
        {"feed: limit 0", authed("GET", "/v1/states?limit=0"), 400, "invalid_query"},
        {"feed: limit past 2^63", authed("GET", "/v1/states?limit=99999999999999999999"), 400,
         "invalid_query"},
        {"batch: writes not an array", authed("POST", "/v1/states:batch", js, R"({"writes":5})"),
         400, "invalid_request"},
        {"batch: unknown op",
         authed("POST", "/v1/states:batch", js,
                R"({"writes":[{"key":"a","op":"rename","if_none_match":true}]})"),
         400, "invalid_request"},
        {"batch: delete without if_match",
         authed("POST", "/v1/states:batch", js, R"({"writes":[{"key":"a","op":"delete"}]})"), 428,
         "precondition_required"},
        {"device: id not a UUID", authed("PATCH", "/v1/devices/xyz", js, R"({"name":"n"})"), 400,
         "invalid_uuid"},
        {"device: rename to a number",
         authed("PATCH", "/v1/devices/" + login.device_id, js, R"({"name":7})"), 400,
         "invalid_request"},
        {"device: register with a 31-byte key",
         authed("POST", "/v1/devices", js,
                json{{"name", "x"},
                     {"device_type", "agent"},
                     {"public_key", base64_encode(Bytes(31, 1))}}
                    .dump()),
         400, "invalid_request"},
        {"device: revoke an unknown id", authed("DELETE", "/v1/devices/" + new_uuid()), 404,
         "not_found"},
        {"keys: wrapped key not base64",
         authed("PUT", "/v1/keys/devices/" + login.device_id, js,
                R"({"wrapped_key":"@@","key_version":1})"),
         400, "invalid_request"},
        {"keys: key version 0",
         authed("PUT", "/v1/keys/devices/" + login.device_id, js,
                json{{"wrapped_key", base64_encode(Bytes(80, 2))}, {"key_version", 0}}.dump()),
         400, "invalid_request"},
        {"keys: recovery without a precondition",
         authed("PUT", "/v1/keys/recovery", js, R"({"salt":"AA=="})"), 428,
         "precondition_required"},
        {"presence: unknown status",
         authed("POST", "/v1/presence/heartbeat", js, R"({"status":"dancing"})"), 400,
         "invalid_request"},
        {"events: after not a number", authed("GET", "/v1/events?after=x"), 400, "invalid_query"},
        {"events: wait over the maximum", authed("GET", "/v1/events?wait=100000"), 400,
         "invalid_query"},
        {"events stream: bad Last-Event-ID",
         authed("GET", "/v1/events/stream", {{"Last-Event-ID", "not-a-number"}}), 400,
         "invalid_request"},
        {"websocket: not an upgrade", authed("GET", "/v1/ws"), 400, "invalid_request"},
    };
}

void run_cases(const std::vector<Case>& cases,
               const std::function<HttpResponse(const std::string&)>& send) {
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        HttpResponse r;
        try {
            r = send(c.raw);
        } catch (const std::exception& e) {
            ADD_FAILURE() << c.name << ": no response: " << e.what();
            continue;
        }
        EXPECT_EQ(r.status, c.status) << c.name << "\n" << r.describe();
        if (!c.code.empty()) {
            const auto body = json::parse(r.body, nullptr, false);
            EXPECT_TRUE(body.is_object() && body.contains("error")) << c.name << "\n"
                                                                    << r.describe();
            if (body.is_object() && body.contains("error")) {
                EXPECT_EQ(body["error"].value("code", ""), c.code) << c.name << "\n"
                                                                   << r.describe();
            }
        }
    }
}

TEST_F(ServerMalformed, ProtocolLevelGarbageGetsItsFourHundredAndTheServerStaysUp) {
    const auto cases = protocol_cases();
    run_cases(cases, send);
    expect_alive();
}

TEST_F(ServerMalformed, BadJsonAndBadFieldsGetTheirFourHundredAndTheServerStaysUp) {
    const auto cases = json_cases();
    run_cases(cases, send);
    expect_alive();
}

TEST_F(ServerMalformed, BadCredentialsAndIdsGetTheirFourHundredAndTheServerStaysUp) {
    const auto cases = auth_cases(*s_login);
    run_cases(cases, send);
    expect_alive();
}

TEST_F(ServerMalformed, BadInputToTheProductRoutesGetsItsFourHundredAndTheServerStaysUp) {
    const auto cases = route_cases(*s_login);
    run_cases(cases, send);
    expect_alive();
}

TEST_F(ServerMalformed, TheTableHasAtLeastFiftyRequests) {
    EXPECT_GE(protocol_cases().size() + json_cases().size() + auth_cases(*s_login).size() +
                  route_cases(*s_login).size(),
              50U);
}

TEST_F(ServerMalformed, ASlowHeaderIsDroppedAndDoesNotHoldTheServer) {
    HttpConnection slow(s_api->host(), s_api->port(), 10s);
    slow.send_raw("GET /health HTTP/1.1\r\nHost: x\r\n");  // never finished
    EXPECT_TRUE(slow.wait_for_close(5s));                  // SERVER_READ_TIMEOUT is 1 s here
    expect_alive();
}

TEST_F(ServerMalformed, ASlowBodyIsDroppedAndDoesNotHoldTheServer) {
    HttpConnection slow(s_api->host(), s_api->port(), 10s);
    slow.send_raw(req("POST", "/v1/auth/register",
                      {{"Content-Type", "application/json"}, {"Content-Length", "100"}}) +
                  "{\"email\":");          // 91 bytes short, forever
    EXPECT_TRUE(slow.wait_for_close(5s));  // SERVER_BODY_TIMEOUT is 1 s here
    expect_alive();
}

TEST_F(ServerMalformed, ManyAbandonedConnectionsDoNotStopTheServer) {
    std::vector<std::unique_ptr<HttpConnection>> idle;
    for (int i = 0; i < 100; ++i) {
        idle.push_back(std::make_unique<HttpConnection>(s_api->host(), s_api->port(), 10s));
        idle.back()->send_raw("GET /health HTTP/1.1\r\n");  // half a request each
    }
    expect_alive();
    idle.clear();
    expect_alive();
}

}  // namespace
}  // namespace edgesync::test
