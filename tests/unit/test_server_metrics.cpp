// MetricsRegistry: Prometheus text rendering, types, labels, thread safety.
#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>
#include <vector>

#include "server/metrics.hpp"

namespace edgesync::server {
namespace {

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

TEST(Metrics, CounterRendersHelpTypeAndValue) {
    MetricsRegistry r;
    r.counter("jobs_total", "Jobs done").inc();
    r.counter("jobs_total", "ignored: first help wins").inc(2);
    EXPECT_EQ(r.render(), "# HELP jobs_total Jobs done\n# TYPE jobs_total counter\njobs_total 3\n");
}

TEST(Metrics, LabelsAreSortedByNameAndSeriesByLabels) {
    MetricsRegistry r;
    r.counter("req_total", "Requests", {{"status", "500"}, {"method", "GET"}}).inc();
    r.counter("req_total", "Requests", {{"method", "GET"}, {"status", "200"}}).inc(4);
    const auto text = r.render();
    const auto ok = text.find("req_total{method=\"GET\",status=\"200\"} 4\n");
    const auto err = text.find("req_total{method=\"GET\",status=\"500\"} 1\n");
    ASSERT_NE(ok, std::string::npos) << text;
    ASSERT_NE(err, std::string::npos) << text;
    EXPECT_LT(ok, err);
}

TEST(Metrics, SameSeriesIsTheSameObject) {
    MetricsRegistry r;
    auto& a = r.counter("x_total", "x", {{"a", "1"}, {"b", "2"}});
    auto& b = r.counter("x_total", "x", {{"b", "2"}, {"a", "1"}});
    EXPECT_EQ(&a, &b);
}

TEST(Metrics, FamiliesRenderInNameOrder) {
    MetricsRegistry r;
    r.gauge("zeta", "z").set(1);
    r.gauge("alpha", "a").set(2);
    const auto text = r.render();
    EXPECT_LT(text.find("# HELP alpha"), text.find("# HELP zeta"));
}

TEST(Metrics, GaugeRendersDecimals) {
    MetricsRegistry r;
    auto& g = r.gauge("temp", "t");
    g.set(1.5);
    g.add(-0.25);
    EXPECT_TRUE(contains(r.render(), "# TYPE temp gauge\ntemp 1.25\n")) << r.render();
}

TEST(Metrics, HistogramRendersCumulativeBucketsSumAndCount) {
    MetricsRegistry r;
    static constexpr double bounds[] = {0.125, 1.0};  // binary fractions: exact sums
    auto& h = r.histogram("lat_seconds", "Latency", {{"route", "/a"}}, bounds);
    h.observe(0.0625);
    h.observe(0.125);  // on the bound: le is inclusive
    h.observe(0.5);
    h.observe(7);
    EXPECT_EQ(r.render(),
              "# HELP lat_seconds Latency\n"
              "# TYPE lat_seconds histogram\n"
              "lat_seconds_bucket{route=\"/a\",le=\"0.125\"} 2\n"
              "lat_seconds_bucket{route=\"/a\",le=\"1\"} 3\n"
              "lat_seconds_bucket{route=\"/a\",le=\"+Inf\"} 4\n"
              "lat_seconds_sum{route=\"/a\"} 7.6875\n"
              "lat_seconds_count{route=\"/a\"} 4\n");
}

TEST(Metrics, HistogramBoundsMustIncrease) {
    static constexpr double bad[] = {1.0, 1.0};
    EXPECT_THROW(Histogram{bad}, std::invalid_argument);
}

TEST(Metrics, LabelValuesAndHelpAreEscaped) {
    MetricsRegistry r;
    r.counter("e_total", "line1\nline2 back\\slash", {{"v", "a\"b\\c\nd"}}).inc();
    const auto text = r.render();
    EXPECT_TRUE(contains(text, "# HELP e_total line1\\nline2 back\\\\slash\n")) << text;
    EXPECT_TRUE(contains(text, "e_total{v=\"a\\\"b\\\\c\\nd\"} 1\n")) << text;
}

TEST(Metrics, CallbacksAreReadAtRenderTime) {
    MetricsRegistry r;
    int value = 1;
    r.gauge_callback("pool_in_use", "In use", {{"pool", "pg"}}, [&] { return double(value); });
    r.counter_callback("pool_timeouts_total", "Timeouts", {}, [] { return 5.0; });
    value = 3;
    const auto text = r.render();
    EXPECT_TRUE(contains(text, "pool_in_use{pool=\"pg\"} 3\n")) << text;
    EXPECT_TRUE(contains(text, "# TYPE pool_timeouts_total counter\npool_timeouts_total 5\n"))
        << text;
}

TEST(Metrics, ThrowingCallbackRendersNaNInsteadOfFailingTheScrape) {
    MetricsRegistry r;
    r.gauge_callback("broken", "b", {}, []() -> double { throw std::runtime_error("x"); });
    EXPECT_TRUE(contains(r.render(), "broken NaN\n"));
}

TEST(Metrics, NameReuseWithAnotherTypeIsALogicError) {
    MetricsRegistry r;
    (void)r.counter("thing", "t");
    EXPECT_THROW((void)r.gauge("thing", "t"), std::logic_error);
    static constexpr double a[] = {1.0};
    static constexpr double b[] = {2.0};
    (void)r.histogram("h", "h", {}, a);
    EXPECT_THROW((void)r.histogram("h", "h", {}, b), std::logic_error);
}

TEST(Metrics, MalformedNamesAreRejected) {
    MetricsRegistry r;
    EXPECT_THROW((void)r.counter("1abc", "x"), std::invalid_argument);
    EXPECT_THROW((void)r.counter("a-b", "x"), std::invalid_argument);
    EXPECT_THROW((void)r.counter("ok", "x", {{"bad-label", "v"}}), std::invalid_argument);
    EXPECT_THROW((void)r.counter("ok", "x", {{"__reserved", "v"}}), std::invalid_argument);
    EXPECT_THROW((void)r.counter("ok", "x", {{"le", "v"}}), std::invalid_argument);
    EXPECT_THROW((void)r.counter("ok", "x", {{"a", "1"}, {"a", "2"}}), std::invalid_argument);
}

TEST(Metrics, ConcurrentUpdatesAreAllCounted) {
    MetricsRegistry r;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 10000; ++i) {
                r.counter("c_total", "c", {{"k", "v"}}).inc();
                r.histogram("h", "h", {}, k_latency_buckets).observe(0.001);
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(r.counter("c_total", "c", {{"k", "v"}}).value(), 40000u);
    EXPECT_EQ(r.histogram("h", "h", {}, k_latency_buckets).snapshot().count, 40000u);
}

}  // namespace
}  // namespace edgesync::server
