#include "server/state_routes.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/request_parsing.hpp"
#include "server/response.hpp"
#include "server/state_json.hpp"
#include "shared/repositories/state_repository.hpp"
#include "shared/services/live_message.hpp"
#include "shared/util/time.hpp"

namespace edgesync::server {

namespace {

using nlohmann::json;

constexpr std::size_t k_nonce_bytes = 24;  // XChaCha20-Poly1305
// Blob bytes per feed page (at least one state is always returned): a page
// stays a few MiB of JSON whatever the limit.
constexpr std::size_t k_min_page_byte_budget = 4 * 1024 * 1024;
constexpr std::int64_t k_default_page_items = 100;

// A write that committed, for the live channel and the response.
struct Written {
    std::string key;
    bool deleted = false;
    WriteResult result;
};

Response with_etag(Response r, std::int64_t version) {
    r.headers.set("ETag", etag(version));
    return r;
}

// An error document plus members (index, current).
Response error_with(int status, std::string_view code, std::string_view message,
                    std::optional<std::size_t> index,
                    const std::optional<EncryptedState>& current) {
    auto body = error_body(code, message);
    if (index) body["index"] = *index;
    if (current) body["current"] = state_json(*current);
    return json_response(status, body);
}

Response rejection_response(const WriteRejection& r, std::optional<std::size_t> index = {}) {
    switch (r.reason) {
        case WriteRejection::Reason::conflict:
            return error_with(412, error_code::precondition_failed,
                              "the state is not at the expected version; 'current' is what it is",
                              index, r.current);
        case WriteRejection::Reason::not_found:
            return error_with(404, error_code::not_found, "no such state", index, r.current);
        case WriteRejection::Reason::quota_exceeded:
            return error_with(413, error_code::quota_exceeded,
                              "the write would take the account over its storage quota", index,
                              std::nullopt);
        case WriteRejection::Reason::device_revoked:
            return error_with(403, "revoked", "this device is revoked", index, std::nullopt);
        case WriteRejection::Reason::account_missing:
            break;
    }
    return error_with(403, "account_disabled", "the account is disabled or deleted", index,
                      std::nullopt);
}

Response invalid_key(std::size_t max_key_bytes, std::optional<std::size_t> index = {}) {
    return error_with(400, error_code::invalid_key,
                      fmt::format("a key is 1 to {} bytes of A-Z a-z 0-9 . _ ~ -", max_key_bytes),
                      index, std::nullopt);
}

// `r` (an error response) with "index": i added to its document.
Response at_index(Response r, std::size_t index) {
    auto body = json::parse(r.body, nullptr, false);
    if (!body.is_object()) return r;
    body["index"] = index;
    auto out = json_response(r.status, body);
    out.headers = r.headers;
    return out;
}

// {"state": base64, "nonce": base64 of 24 bytes}, the blob within MAX_BLOB_BYTES.
std::expected<PutState, Response> put_op(const json& body, const ProductLimits& limits) {
    if (!body.is_object())
        return std::unexpected(
            error_response(400, error_code::invalid_request, "the body must be a JSON object"));
    auto state = base64_field(body, "state");
    if (!state) return std::unexpected(state.error());
    auto nonce = base64_field(body, "nonce");
    if (!nonce) return std::unexpected(nonce.error());
    if (nonce->size() != k_nonce_bytes)
        return std::unexpected(error_response(
            400, error_code::invalid_request,
            fmt::format("'nonce' must be {} bytes (XChaCha20-Poly1305)", k_nonce_bytes)));
    if (state->size() > limits.max_blob_bytes)
        return std::unexpected(error_response(
            413, error_code::payload_too_large,
            fmt::format("a state is at most {} bytes", limits.max_blob_bytes)));
    return PutState{std::move(*state), std::move(*nonce)};
}

class StateHandlers {
  public:
    explicit StateHandlers(StateRoutesDeps deps) : m_deps(std::move(deps)) {}

    Response list(RequestContext& ctx) const {
        const auto after = query_int(ctx, "after", 0, 0, std::numeric_limits<std::int64_t>::max());
        if (!after) return after.error();
        const auto max_items = static_cast<std::int64_t>(m_deps.limits.max_page_items);
        const auto limit =
            query_int(ctx, "limit", std::min(k_default_page_items, max_items), 1, max_items);
        if (!limit) return limit.error();
        const auto page =
            m_deps.states->changes(*ctx.account_id, *after, static_cast<std::size_t>(*limit),
                                   std::max(k_min_page_byte_budget, m_deps.limits.max_blob_bytes));
        json states = json::array();
        for (const auto& s : page.states) states.push_back(state_json(s));
        return json_response(
            200, {{"states", std::move(states)}, {"next", page.next}, {"more", page.more}});
    }

    Response get(RequestContext& ctx) const {
        const auto& key = ctx.param("key");
        if (!valid_key(key, m_deps.limits.max_key_bytes))
            return invalid_key(m_deps.limits.max_key_bytes);
        const auto s = m_deps.states->get(*ctx.account_id, key);
        if (!s) return error_response(404, error_code::not_found, "no such state");
        if (s->deleted())
            return error_with(404, error_code::deleted,
                              "the state was deleted; 'current' is its "
                              "tombstone",
                              std::nullopt, s);
        const auto inm = ctx.request.headers.get("If-None-Match");
        if (inm && none_match_hits(*inm, s->version)) {
            Response r;
            r.status = 304;
            return with_etag(std::move(r), s->version);
        }
        return with_etag(json_response(200, state_json(*s)), s->version);
    }

    Response put(RequestContext& ctx) const {
        auto w = put_request(ctx, m_deps.limits);
        if (!w) return std::move(w.error());
        auto done = m_deps.states->write(*w);
        if (done) publish(ctx, {{w->key, false, *done}});
        return put_response(*w, done);
    }

    Response remove(RequestContext& ctx) const {
        const auto& key = ctx.param("key");
        if (!valid_key(key, m_deps.limits.max_key_bytes))
            return invalid_key(m_deps.limits.max_key_bytes);
        const auto if_match = ctx.request.headers.get("If-Match");
        if (!if_match)
            return error_response(428, error_code::precondition_required,
                                  "a delete needs If-Match: \"VERSION\"");
        const auto version = parse_etag(*if_match);
        if (!version)
            return error_response(400, error_code::invalid_precondition,
                                  "If-Match must be one strong entity tag: \"VERSION\"");
        auto done = m_deps.states->write({*ctx.account_id, *ctx.device_id, key,
                                          Precondition::if_version(*version), DeleteState{}});
        if (!done) return rejection_response(done.error());
        publish(ctx, {{key, true, *done}});
        return with_etag(json_response(200, {{"version", done->version}, {"seq", done->seq}}),
                         done->version);
    }

    Response batch(RequestContext& ctx) const {
        auto body = json_body(ctx);
        if (!body) return body.error();
        const auto items = body->is_object() ? body->find("writes") : body->end();
        if (!body->is_object() || items == body->end() || !items->is_array())
            return error_response(400, error_code::invalid_request,
                                  "the body must be {\"writes\":[...]}");
        const auto& limits = m_deps.limits;
        if (items->size() > limits.max_batch_items)
            return error_response(
                413, error_code::payload_too_large,
                fmt::format("a batch holds at most {} writes", limits.max_batch_items));
        std::vector<StateWrite> writes;
        writes.reserve(items->size());
        std::size_t blob_bytes = 0;
        for (std::size_t i = 0; i < items->size(); ++i) {
            auto w = batch_item(ctx, (*items)[i], i);
            if (!w) return w.error();
            if (const auto* put = std::get_if<PutState>(&w->op)) blob_bytes += put->state.size();
            if (blob_bytes > limits.max_batch_bytes)
                return error_with(
                    413, error_code::payload_too_large,
                    fmt::format("a batch holds at most {} bytes of states", limits.max_batch_bytes),
                    i, std::nullopt);
            writes.push_back(std::move(*w));
        }
        auto done = m_deps.states->write_batch(writes);
        if (!done) return rejection_response(done.error().rejection, done.error().index);
        std::vector<Written> written;
        json results = json::array();
        for (std::size_t i = 0; i < writes.size(); ++i) {
            const auto& r = (*done)[i];
            written.push_back(
                {writes[i].key, std::holds_alternative<DeleteState>(writes[i].op), r});
            results.push_back({{"key", writes[i].key}, {"version", r.version}, {"seq", r.seq}});
        }
        publish(ctx, written);
        return json_response(200, {{"results", std::move(results)}});
    }

  private:
    // {key, op: "put"|"delete", if_match: V | if_none_match: true, state, nonce}.
    std::expected<StateWrite, Response> batch_item(const RequestContext& ctx, const json& item,
                                                   std::size_t i) const {
        const auto fail = [i](Response r) { return std::unexpected(at_index(std::move(r), i)); };
        if (!item.is_object())
            return fail(
                error_response(400, error_code::invalid_request, "each write must be an object"));
        const auto key = item.find("key");
        if (key == item.end() || !key->is_string() ||
            !valid_key(key->get_ref<const std::string&>(), m_deps.limits.max_key_bytes))
            return std::unexpected(invalid_key(m_deps.limits.max_key_bytes, i));
        const auto op = item.value("op", std::string());
        if (op != "put" && op != "delete")
            return fail(error_response(400, error_code::invalid_request,
                                       "'op' must be \"put\" or \"delete\""));
        const auto if_match = item.find("if_match");
        const bool create = item.value("if_none_match", false);
        if (if_match != item.end() && create)
            return fail(error_response(400, error_code::invalid_precondition,
                                       "send if_match or if_none_match, not both"));
        StateWrite w{*ctx.account_id, *ctx.device_id, key->get<std::string>(),
                     Precondition::create(), DeleteState{}};
        if (if_match != item.end()) {
            if (!if_match->is_number_integer() || if_match->get<std::int64_t>() <= 0)
                return fail(error_response(400, error_code::invalid_precondition,
                                           "'if_match' must be a version (a positive integer)"));
            w.precondition = Precondition::if_version(if_match->get<std::int64_t>());
        } else if (!create || op == "delete") {
            return fail(error_response(
                428, error_code::precondition_required,
                op == "delete" ? "a delete needs 'if_match'"
                               : "a put needs 'if_none_match': true or 'if_match': VERSION"));
        }
        if (op == "put") {
            auto put = put_op(item, m_deps.limits);
            if (!put) return fail(std::move(put.error()));
            w.op = std::move(*put);
        }
        return w;
    }

    // Best effort, after the commit: a reader that misses a message catches
    // up from its seq, so a failure is logged and the request still succeeds.
    void publish(const RequestContext& ctx, const std::vector<Written>& written) const {
        if (written.empty()) return;
        const auto at = now();
        std::vector<LiveMessage> events;
        events.reserve(written.size());
        for (const auto& w : written)
            events.emplace_back(LiveEvent{w.result.seq, w.deleted ? "state.delete" : "state.put",
                                          w.key, *ctx.device_id, w.result.version, at});
        try {
            // One pipelined round trip for a whole batch.
            publish_live(m_deps.publisher, *ctx.account_id, events);
        } catch (const std::exception& e) {
            spdlog::warn("request {}: live publish of seq {}..{} failed: {}", ctx.request_id,
                         written.front().result.seq, written.back().result.seq, e.what());
        }
    }

    StateRoutesDeps m_deps;
};

}  // namespace

std::expected<StateWrite, Response> put_request(const RequestContext& ctx,
                                                const ProductLimits& limits) {
    const auto& key = ctx.param("key");
    if (!valid_key(key, limits.max_key_bytes))
        return std::unexpected(invalid_key(limits.max_key_bytes));
    const auto pre = put_precondition(ctx.request.headers);
    if (!pre) return std::unexpected(pre.error());
    auto body = json_body(ctx);
    if (!body) return std::unexpected(body.error());
    auto op = put_op(*body, limits);
    if (!op) return std::unexpected(op.error());
    return StateWrite{*ctx.account_id, *ctx.device_id, key, *pre, std::move(*op)};
}

Response put_response(const StateWrite& write,
                      const std::expected<WriteResult, WriteRejection>& done) {
    if (!done) return rejection_response(done.error());
    const int status = write.precondition.kind == Precondition::Kind::must_not_exist ? 201 : 200;
    return with_etag(json_response(status, {{"version", done->version}, {"seq", done->seq}}),
                     done->version);
}

LiveMessage put_event(const StateWrite& write, const WriteResult& result, Timestamp at) {
    return LiveEvent{result.seq, "state.put", write.key, write.device_id, result.version, at};
}

void add_state_routes(Router& router, StateRoutesDeps deps) {
    const auto& limits = deps.limits;
    const std::size_t blob_body = limits.max_blob_bytes / 3 * 4 + 4 + 64 * 1024;
    const std::size_t batch_body =
        limits.max_batch_bytes / 3 * 4 + 4 + limits.max_batch_items * (limits.max_key_bytes + 512);
    const RouteOptions read{.blocking = true, .max_body_bytes = std::nullopt, .auth = true};
    const RouteOptions write{.blocking = true, .max_body_bytes = blob_body, .auth = true};
    const RouteOptions batch{.blocking = true, .max_body_bytes = batch_body, .auth = true};
    auto h = std::make_shared<const StateHandlers>(std::move(deps));
    router.add(
        "GET", "/v1/states", [h](RequestContext& ctx) { return h->list(ctx); }, read);
    router.add(
        "GET", "/v1/states/{key}", [h](RequestContext& ctx) { return h->get(ctx); }, read);
    router.add(
        "PUT", "/v1/states/{key}", [h](RequestContext& ctx) { return h->put(ctx); }, write);
    router.add(
        "DELETE", "/v1/states/{key}", [h](RequestContext& ctx) { return h->remove(ctx); }, read);
    router.add(
        "POST", "/v1/states:batch", [h](RequestContext& ctx) { return h->batch(ctx); }, batch);
}

}  // namespace edgesync::server
