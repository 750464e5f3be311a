// `edgesync events tail`: an account's event log from Postgres, optionally
// followed live. Postgres is the only source of events; the Redis channel
// es:account:{aid} is just a hint to read again, so a lost or late hint
// delays an event but never loses or repeats one. Shapes: docs/cli.md (events).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <thread>

#include "cli/account_ref.hpp"
#include "cli/console.hpp"
#include "cli/groups.hpp"
#include "cli/stop_signals.hpp"
#include "cli/stores.hpp"
#include "shared/db/redis_keys.hpp"
#include "shared/db/redis_subscriber.hpp"
#include "shared/repositories/device_repository.hpp"
#include "shared/repositories/event_repository.hpp"

namespace edgesync::cli {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr std::size_t k_page = 500;
constexpr std::int64_t k_default_last = 20;
// Read the log this often even without a hint: covers a publisher that
// crashed between commit and PUBLISH, and a Redis outage.
constexpr auto k_safety_poll = 2s;
// The longest a stop signal waits to be noticed.
constexpr auto k_wake = 250ms;

struct TailArgs {
    std::string account;
    std::optional<std::int64_t> after;
    std::optional<std::int64_t> last;
    bool follow = false;
};

// Prints the account's events in sequence order and remembers the last one
// printed: every read asks for sequence_number > cursor, and sequence numbers
// are dense and committed in order per account (DESIGN: sequencing), so no
// event is skipped or printed twice however reads and hints interleave.
class EventPrinter {
  public:
    EventPrinter(const Context& context, Stores& stores, std::string account_id,
                 std::int64_t cursor)
        : m_context(context),
          m_stores(stores),
          m_account(std::move(account_id)),
          m_cursor(cursor) {}

    // Prints everything after the cursor, a page at a time.
    void catch_up() {
        for (;;) {
            const auto page = m_stores.events().list(m_account, m_cursor, k_page);
            for (const auto& e : page) print(e);
            if (page.size() < k_page) return;
        }
    }

  private:
    void print(const SyncEvent& e) {
        m_cursor = e.sequence_number;
        auto payload = json::parse(e.payload, nullptr, false);
        if (payload.is_discarded()) payload = e.payload;  // not JSON: show it as text
        if (m_context.json) {
            print_json({{"seq", e.sequence_number},
                        {"type", e.event_type},
                        {"key", e.state_key},
                        {"device_id", e.device_id.empty() ? json(nullptr) : json(e.device_id)},
                        {"created_at", format_rfc3339(e.created_at)},
                        {"payload", payload}});
            return;
        }
        std::string details;
        if (payload.is_object()) {
            for (const auto& [name, value] : payload.items())
                details += fmt::format("  {} {}", name,
                                       value.is_string() ? value.get<std::string>() : value.dump());
        } else {
            details = "  " + payload.dump();
        }
        print_line(fmt::format("{}  {}  {:<12}  {}{}  device {}", e.sequence_number,
                               human_time(e.created_at), e.event_type, printable(e.state_key),
                               printable(details), device_label(e.device_id)));
    }

    // The device's name, looked up once per device (devices appear while following).
    std::string device_label(const std::string& id) {
        if (id.empty()) return "-";
        auto it = m_names.find(id);
        if (it == m_names.end()) {
            const auto device = m_stores.devices().find(m_account, id);
            it = m_names.emplace(id, device ? printable(device->name) : id).first;
        }
        return it->second;
    }

    const Context& m_context;
    Stores& m_stores;
    const std::string m_account;
    std::int64_t m_cursor;  // the last sequence number printed (or the start point)
    std::map<std::string, std::string> m_names;
};

// Waits for hints on the subscription (or the safety poll) and catches up on
// each, until SIGINT/SIGTERM. A broken subscription degrades to polling and
// is re-established every safety interval; Postgres errors end the command.
void follow(RedisSubscriber& subscriber, EventPrinter& printer, const StopSignals& stop) {
    using Clock = std::chrono::steady_clock;
    bool subscribed = true;
    auto next_poll = Clock::now() + k_safety_poll;
    while (!stop.requested()) {
        bool hinted = false;
        if (subscribed) {
            try {
                if (subscriber.next_message(k_wake)) {
                    hinted = true;
                    // One read covers every hint already here (a bounded drain,
                    // so a flood of hints cannot starve the read).
                    for (int i = 0; i < 1000 && subscriber.next_message(0ms); ++i) {
                    }
                }
            } catch (const ConnectionError& e) {
                subscribed = false;
                fmt::print(stderr,
                           "edgesync: warning: lost the Redis subscription ({}); reading Postgres "
                           "every {} s until it is back\n",
                           e.what(), k_safety_poll.count());
            }
        } else {
            std::this_thread::sleep_for(k_wake);
        }
        if (stop.requested()) break;
        if (!hinted && Clock::now() < next_poll) continue;
        if (!subscribed) {
            try {
                subscriber.reconnect();
                subscribed = true;
                fmt::print(stderr, "edgesync: Redis subscription restored\n");
            } catch (const ConnectionError&) {  // still down: keep polling
            }
        }
        printer.catch_up();
        next_poll = Clock::now() + k_safety_poll;
    }
}

ExitCode events_tail(const Context& context, const TailArgs& args) {
    if (args.after && args.last) throw UsageError("--after and --last exclude each other");
    Stores stores(context);
    const auto account = resolve_account(stores.accounts(), args.account);
    std::int64_t start = args.after.value_or(0);
    if (!args.after)
        start = std::max<std::int64_t>(
            0, stores.events().latest_seq(account.id) - args.last.value_or(k_default_last));
    EventPrinter printer(context, stores, account.id, start);
    if (!args.follow) {
        printer.catch_up();
        return ExitCode::ok;
    }
    StopSignals stop;
    // Subscribe first, then read: an event committed in between is either in
    // the read or hinted on the subscription (or both: the cursor dedupes).
    RedisSubscriber subscriber(stores.redis_endpoint(), stores.redis_options());
    const auto channel = redis_keys::account_channel(account.id);
    subscriber.subscribe({channel});
    note(context, fmt::format("following {} (Ctrl-C to stop)", channel));
    printer.catch_up();
    follow(subscriber, printer, stop);
    note(context, "stopped");
    return ExitCode::ok;
}

}  // namespace

GroupSpec events_group() {
    return GroupSpec{
        .name = "events",
        .help = "Read an account's event log",
        .commands = {
            {.name = "tail",
             .help = "Print the account's latest events; --follow keeps printing new ones",
             .options = {account_option(),
                         {.names = "--after",
                          .help = "Every event after sequence number N (default: the last 20)",
                          .takes_value = true,
                          .value_name = "N"},
                         {.names = "-n,--last",
                          .help = "The last N events (default 20)",
                          .takes_value = true,
                          .value_name = "N"},
                         {.names = "-f,--follow",
                          .help = "Keep printing events as they happen, until Ctrl-C or SIGTERM"}},
             .run =
                 [](const Invocation& inv) {
                     constexpr auto max = std::numeric_limits<std::int64_t>::max();
                     return events_tail(
                         inv.context(),
                         TailArgs{*inv.value("account"), inv.integer("after", 0, max),
                                  inv.integer("last", 0, max), inv.flag("follow")});
                 }},
        }};
}

}  // namespace edgesync::cli
