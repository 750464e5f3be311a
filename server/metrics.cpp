#include "server/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace edgesync::server {

namespace {

enum Type : int { counter_type, gauge_type, histogram_type };

constexpr std::string_view type_name(int type) {
    switch (type) {
        case counter_type:
            return "counter";
        case gauge_type:
            return "gauge";
        default:
            return "histogram";
    }
}

bool valid_name(std::string_view name, bool allow_colon) {
    if (name.empty()) return false;
    const auto ok_first = [&](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
               (allow_colon && c == ':');
    };
    if (!ok_first(name[0])) return false;
    return std::all_of(name.begin() + 1, name.end(),
                       [&](char c) { return ok_first(c) || (c >= '0' && c <= '9'); });
}

std::string format_value(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", v);
}

std::string escape_help(std::string_view help) {
    std::string out;
    for (char c : help) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out.push_back(c);
    }
    return out;
}

// `{a="1",b="2"}` plus an optional extra label (histogram `le`); "" when empty.
std::string label_text(const Labels& labels, std::string_view extra_name = {},
                       std::string_view extra_value = {}) {
    if (labels.empty() && extra_name.empty()) return {};
    std::string out = "{";
    bool first = true;
    const auto append = [&](std::string_view n, std::string_view v) {
        if (!first) out.push_back(',');
        first = false;
        out.append(n);
        out += "=\"";
        out += escape_label_value(v);
        out.push_back('"');
    };
    for (const auto& [n, v] : labels) append(n, v);
    if (!extra_name.empty()) append(extra_name, extra_value);
    out.push_back('}');
    return out;
}

}  // namespace

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out.push_back(c);
    }
    return out;
}

// ---------------------------------------------------------------------------

Histogram::Histogram(std::span<const double> upper_bounds)
    : m_bounds(upper_bounds.begin(), upper_bounds.end()),
      m_buckets(std::make_unique<std::atomic<std::uint64_t>[]>(upper_bounds.size() + 1)) {
    for (std::size_t i = 0; i < m_bounds.size(); ++i) {
        if (!std::isfinite(m_bounds[i]) || (i > 0 && m_bounds[i] <= m_bounds[i - 1]))
            throw std::invalid_argument("histogram bounds must be finite and strictly increasing");
    }
}

void Histogram::observe(double value) noexcept {
    const auto it =
        std::lower_bound(m_bounds.begin(), m_bounds.end(), value);  // first bound >= value
    const auto index = static_cast<std::size_t>(it - m_bounds.begin());
    m_buckets[index].fetch_add(1, std::memory_order_relaxed);
    m_sum.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
    Snapshot s;
    s.upper_bounds = m_bounds;
    s.cumulative.reserve(m_bounds.size() + 1);
    std::uint64_t running = 0;
    for (std::size_t i = 0; i <= m_bounds.size(); ++i) {
        running += m_buckets[i].load(std::memory_order_relaxed);
        s.cumulative.push_back(running);
    }
    s.count = running;
    s.sum = m_sum.load(std::memory_order_relaxed);
    return s;
}

// ---------------------------------------------------------------------------

struct MetricsRegistry::Series {
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    std::function<double()> read;  // callback gauges
};

struct MetricsRegistry::Family {
    int type = counter_type;
    std::string help;
    std::vector<double> upper_bounds;                  // histograms
    std::map<Labels, std::unique_ptr<Series>> series;  // labels sorted by name
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Series& MetricsRegistry::series(std::string_view name, std::string_view help,
                                                 int type, Labels labels,
                                                 std::span<const double> upper_bounds) {
    if (!valid_name(name, true))
        throw std::invalid_argument("invalid metric name '" + std::string(name) + "'");
    std::sort(labels.begin(), labels.end());
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const auto& n = labels[i].first;
        if (!valid_name(n, false) || n.starts_with("__") || n == "le")
            throw std::invalid_argument("invalid label name '" + n + "' on " + std::string(name));
        if (i > 0 && labels[i - 1].first == n)
            throw std::invalid_argument("repeated label '" + n + "' on " + std::string(name));
    }

    std::lock_guard lock(m_mutex);
    auto it = m_families.find(name);
    if (it == m_families.end()) {
        auto family = std::make_unique<Family>();
        family->type = type;
        family->help = std::string(help);
        family->upper_bounds.assign(upper_bounds.begin(), upper_bounds.end());
        it = m_families.emplace(std::string(name), std::move(family)).first;
    }
    Family& family = *it->second;
    if (family.type != type)
        throw std::logic_error("metric " + std::string(name) + " is a " +
                               std::string(type_name(family.type)));
    if (type == histogram_type &&
        !std::equal(family.upper_bounds.begin(), family.upper_bounds.end(), upper_bounds.begin(),
                    upper_bounds.end()))
        throw std::logic_error("histogram " + std::string(name) + " has other buckets");

    auto& slot = family.series[labels];
    if (!slot) {
        slot = std::make_unique<Series>();
        if (type == counter_type) slot->counter = std::make_unique<Counter>();
        if (type == histogram_type) slot->histogram = std::make_unique<Histogram>(upper_bounds);
        if (type == gauge_type) slot->gauge = std::make_unique<Gauge>();
    }
    return *slot;
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help, Labels labels) {
    return *series(name, help, counter_type, std::move(labels), {}).counter;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help, Labels labels) {
    return *series(name, help, gauge_type, std::move(labels), {}).gauge;
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help, Labels labels,
                                      std::span<const double> upper_bounds) {
    return *series(name, help, histogram_type, std::move(labels), upper_bounds).histogram;
}

void MetricsRegistry::gauge_callback(std::string_view name, std::string_view help, Labels labels,
                                     std::function<double()> read) {
    if (!read) throw std::invalid_argument("metric callback must not be empty");
    Series& s = series(name, help, gauge_type, std::move(labels), {});
    std::lock_guard lock(m_mutex);
    s.read = std::move(read);
}

void MetricsRegistry::counter_callback(std::string_view name, std::string_view help, Labels labels,
                                       std::function<double()> read) {
    if (!read) throw std::invalid_argument("metric callback must not be empty");
    Series& s = series(name, help, counter_type, std::move(labels), {});
    std::lock_guard lock(m_mutex);
    s.read = std::move(read);
}

std::string MetricsRegistry::render() const {
    std::string out;
    std::lock_guard lock(m_mutex);
    for (const auto& [name, family] : m_families) {
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(family->help), name,
                           type_name(family->type));
        for (const auto& [labels, s] : family->series) {
            if (s->read) {
                double v = 0;
                try {
                    v = s->read();
                } catch (...) {
                    v = std::nan("");  // a broken source must not break the scrape
                }
                out += fmt::format("{}{} {}\n", name, label_text(labels), format_value(v));
            } else if (s->counter) {
                out += fmt::format("{}{} {}\n", name, label_text(labels), s->counter->value());
            } else if (s->histogram) {
                const auto snap = s->histogram->snapshot();
                for (std::size_t i = 0; i < snap.cumulative.size(); ++i) {
                    const std::string le = i < snap.upper_bounds.size()
                                               ? format_value(snap.upper_bounds[i])
                                               : std::string("+Inf");
                    out += fmt::format("{}_bucket{} {}\n", name, label_text(labels, "le", le),
                                       snap.cumulative[i]);
                }
                out +=
                    fmt::format("{}_sum{} {}\n", name, label_text(labels), format_value(snap.sum));
                out += fmt::format("{}_count{} {}\n", name, label_text(labels), snap.count);
            } else {
                out += fmt::format("{}{} {}\n", name, label_text(labels),
                                   format_value(s->gauge->value()));
            }
        }
    }
    return out;
}

}  // namespace edgesync::server
