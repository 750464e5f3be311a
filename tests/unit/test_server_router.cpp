// Router: method + path-template matching, captures, 404/405, precedence.
#include <gtest/gtest.h>

#include <stdexcept>

#include "server/router.hpp"

namespace edgesync::server {
namespace {

using Outcome = RouteMatch::Outcome;

Handler answer(int status) {
    return [status](RequestContext&) {
        Response r;
        r.status = status;
        return r;
    };
}

int call(const RouteMatch& m) {
    RequestContext ctx;
    return m.route->handler(ctx).status;
}

TEST(Router, LiteralPathMatchesItsMethod) {
    Router r;
    r.add("GET", "/health", answer(200));
    const auto m = r.match("GET", "/health");
    ASSERT_EQ(m.outcome, Outcome::found);
    EXPECT_EQ(m.route->pattern, "/health");
    EXPECT_EQ(call(m), 200);
}

TEST(Router, CaptureTakesOneWholeSegmentPercentDecoded) {
    Router r;
    r.add("GET", "/v1/states/{key}", answer(200));
    const auto m = r.match("GET", "/v1/states/a%2Fb%20c");
    ASSERT_EQ(m.outcome, Outcome::found);
    ASSERT_EQ(m.params.size(), 1u);
    EXPECT_EQ(m.params[0].first, "key");
    EXPECT_EQ(m.params[0].second, "a/b c");
    EXPECT_EQ(r.match("GET", "/v1/states").outcome, Outcome::not_found);
    EXPECT_EQ(r.match("GET", "/v1/states/a/b").outcome, Outcome::not_found);
}

TEST(Router, SeveralCapturesKeepTheirNames) {
    Router r;
    r.add("PUT", "/v1/accounts/{aid}/devices/{did}", answer(204));
    const auto m = r.match("PUT", "/v1/accounts/A/devices/D");
    ASSERT_EQ(m.outcome, Outcome::found);
    RequestContext ctx;
    ctx.route = m.route;
    ctx.params = m.params;
    EXPECT_EQ(ctx.param("aid"), "A");
    EXPECT_EQ(ctx.param("did"), "D");
    EXPECT_THROW((void)ctx.param("nope"), std::logic_error);
}

TEST(Router, UnknownPathIsNotFound) {
    Router r;
    r.add("GET", "/health", answer(200));
    EXPECT_EQ(r.match("GET", "/healthz").outcome, Outcome::not_found);
    EXPECT_EQ(r.match("GET", "/health/").outcome, Outcome::not_found);
    EXPECT_EQ(r.match("GET", "//health").outcome, Outcome::not_found);
    EXPECT_EQ(r.match("GET", "").outcome, Outcome::not_found);
    EXPECT_EQ(r.match("GET", "health").outcome, Outcome::not_found);
}

TEST(Router, KnownPathWithOtherMethodIs405ListingAllowedMethods) {
    Router r;
    r.add("PUT", "/v1/states/{key}", answer(200));
    r.add("GET", "/v1/states/{key}", answer(200));
    r.add("DELETE", "/v1/states/{key}", answer(200));
    const auto m = r.match("POST", "/v1/states/k");
    EXPECT_EQ(m.outcome, Outcome::method_not_allowed);
    EXPECT_EQ(m.allowed, (std::vector<std::string>{"DELETE", "GET", "PUT"}));
    EXPECT_EQ(m.route, nullptr);
}

TEST(Router, MethodsAreCaseSensitive) {
    Router r;
    r.add("GET", "/health", answer(200));
    EXPECT_EQ(r.match("get", "/health").outcome, Outcome::method_not_allowed);
}

TEST(Router, LiteralSegmentBeatsCaptureWhateverTheOrder) {
    Router r;
    r.add("GET", "/v1/sessions/{sid}", answer(1));
    r.add("GET", "/v1/sessions/current", answer(2));
    EXPECT_EQ(call(r.match("GET", "/v1/sessions/current")), 2);
    EXPECT_EQ(call(r.match("GET", "/v1/sessions/other")), 1);
    EXPECT_TRUE(r.match("GET", "/v1/sessions/current").params.empty());
}

TEST(Router, LessSpecificRouteServesAMethodTheSpecificOneLacks) {
    Router r;
    r.add("POST", "/a/b", answer(1));
    r.add("GET", "/a/{x}", answer(2));
    EXPECT_EQ(call(r.match("GET", "/a/b")), 2);
    EXPECT_EQ(call(r.match("POST", "/a/b")), 1);
    const auto m = r.match("DELETE", "/a/b");
    EXPECT_EQ(m.outcome, Outcome::method_not_allowed);
    EXPECT_EQ(m.allowed, (std::vector<std::string>{"GET", "POST"}));
}

TEST(Router, ColonInALiteralSegmentIsPartOfIt) {
    Router r;
    r.add("POST", "/v1/states:batch", answer(1));
    r.add("GET", "/v1/states/{key}", answer(2));
    EXPECT_EQ(call(r.match("POST", "/v1/states:batch")), 1);
    EXPECT_EQ(r.match("POST", "/v1/states:other").outcome, Outcome::not_found);
}

TEST(Router, MalformedPercentEscapeIsBadPath) {
    Router r;
    r.add("GET", "/v1/states/{key}", answer(200));
    EXPECT_EQ(r.match("GET", "/v1/states/%zz").outcome, Outcome::bad_path);
    EXPECT_EQ(r.match("GET", "/v1/states/%4").outcome, Outcome::bad_path);
    EXPECT_EQ(r.match("GET", "/v1/states/a%00b").outcome, Outcome::bad_path);
}

TEST(Router, RouteOptionsTravelWithTheMatch) {
    Router r;
    r.add("PUT", "/v1/states/{key}", answer(200), {.blocking = true, .max_body_bytes = 123});
    const auto m = r.match("PUT", "/v1/states/k");
    ASSERT_EQ(m.outcome, Outcome::found);
    EXPECT_TRUE(m.route->options.blocking);
    EXPECT_EQ(m.route->options.max_body_bytes, 123u);
}

TEST(Router, MalformedTemplatesAreRejected) {
    Router r;
    for (const char* bad :
         {"", "health", "/a//b", "/a/", "/{}", "/{Bad}", "/{1x}", "/a{x}", "/{x}/{x}", "/{x"}) {
        EXPECT_THROW(r.add("GET", bad, answer(200)), std::invalid_argument) << bad;
    }
    EXPECT_THROW(r.add("GET", "/ok", Handler{}), std::invalid_argument);
    EXPECT_THROW(r.add("", "/ok", answer(200)), std::invalid_argument);
}

TEST(Router, SameMethodAndShapeTwiceIsRejected) {
    Router r;
    r.add("GET", "/v1/states/{key}", answer(200));
    EXPECT_THROW(r.add("GET", "/v1/states/{other}", answer(200)), std::invalid_argument);
    EXPECT_NO_THROW(r.add("PUT", "/v1/states/{key}", answer(200)));
}

TEST(Router, RootTemplateMatchesOnlySlash) {
    Router r;
    r.add("GET", "/", answer(200));
    EXPECT_EQ(r.match("GET", "/").outcome, Outcome::found);
    EXPECT_EQ(r.match("GET", "/x").outcome, Outcome::not_found);
}

}  // namespace
}  // namespace edgesync::server
