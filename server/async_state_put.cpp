#include "server/async_state_put.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <memory>

#include "server/auth_routes.hpp"
#include "server/state_routes.hpp"
#include "shared/db/pg_pool.hpp"
#include "shared/db/redis_keys.hpp"
#include "shared/repositories/pg_state_repository.hpp"
#include "shared/repositories/redis_session_repository.hpp"
#include "shared/services/auth_service.hpp"
#include "shared/services/live_message.hpp"
#include "shared/util/error.hpp"

namespace edgesync::server {

namespace {

constexpr const char* k_statement = "es_state_write_async";

std::string_view required(const PgRows& rows, std::string_view column) {
    const auto v = rows.get(0, column);
    if (!v) throw StorageError(fmt::format("write state: unexpected NULL in {}", column));
    return *v;
}

std::int64_t to_int(std::string_view text, std::string_view column) {
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || end != text.data() + text.size())
        throw StorageError(fmt::format("write state: {} is not an integer", column));
    return n;
}

Timestamp to_time(std::string_view text, std::string_view column) {
    const auto t = parse_timestamp(text);
    if (!t) throw StorageError(fmt::format("write state: unreadable timestamp in {}", column));
    return *t;
}

// bytea in text format ("\x" + hex).
Bytes to_bytes(std::optional<std::string_view> text) {
    if (!text) return {};
    const std::string copy(*text);
    std::size_t n = 0;
    unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(copy.c_str()), &n);
    if (raw == nullptr) throw StorageError("write state: unreadable bytea");
    Bytes out(raw, raw + n);
    PQfreemem(raw);
    return out;
}


// es_write_state's row, as PgStateRepository::write reads it.
std::expected<WriteResult, WriteRejection> write_outcome(const PgRows& rows, const StateWrite& w) {
    if (rows.size() != 1) throw StorageError("write state: expected one row");
    const auto status = required(rows, "status");
    if (status == "ok")
        return WriteResult{to_int(required(rows, "new_version"), "new_version"),
                           to_int(required(rows, "new_seq"), "new_seq")};
    std::optional<EncryptedState> current;
    if (rows.get(0, "cur_id")) {
        EncryptedState s;
        s.id = std::string(required(rows, "cur_id"));
        s.account_id = w.account_id;
        s.device_id = std::string(required(rows, "cur_device"));
        s.key = w.key;
        s.state = to_bytes(rows.get(0, "cur_state"));
        s.nonce = to_bytes(rows.get(0, "cur_nonce"));
        s.version = to_int(required(rows, "cur_version"), "cur_version");
        s.seq = to_int(required(rows, "cur_seq"), "cur_seq");
        s.size = to_int(required(rows, "cur_size"), "cur_size");
        s.created_at = to_time(required(rows, "cur_created"), "cur_created");
        s.updated_at = to_time(required(rows, "cur_updated"), "cur_updated");
        if (const auto d = rows.get(0, "cur_deleted")) s.deleted_at = to_time(*d, "cur_deleted");
        current = std::move(s);
    }
    return std::unexpected(WriteRejection{write_rejection_reason(status), std::move(current)});
}

[[noreturn]] void throw_failure(const AsyncPgPool::Failure& f) {
    switch (f.kind) {
        case AsyncPgPool::Failure::Kind::overloaded:
            throw PoolTimeoutError(f.message);
        case AsyncPgPool::Failure::Kind::unavailable:
            throw ConnectionError("write state: " + f.message);
        case AsyncPgPool::Failure::Kind::query:
            break;
    }
    if (f.sqlstate.starts_with("08")) throw ConnectionError("write state: " + f.message);
    throw StorageError(fmt::format("write state: {} {}", f.sqlstate, f.message));
}

std::string as_text(const Bytes& b) {
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// One PUT in flight. Its steps run on the Redis and Postgres strands, one
// after the other; `ctx` belongs to the connection, which waits for `respond`.
struct PutOp : std::enable_shared_from_this<PutOp> {
    PutOp(const AsyncStatePutDeps& d, RequestContext& c, Respond r, auth::AccessClaims cl)
        : deps(d), ctx(c), respond(std::move(r)), claims(std::move(cl)) {}

    void start() {
        auto key = redis_keys::session_key(claims.sub, claims.sid);
        deps.redis.command({"GET", std::move(key)},
                           [self = shared_from_this()](AsyncRedis::Reply r) {
                               self->guarded([&] { self->on_session(std::move(r)); });
                           });
    }

    // The last action of each step starts the next one, so an exception
    // means nothing else is in flight: answering it is the step's end.
    template <class F>
    void guarded(F&& step) {
        try {
            step();
        } catch (...) {
            respond(response_for_exception(ctx, std::current_exception()));
        }
    }

    void on_session(AsyncRedis::Reply reply) {
        if (!reply) throw ConnectionError(reply.error());
        std::optional<Session> session;
        switch (reply->type) {
            case RedisValue::Type::string:
                session = session_from_json(reply->text);
                break;
            case RedisValue::Type::nil:
                break;
            default:
                throw StorageError("Redis GET of a session: unexpected reply " + reply->text);
        }
        auto principal = AuthService::principal_for(std::move(claims), session);
        if (!principal) return respond(invalid_token(principal.error().message));
        ctx.account_id = std::move(principal->account_id);
        ctx.device_id = std::move(principal->device_id);
        ctx.session_id = std::move(principal->session_id);

        auto w = put_request(ctx, deps.limits);
        if (!w) return respond(std::move(w.error()));
        write = std::move(*w);
        const auto& put = std::get<PutState>(write.op);
        std::vector<PgParam> params;
        params.reserve(7);
        params.push_back({write.account_id});
        params.push_back({write.device_id});
        params.push_back({write.key});
        // es_write_state's p_expect_version: 0 = must not exist; never 0 for If-Match.
        const auto& pre = write.precondition;
        const std::int64_t expect = pre.kind == Precondition::Kind::must_not_exist ? 0
                                    : pre.version > 0                              ? pre.version
                                                                                   : -1;
        params.push_back({std::to_string(expect)});
        params.push_back({"f"});  // not a delete
        params.push_back({as_text(put.state), true});
        params.push_back({as_text(put.nonce), true});
        deps.pg.exec_prepared(k_statement, std::move(params),
                              [self = shared_from_this()](AsyncPgPool::Result r) {
                                  self->guarded([&] { self->on_written(std::move(r)); });
                              });
    }

    void on_written(AsyncPgPool::Result result) {
        if (!result) throw_failure(result.error());
        const auto done = write_outcome(*result, write);
        Response response = put_response(write, done);
        if (!done) return respond(std::move(response));
        // Best effort, after the commit, before the answer (as the blocking
        // route): a reader that misses it catches up from its seq.
        const auto seq = done->seq;
        deps.redis.command({"PUBLISH", redis_keys::account_channel(write.account_id),
                            live_message(put_event(write, *done, now()))},
                           [self = shared_from_this(), seq,
                            response = std::move(response)](AsyncRedis::Reply r) mutable {
                               if (!r || r->type == RedisValue::Type::error)
                                   spdlog::warn("request {}: live publish of seq {}..{} failed: {}",
                                                self->ctx.request_id, seq, seq,
                                                r ? r->text : r.error());
                               self->respond(std::move(response));
                           });
    }

    AsyncStatePutDeps deps;  // references only
    RequestContext& ctx;
    Respond respond;
    auth::AccessClaims claims;
    StateWrite write;
};

}  // namespace

AsyncPgPool::Statement async_state_put_statement() {
    return {k_statement, "SELECT * FROM es_write_state($1, $2, $3, $4, $5, $6, $7)"};
}

AsyncHandler make_async_state_put(AsyncStatePutDeps deps) {
    return [deps](RequestContext& ctx, Respond respond) {
        const auto token = bearer_token(ctx);
        if (!token) return respond(token.error());
        auto claims = deps.auth.verify_access_token(*token);
        if (!claims) return respond(invalid_token(claims.error().message));
        std::make_shared<PutOp>(deps, ctx, std::move(respond), std::move(*claims))->start();
    };
}

}  // namespace edgesync::server
