#include <gtest/gtest.h>

#include "shared/migrate/plan.hpp"

namespace edgesync::migrate {
namespace {

std::vector<Migration> files(std::initializer_list<std::int64_t> versions, bool with_down = true) {
    std::vector<Migration> out;
    for (const auto v : versions) {
        Migration m;
        m.version = v;
        m.name = std::to_string(v) + "_m";
        m.up = m.name + ".up.sql";
        if (with_down) m.down = m.name + ".down.sql";
        out.push_back(m);
    }
    return out;
}

std::vector<std::int64_t> versions(const std::vector<Step>& steps) {
    std::vector<std::int64_t> out;
    for (const auto& s : steps) out.push_back(s.migration.version);
    return out;
}

template <class F>
ExitCode code_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.code();
    }
    return ExitCode::ok;
}

const SchemaVersion k_none{};

TEST(PlanUp, AppliesEveryPendingFileInOrderOrTheNextN) {
    const auto all = files({1, 2, 5});
    EXPECT_EQ(versions(plan_up(all, k_none, std::nullopt)), (std::vector<std::int64_t>{1, 2, 5}));
    EXPECT_EQ(versions(plan_up(all, SchemaVersion{1, false}, std::nullopt)),
              (std::vector<std::int64_t>{2, 5}));
    EXPECT_EQ(versions(plan_up(all, k_none, 2)), (std::vector<std::int64_t>{1, 2}));
    EXPECT_TRUE(plan_up(all, SchemaVersion{5, false}, std::nullopt).empty());
    const auto steps = plan_up(all, k_none, 1);
    EXPECT_EQ(steps[0].target, 1);
}

TEST(PlanDown, RevertsNewestFirstWithTheVersionBeforeAsTarget) {
    const auto all = files({1, 2, 5});
    const auto steps = plan_down(all, SchemaVersion{5, false}, std::nullopt);
    EXPECT_EQ(versions(steps), (std::vector<std::int64_t>{5, 2, 1}));
    EXPECT_EQ(steps[0].target, 2);
    EXPECT_EQ(steps[2].target, std::nullopt);
    EXPECT_EQ(versions(plan_down(all, SchemaVersion{5, false}, 1)), (std::vector<std::int64_t>{5}));
    EXPECT_TRUE(plan_down(all, k_none, std::nullopt).empty());
}

TEST(PlanDown, RefusesUpFrontWhenAFileToRevertHasNoDown) {
    auto all = files({1, 2});
    all[0].down.reset();
    EXPECT_EQ(versions(plan_down(all, SchemaVersion{2, false}, 1)), (std::vector<std::int64_t>{2}));
    EXPECT_EQ(code_of([&] {
                  (void)plan_down(all, SchemaVersion{2, false}, std::nullopt);
              }),
              ExitCode::failure);
}

TEST(PlanGoto, GoesUpOrDownToExactlyTheTarget) {
    const auto all = files({1, 2, 3});
    EXPECT_EQ(versions(plan_goto(all, k_none, 2)), (std::vector<std::int64_t>{1, 2}));
    const auto down = plan_goto(all, SchemaVersion{3, false}, 1);
    EXPECT_EQ(versions(down), (std::vector<std::int64_t>{3, 2}));
    EXPECT_EQ(down.back().direction, Direction::down);
    EXPECT_TRUE(plan_goto(all, SchemaVersion{2, false}, 2).empty());
    EXPECT_EQ(code_of([&] { (void)plan_goto(all, k_none, 7); }), ExitCode::not_found);
}

TEST(Plan, EveryPlannerRefusesADirtyDatabase) {
    const auto all = files({1, 2});
    const SchemaVersion dirty{2, true};
    EXPECT_THROW((void)plan_up(all, dirty, std::nullopt), DirtyDatabase);
    EXPECT_THROW((void)plan_down(all, dirty, 1), DirtyDatabase);
    EXPECT_THROW((void)plan_goto(all, dirty, 1), DirtyDatabase);
    EXPECT_EQ(code_of([&] { (void)plan_up(all, dirty, std::nullopt); }), ExitCode::conflict);
}

TEST(Plan, AVersionWithoutAFileIsAConflict) {
    const auto all = files({1, 2});
    EXPECT_EQ(code_of([&] {
                  (void)plan_up(all, SchemaVersion{9, false}, std::nullopt);
              }),
              ExitCode::conflict);
}

TEST(SchemaVersion, DescribesItself) {
    EXPECT_EQ(describe(k_none), "none");
    EXPECT_EQ(describe(SchemaVersion{3, false}), "3");
    EXPECT_EQ(describe(SchemaVersion{3, true}), "3 (dirty)");
}

}  // namespace
}  // namespace edgesync::migrate
