#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/integration/pg_repository_fixture.hpp"

namespace edgesync::test {
namespace {

using Reason = WriteRejection::Reason;

class PgStateConcurrency : public PgRepositoryFixture {
protected:
    PgStateConcurrency() : PgRepositoryFixture(12) {}
    void SetUp() override {
        m_account = make_account();
        m_device = make_device(m_account.id);
    }
    Account m_account;
    Device m_device;
};

// If-Match style read-modify-write from 8 threads on one key: every success
// bumps the version by exactly one, every failure is a conflict that shows a
// newer state, and nothing is lost.
TEST_F(PgStateConcurrency, ConditionalWritesOnOneKeyNeverLoseAnUpdate) {
    constexpr int k_threads = 8;
    constexpr int k_attempts = 200;
    ASSERT_TRUE(m_states.write(put(m_account.id, m_device.id, "hot", Precondition::create(), "0"))
                    .has_value());

    std::atomic<int> successes{0};
    std::atomic<int> bad{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < k_threads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < k_attempts; ++i) {
                const auto cur = m_states.get(m_account.id, "hot");
                if (!cur) {
                    ++bad;
                    continue;
                }
                const auto r = m_states.write(put(m_account.id, m_device.id, "hot",
                                                  Precondition::if_version(cur->version),
                                                  std::to_string(t) + ":" + std::to_string(i)));
                if (r) {
                    if (r->version != cur->version + 1) ++bad;
                    ++successes;
                } else if (r.error().reason != Reason::conflict || !r.error().current ||
                           r.error().current->version <= cur->version) {
                    ++bad;
                }
            }
        });
    }
    for (auto& th : threads) th.join();

    EXPECT_EQ(bad.load(), 0);
    EXPECT_GT(successes.load(), 0);
    const auto final_state = m_states.get(m_account.id, "hot");
    ASSERT_TRUE(final_state.has_value());
    EXPECT_EQ(final_state->version, successes.load() + 1);
    EXPECT_EQ(m_events.latest_seq(m_account.id), successes.load() + 1);
    const auto events = m_events.list(m_account.id, 0, 100'000);
    ASSERT_EQ(events.size(), static_cast<std::size_t>(successes.load() + 1));
    for (std::size_t i = 0; i < events.size(); ++i)
        EXPECT_EQ(events[i].sequence_number, static_cast<std::int64_t>(i + 1));
}

// Writers on many keys (plus a batch writer whose every other batch is rolled
// back) while readers follow the event log and the changes feed with after=.
// Sequence numbers are 1..N without gap or duplicate, every event reader sees
// exactly 1..N in order, and a changes reader ends with the final state.
TEST_F(PgStateConcurrency, ReadersFollowingAfterSeeEveryEventExactlyOnce) {
    constexpr int k_writers = 4;
    constexpr int k_keys_per_writer = 15;
    constexpr int k_updates = 4;
    constexpr int k_batches = 20;

    std::atomic<bool> writers_done{false};
    std::atomic<int> write_failures{0};
    std::atomic<int> applied{0};

    std::vector<std::thread> writers;
    for (int w = 0; w < k_writers; ++w) {
        writers.emplace_back([&, w] {
            for (int k = 0; k < k_keys_per_writer; ++k) {
                const std::string key = "w" + std::to_string(w) + "-k" + std::to_string(k);
                if (!m_states.write(
                        put(m_account.id, m_device.id, key, Precondition::create(), "v1")))
                    ++write_failures;
                ++applied;
                for (int v = 1; v <= k_updates; ++v) {
                    const auto r = v == k_updates
                                       ? m_states.write(del(m_account.id, m_device.id, key, v))
                                       : m_states.write(put(m_account.id, m_device.id, key,
                                                            Precondition::if_version(v),
                                                            "v" + std::to_string(v + 1)));
                    if (!r) ++write_failures;
                    ++applied;
                }
            }
        });
    }
    writers.emplace_back([&] {
        for (int b = 0; b < k_batches; ++b) {
            std::vector<StateWrite> items;
            for (int i = 0; i < 3; ++i)
                items.push_back(put(m_account.id, m_device.id,
                                    "batch" + std::to_string(b) + "-" + std::to_string(i),
                                    Precondition::create(), "b"));
            if (b % 2 == 1)  // a doomed item: this batch must leave no trace
                items.push_back(put(m_account.id, m_device.id, "nope-" + std::to_string(b),
                                    Precondition::if_version(9), "x"));
            const auto r = m_states.write_batch(items);
            if (static_cast<bool>(r) != (b % 2 == 0)) ++write_failures;
            if (r) applied += static_cast<int>(r->size());
        }
    });

    struct EventReader {
        std::vector<std::int64_t> seen;
        bool gap_or_duplicate = false;
    };
    struct ChangesReader {
        std::map<std::string, std::int64_t> versions;  // key -> latest version seen
        std::int64_t next = 0;
        bool out_of_order = false;
    };
    std::vector<EventReader> event_readers(3);
    std::vector<ChangesReader> changes_readers(2);
    std::vector<std::thread> readers;
    for (auto& er : event_readers) {
        readers.emplace_back([&] {
            std::int64_t last = 0;
            for (;;) {
                const bool finished = writers_done.load();  // before the read: see below
                const auto page = m_events.list(m_account.id, last, 7);
                for (const auto& e : page) {
                    if (e.sequence_number != last + 1) er.gap_or_duplicate = true;
                    last = e.sequence_number;
                    er.seen.push_back(last);
                }
                // Writers had all finished before this empty read: nothing more comes.
                if (page.empty() && finished) break;
            }
        });
    }
    for (auto& cr : changes_readers) {
        readers.emplace_back([&] {
            for (;;) {
                const bool finished = writers_done.load();
                const auto page = m_states.changes(m_account.id, cr.next, 5, 64);
                for (const auto& s : page.states) {
                    if (s.seq <= cr.next) cr.out_of_order = true;
                    cr.next = s.seq;
                    cr.versions[s.key] = s.version;
                }
                if (page.states.empty() && finished) break;
            }
        });
    }

    for (auto& th : writers) th.join();
    writers_done = true;
    for (auto& th : readers) th.join();

    EXPECT_EQ(write_failures.load(), 0);
    const std::int64_t n = applied.load();
    EXPECT_EQ(n, k_writers * k_keys_per_writer * (k_updates + 1) + (k_batches / 2) * 3);
    EXPECT_EQ(m_events.latest_seq(m_account.id), n);

    std::vector<std::int64_t> expected(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) expected[static_cast<std::size_t>(i)] = i + 1;
    for (const auto& er : event_readers) {
        EXPECT_FALSE(er.gap_or_duplicate);
        EXPECT_EQ(er.seen, expected);
    }

    std::map<std::string, std::int64_t> final_versions;
    for (const auto& s : m_states.changes(m_account.id, 0, 100'000).states)
        final_versions[s.key] = s.version;
    EXPECT_EQ(final_versions.size(),
              static_cast<std::size_t>(k_writers * k_keys_per_writer + (k_batches / 2) * 3));
    for (const auto& cr : changes_readers) {
        EXPECT_FALSE(cr.out_of_order);
        EXPECT_EQ(cr.next, n);
        EXPECT_EQ(cr.versions, final_versions);
    }
}

}  // namespace
}  // namespace edgesync::test
