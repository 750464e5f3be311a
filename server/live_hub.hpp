#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/stream_frames.hpp"
#include "shared/services/live_message.hpp"

namespace edgesync {
struct RedisEndpoint;
}  // namespace edgesync

namespace edgesync::server {

class MetricsRegistry;

// Who a live connection is: what it may receive and what revokes it.
struct LiveScope {
    std::string account_id;
    std::string device_id;
    std::string session_id;
};

// The receiving end of a live connection (SSE stream, WebSocket, long poll).
//
// Contract: the hub calls these on its own thread; an implementation must not
// block or throw — it posts to its connection's strand and returns. A sink is
// held weakly: a connection that is gone is simply skipped.
class LiveSink {
  public:
    virtual ~LiveSink() = default;
    // A committed event of the sink's account, in commit order per account.
    // Called on the hub's thread, or on a fan-out lane (set_fanout_lanes):
    // there a sink may dispatch to its connection's strand and so run inline.
    // Seqs may skip (a lost hint, a batch published as its last event): a sink
    // whose cursor is behind e.seq - 1 re-reads the event log from its cursor.
    virtual void on_event(const LiveEvent& e) = 0;
    // The same event, encoded once for the whole instance: the hub calls this
    // one (not on_event). Streams override it to queue the shared frame
    // instead of formatting their own; the default passes e->event on.
    virtual void on_encoded_event(const SharedEvent& e) { on_event(e->event); }
    // A device of the sink's account changed presence (WebSocket forwards it).
    virtual void on_presence(const PresenceChange& p) = 0;
    // The hub's Redis subscription was (re)established after this sink
    // subscribed (the connection dropped and came back, or Redis was not up
    // yet): hints may have been lost; re-read the event log from the cursor.
    virtual void on_resync() = 0;
    // Access ended for this scope (es:revocations names its session, device or
    // account): close the connection now. Called at most once per subscription.
    virtual void on_revoked() = 0;
};

// One per server instance: a single Redis subscriber connection (PSUBSCRIBE
// es:account:{*}, SUBSCRIBE es:revocations) on a thread of its own, fanning
// out to this instance's subscribed sinks. Subscribing and unsubscribing are
// cheap, thread-safe and never touch Redis (the pattern subscription covers
// every account), so 10k connections cost 10k map entries, not 10k Redis
// subscriptions.
class LiveHub {
  public:
    struct Options {
        // How long a next_message() wait lasts; bounds how quickly stop() returns.
        std::chrono::milliseconds poll_interval{200};
        // Reconnect backoff bounds while Redis is unreachable.
        std::chrono::milliseconds reconnect_min{100};
        std::chrono::milliseconds reconnect_max{5000};
        // CLIENT SETNAME of the subscriber connection (CLIENT LIST shows who
        // holds it; tests find it by name to cut it). No spaces.
        std::string client_name{"edgesync-live-hub"};
    };

    // Keeps an unsubscribe ticket; destroying it (or reset()) unsubscribes.
    // Safe from any thread, from the sink's own callback, and after the hub is
    // gone. A fan-out that copied the sink just before may still reach it once
    // after reset() returns (the sink is kept alive for that call), so a sink
    // ignores calls once its connection is closing.
    class Subscription {
      public:
        Subscription() = default;
        Subscription(Subscription&&) noexcept;
        Subscription& operator=(Subscription&&) noexcept;
        Subscription(const Subscription&) = delete;
        Subscription& operator=(const Subscription&) = delete;
        ~Subscription();
        void reset() noexcept;
        [[nodiscard]] explicit operator bool() const noexcept { return m_id != 0; }

      private:
        friend class LiveHub;
        Subscription(std::weak_ptr<void> hub_state, std::uint64_t id) noexcept;
        std::weak_ptr<void> m_hub;
        std::uint64_t m_id = 0;
    };

    // Connects nothing yet. `metrics` (which must outlive the hub) gets
    // edgesync_live_subscribers, edgesync_live_messages_total{type},
    // edgesync_live_fanout_lag_seconds (event "at" to hand-off),
    // edgesync_live_reconnects_total.
    LiveHub(const RedisEndpoint& endpoint, MetricsRegistry& metrics, Options options);
    LiveHub(const RedisEndpoint& endpoint, MetricsRegistry& metrics);
    ~LiveHub();  // stop()s
    LiveHub(const LiveHub&) = delete;
    LiveHub& operator=(const LiveHub&) = delete;

    // Runs `job` later on another thread; the jobs of one lane run one at a
    // time, in the order given (an Asio strand on the I/O threads).
    using FanoutLane = std::function<void(std::function<void()>)>;

    // Before start(): an account's events and presence changes are handed to
    // its sinks by jobs on these lanes, each sink always on the same lane (so
    // it sees them in order), instead of one by one from the hub's thread.
    // On the I/O threads a sink can then run its connection's handler inline
    // (no post, no wake-up per connection) and the lanes fan out in parallel.
    // stop() drops the lanes (they may hold strands of an io_context that
    // goes away after it). Without lanes the hub thread calls every sink.
    void set_fanout_lanes(std::vector<FanoutLane> lanes);

    // Starts the subscriber thread. Never throws for an unreachable Redis: it
    // keeps retrying with backoff (and logs once per outage). Each time the
    // subscription is (re)established, every sink then subscribed gets
    // on_resync() (hints may have been lost while it was down). Once only: a
    // second start(), or one after stop(), does nothing.
    void start();
    // Joins the thread and drops the fan-out lanes; sinks get nothing
    // afterwards (deliver() too becomes a no-op). Idempotent. Not from a sink
    // callback.
    void stop() noexcept;

    // Registers `sink` for `scope.account_id`'s messages (which must not be
    // empty: std::invalid_argument) and for revocations matching the scope.
    // Never touches Redis. A revocation removes the subscription itself.
    [[nodiscard]] Subscription subscribe(LiveScope scope, std::weak_ptr<LiveSink> sink);

    // Delivers one raw channel message as if it came from Redis (the
    // subscriber thread calls this; tests may too). Unknown channels and
    // malformed payloads are counted and dropped.
    void deliver(std::string_view channel, std::string_view payload);

    // Subscriptions held, including sinks already gone that no message of
    // their account has pruned yet.
    [[nodiscard]] std::size_t subscriber_count() const;
    // True while the subscriber connection is up and subscribed.
    [[nodiscard]] bool connected() const noexcept;

  private:
    struct State;
    std::shared_ptr<State> m_state;
};

}  // namespace edgesync::server
