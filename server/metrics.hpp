#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// A small metrics registry rendered in the Prometheus text exposition format
// (version 0.0.4): counters, gauges, histograms with fixed buckets, and gauges
// read at scrape time from a callback (pool sizes, queue depth).
//
// Thread safety: every member of every class here is thread-safe. Updating a
// metric is lock-free (atomics); looking one up or registering takes the
// registry's mutex. References returned by the registry stay valid for the
// registry's lifetime, so hot paths may look a metric up once and keep it.
namespace edgesync::server {

// (name, value) pairs. Order does not matter: the registry sorts by name.
using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
  public:
    void inc(std::uint64_t n = 1) noexcept { m_value.fetch_add(n, std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t value() const noexcept {
        return m_value.load(std::memory_order_relaxed);
    }

  private:
    std::atomic<std::uint64_t> m_value{0};
};

class Gauge {
  public:
    void set(double v) noexcept { m_value.store(v, std::memory_order_relaxed); }
    void add(double v) noexcept { m_value.fetch_add(v, std::memory_order_relaxed); }
    [[nodiscard]] double value() const noexcept { return m_value.load(std::memory_order_relaxed); }

  private:
    std::atomic<double> m_value{0.0};
};

class Histogram {
  public:
    // `upper_bounds`: finite and strictly increasing (std::invalid_argument
    // otherwise); the +Inf bucket is implicit.
    explicit Histogram(std::span<const double> upper_bounds);

    void observe(double value) noexcept;

    struct Snapshot {
        std::vector<double> upper_bounds;
        std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf (== count)
        double sum = 0;
        std::uint64_t count = 0;
    };
    // Self-consistent (count equals the +Inf bucket) even during concurrent
    // observe() calls; `sum` may lag by the observations in flight.
    [[nodiscard]] Snapshot snapshot() const;

  private:
    const std::vector<double> m_bounds;
    std::unique_ptr<std::atomic<std::uint64_t>[]> m_buckets;  // m_bounds.size() + 1
    std::atomic<double> m_sum{0.0};
};

// Seconds, for request latencies: 1 ms .. 10 s.
inline constexpr double k_latency_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                               0.25,  0.5,    1.0,   2.5,  5.0,   10.0};

class MetricsRegistry {
  public:
    MetricsRegistry();
    ~MetricsRegistry();
    MetricsRegistry(const MetricsRegistry&) = delete;
    MetricsRegistry& operator=(const MetricsRegistry&) = delete;

    // Get or create the series `name{labels}`. The first registration of a
    // name fixes its help text and type (and buckets). Throws
    // std::invalid_argument for a malformed metric or label name, and
    // std::logic_error when `name` exists with another type or buckets.
    Counter& counter(std::string_view name, std::string_view help, Labels labels = {});
    Gauge& gauge(std::string_view name, std::string_view help, Labels labels = {});
    Histogram& histogram(std::string_view name, std::string_view help, Labels labels,
                         std::span<const double> upper_bounds);
    // A gauge whose value `read` returns at render time. `read` must be
    // thread-safe, cheap, and must not call back into this registry.
    // Registering the same series again replaces its callback.
    void gauge_callback(std::string_view name, std::string_view help, Labels labels,
                        std::function<double()> read);
    // The same for a counter kept elsewhere (e.g. a pool's timeout count);
    // `read` must never decrease.
    void counter_callback(std::string_view name, std::string_view help, Labels labels,
                          std::function<double()> read);

    // Every family sorted by name, series sorted by labels, '# HELP' and
    // '# TYPE' lines first. Content type: k_prometheus_content_type.
    [[nodiscard]] std::string render() const;

  private:
    struct Family;
    struct Series;
    Series& series(std::string_view name, std::string_view help, int type, Labels labels,
                   std::span<const double> upper_bounds);

    mutable std::mutex m_mutex;
    std::map<std::string, std::unique_ptr<Family>, std::less<>> m_families;  // guarded
};

inline constexpr std::string_view k_prometheus_content_type =
    "text/plain; version=0.0.4; charset=utf-8";

// Escapes a label value for the text format: backslash, double quote, newline.
[[nodiscard]] std::string escape_label_value(std::string_view value);

}  // namespace edgesync::server
