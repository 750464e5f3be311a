#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string>

#include "agent/api_client.hpp"

namespace edgesync::agent {

// One event of the account's log as the stream delivers it (server/event_json).
struct StreamEvent {
    std::int64_t seq = 0;
    std::string event_type;  // "state.put" | "state.delete"
    std::string key;
    std::string device_id;
    std::int64_t version = 0;
};

// Exponential backoff with full jitter: attempt n waits a random time in
// [0, min(max, base * 2^n)]. reset() after a success.
class Backoff {
  public:
    Backoff(std::chrono::milliseconds base, std::chrono::milliseconds max,
            std::uint64_t seed = std::random_device{}());
    [[nodiscard]] std::chrono::milliseconds next();
    void reset() noexcept { m_attempt = 0; }
    [[nodiscard]] int attempts() const noexcept { return m_attempt; }

  private:
    std::chrono::milliseconds m_base;
    std::chrono::milliseconds m_max;
    int m_attempt = 0;
    std::mt19937_64 m_rng;
};

// Follows GET /v1/events/stream from a cursor until stopped: reconnects with
// backoff and jitter after any drop, resuming with Last-Event-ID so nothing
// is missed; refreshes the access token when the server answers 401;
// declares the connection dead when not even a heartbeat arrived for
// `idle_timeout`. Events are handed over in seq order; the callback returns
// false to end the stream (e.g. shutting down).
//
// run() returns when `stop` is set or the callback returned false, and
// throws SessionEnded / DeviceRevoked when the session cannot continue.
class EventStream {
  public:
    struct Options {
        std::chrono::milliseconds idle_timeout{45'000};  // 3 missed 15 s heartbeats
        std::chrono::milliseconds backoff_base{250};
        std::chrono::milliseconds backoff_max{30'000};
    };

    struct Callbacks {
        // Each event, in order; false stops the stream.
        std::function<bool(const StreamEvent&)> on_event;
        // Connected (true) / disconnected (false): status and presence.
        std::function<void(bool)> on_connection;
    };

    EventStream(ApiClient& api, Options options);
    EventStream(ApiClient& api);

    void run(std::int64_t after, const Callbacks& callbacks, const std::atomic<bool>& stop);

    // The cursor: the last seq handed to on_event.
    [[nodiscard]] std::int64_t cursor() const noexcept { return m_cursor; }

  private:
    ApiClient& m_api;
    Options m_options;
    std::int64_t m_cursor = 0;
};

// Parses an SSE `data:` payload into an event; false when malformed.
[[nodiscard]] bool parse_stream_event(std::string_view data, StreamEvent& out);

}  // namespace edgesync::agent
