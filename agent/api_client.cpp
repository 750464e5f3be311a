#include "agent/api_client.hpp"

#include <utility>

namespace edgesync::agent {

using nlohmann::json;

namespace {

std::string member(const json& j, const char* name) {
    const auto it = j.find(name);
    if (it == j.end() || !it->is_string())
        throw std::invalid_argument(std::string("tokens: missing '") + name + "'");
    return it->get<std::string>();
}

thread_local std::unique_ptr<HttpClient> t_http;

HttpClient& thread_client() {
    if (!t_http) t_http = std::make_unique<HttpClient>();
    return *t_http;
}

json parse_body(const HttpReply& reply) {
    if (reply.body.empty()) return nullptr;
    auto j = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded())
        throw ApiError(reply.status, "bad_response", "the server sent a body that is not JSON");
    return j;
}

}  // namespace

json Tokens::to_json() const {
    return {{"access_token", access_token},
            {"refresh_token", refresh_token},
            {"account_id", account_id},
            {"device_id", device_id},
            {"session_id", session_id}};
}

Tokens Tokens::from_json(const json& j) {
    if (!j.is_object()) throw std::invalid_argument("tokens: not a JSON object");
    return {member(j, "access_token"), member(j, "refresh_token"), member(j, "account_id"),
            member(j, "device_id"), member(j, "session_id")};
}

ApiError::ApiError(long status, std::string code, const std::string& message, json body)
    : std::runtime_error(message),
      m_status(status),
      m_code(std::move(code)),
      m_body(std::move(body)) {}

void throw_api_error(const HttpReply& reply) {
    auto body = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
    std::string code;
    std::string message = "HTTP " + std::to_string(reply.status);
    if (body.is_object() && body.contains("error") && body["error"].is_object()) {
        code = body["error"].value("code", "");
        message += " " + code + ": " + body["error"].value("message", "");
    }
    if (body.is_discarded()) body = nullptr;
    if (reply.status == 401) throw SessionEnded(reply.status, code, message, std::move(body));
    if (reply.status == 403 && code == "revoked")
        throw DeviceRevoked(reply.status, code, message, std::move(body));
    throw ApiError(reply.status, code, message, std::move(body));
}

ApiClient::ApiClient(std::string base_url, Tokens tokens, OnTokens on_tokens)
    : m_base(std::move(base_url)), m_on_tokens(std::move(on_tokens)), m_tokens(std::move(tokens)) {
    while (!m_base.empty() && m_base.back() == '/') m_base.pop_back();
}

json ApiClient::post_json(HttpClient& http, const std::string& base_url, std::string_view path,
                          const json& body) {
    HttpCall call;
    call.method = "POST";
    call.url = base_url + std::string(path);
    call.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
    call.body = body.dump();
    const auto reply = http.perform(call);
    if (reply.status < 200 || reply.status > 299) throw_api_error(reply);
    return parse_body(reply);
}

Tokens ApiClient::login(HttpClient& http, const std::string& base_url, const std::string& email,
                        const std::string& password, const json& extra) {
    std::string base = base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    json body = {{"email", email}, {"password", password}};
    for (const auto& [k, v] : extra.items()) body[k] = v;
    return Tokens::from_json(post_json(http, base, "/v1/auth/login", body));
}

Tokens ApiClient::tokens() const {
    std::lock_guard lock(m_mutex);
    return m_tokens;
}

std::pair<std::string, std::string> ApiClient::auth_header() const {
    std::lock_guard lock(m_mutex);
    return {"Authorization", "Bearer " + m_tokens.access_token};
}

HttpReply ApiClient::send(std::string_view method, std::string_view path, const json& body,
                          const HeaderList& headers, const std::string& access) {
    HttpCall call;
    call.method = std::string(method);
    call.url = m_base + std::string(path);
    call.headers = headers;
    call.headers.emplace_back("Authorization", "Bearer " + access);
    call.headers.emplace_back("Accept", "application/json");
    if (!body.is_null()) {
        call.headers.emplace_back("Content-Type", "application/json");
        call.body = body.dump();
    }
    return thread_client().perform(call);
}

json ApiClient::call(std::string_view method, std::string_view path, const json& body,
                     const HeaderList& headers, HttpReply* reply_out) {
    std::string access = tokens().access_token;
    HttpReply reply = send(method, path, body, headers, access);
    if (reply.status == 401) {
        refresh_from(access);  // throws SessionEnded when the session is over
        access = tokens().access_token;
        reply = send(method, path, body, headers, access);
    }
    if (reply_out != nullptr) *reply_out = reply;
    if (reply.status < 200 || reply.status > 299) {
        if (reply.status == 304) return nullptr;
        throw_api_error(reply);
    }
    return parse_body(reply);
}

void ApiClient::refresh() { refresh_from(tokens().access_token); }

void ApiClient::refresh_from(const std::string& stale_access) {
    std::lock_guard lock(m_mutex);
    // Another thread refreshed while this one waited: use its tokens.
    if (m_tokens.access_token != stale_access) return;
    json body;
    try {
        body = post_json(thread_client(), m_base, "/v1/auth/refresh",
                         {{"refresh_token", m_tokens.refresh_token}});
    } catch (const SessionEnded&) {
        throw;
    } catch (const ApiError& e) {
        if (e.status() == 403) throw DeviceRevoked(e.status(), e.code(), e.what(), e.body());
        throw;
    }
    Tokens next = Tokens::from_json(body);
    if (m_on_tokens) m_on_tokens(next);  // saved before use: a crash cannot lose the new token
    m_tokens = std::move(next);
}

}  // namespace edgesync::agent
