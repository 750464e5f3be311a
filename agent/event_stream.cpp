#include "agent/event_stream.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>

#include "agent/sse_parser.hpp"

namespace edgesync::agent {

using nlohmann::json;

Backoff::Backoff(std::chrono::milliseconds base, std::chrono::milliseconds max, std::uint64_t seed)
    : m_base(base), m_max(max), m_rng(seed) {}

std::chrono::milliseconds Backoff::next() {
    const int shift = std::min(m_attempt, 20);
    ++m_attempt;
    const auto cap = std::min<std::int64_t>(m_max.count(), m_base.count() << shift);
    std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(cap, 0));
    return std::chrono::milliseconds(pick(m_rng));
}

bool parse_stream_event(std::string_view data, StreamEvent& out) {
    const auto j = json::parse(data, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return false;
    const auto seq = j.find("seq");
    const auto type = j.find("event_type");
    const auto key = j.find("key");
    if (seq == j.end() || !seq->is_number_integer() || type == j.end() || !type->is_string() ||
        key == j.end() || !key->is_string())
        return false;
    out.seq = seq->get<std::int64_t>();
    out.event_type = type->get<std::string>();
    out.key = key->get<std::string>();
    out.device_id = j.value("device_id", "");
    const auto version = j.find("version");
    out.version =
        version != j.end() && version->is_number_integer() ? version->get<std::int64_t>() : 0;
    return out.seq > 0;
}

EventStream::EventStream(ApiClient& api, Options options) : m_api(api), m_options(options) {}
EventStream::EventStream(ApiClient& api) : EventStream(api, Options{}) {}

namespace {

// Sleeps up to `d`, waking early when `stop` is set.
void wait_or_stop(std::chrono::milliseconds d, const std::atomic<bool>& stop) {
    const auto until = std::chrono::steady_clock::now() + d;
    while (!stop.load() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
            std::chrono::milliseconds(50), std::chrono::duration_cast<std::chrono::milliseconds>(
                                               until - std::chrono::steady_clock::now()) +
                                               std::chrono::milliseconds(1)));
}

}  // namespace

void EventStream::run(std::int64_t after, const Callbacks& callbacks,
                      const std::atomic<bool>& stop) {
    m_cursor = after;
    Backoff backoff(m_options.backoff_base, m_options.backoff_max);
    bool refreshed_once = false;
    while (!stop.load()) {
        bool consumer_done = false;
        bool connected = false;
        SseParser parser([&](const SseEvent& e) {
            if (consumer_done) return;
            StreamEvent ev;
            if (!parse_stream_event(e.data, ev)) {
                spdlog::warn("event stream: ignoring a malformed event (id {})", e.id);
                return;
            }
            if (ev.seq <= m_cursor) return;  // already seen (a resend after reconnect)
            if (!callbacks.on_event(ev)) {
                consumer_done = true;
                return;
            }
            m_cursor = ev.seq;
        });
        const auto on_data = [&](std::string_view chunk) {
            if (!connected) {
                connected = true;
                backoff.reset();
                refreshed_once = false;
                if (callbacks.on_connection) callbacks.on_connection(true);
            }
            return parser.feed(chunk) && !consumer_done;
        };
        HeaderList headers{m_api.auth_header(), {"Accept", "text/event-stream"}};
        if (m_cursor > 0) headers.emplace_back("Last-Event-ID", std::to_string(m_cursor));
        const std::string url =
            m_api.base_url() + "/v1/events/stream?after=" + std::to_string(m_cursor);
        try {
            const auto result = stream_get(url, headers, on_data, stop, m_options.idle_timeout);
            if (connected && callbacks.on_connection) callbacks.on_connection(false);
            if (consumer_done || result.stopped) return;
            if (result.status == 401) {
                if (refreshed_once) {  // a fresh token was refused too
                    HttpReply r{result.status, {}, result.error_body};
                    throw_api_error(r);
                }
                m_api.refresh();  // throws SessionEnded / DeviceRevoked
                refreshed_once = true;
                continue;
            }
            if (result.status >= 400 && result.status < 500 && result.status != 408 &&
                result.status != 429) {
                HttpReply r{result.status, {}, result.error_body};
                throw_api_error(r);  // a client error will not heal by retrying
            }
            if (result.idle_timeout)
                spdlog::warn("event stream: no heartbeat for {} ms; reconnecting",
                             m_options.idle_timeout.count());
        } catch (const TransportError& e) {
            if (connected && callbacks.on_connection) callbacks.on_connection(false);
            spdlog::warn("event stream: {}; retrying", e.what());
        }
        wait_or_stop(backoff.next(), stop);
    }
}

}  // namespace edgesync::agent
