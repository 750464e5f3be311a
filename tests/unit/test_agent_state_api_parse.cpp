// parse_remote_state on malformed state objects: every defect is the documented
// ApiError("bad_response"), never nlohmann's type_error. Inputs found by
// tests/fuzz/fuzz_live_message.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "agent/api_client.hpp"
#include "agent/state_api.hpp"

namespace edgesync::agent {
namespace {

using nlohmann::json;

void expect_bad_response(const char* text) {
    try {
        (void)parse_remote_state(json::parse(text));
        ADD_FAILURE() << "accepted: " << text;
    } catch (const ApiError& e) {
        EXPECT_EQ(e.code(), "bad_response") << text;
    }
}

TEST(AgentStateApiParse, MistypedOptionalMembersAreBadResponses) {
    // fuzz_live_message crash-a543b7295f03aa068fa5226950a84515978a4a36
    expect_bad_response(
        R"({"seq":5,"size":"state.dele","key":"a-1f7e-4c1a-9d52-6f0a3e2b7c11","version":2})");
    expect_bad_response(R"({"seq":5,"key":"k","version":2,"device_id":7})");
    expect_bad_response(R"({"seq":5,"key":"k","version":2,"deleted":"yes"})");
}

TEST(AgentStateApiParse, AbsentOrNullOptionalMembersTakeDefaults) {
    const auto s = parse_remote_state(
        json::parse(R"({"seq":5,"key":"k","version":2,"size":null,"device_id":null})"));
    EXPECT_EQ(s.key, "k");
    EXPECT_EQ(s.size, 0);
    EXPECT_EQ(s.device_id, "");
    EXPECT_FALSE(s.deleted);
}

TEST(AgentStateApiParse, ServerLimitsAreReadAndMistypedOnesAreBadResponses) {
    const auto l = parse_server_limits(
        json::parse(R"({"limits":{"max_blob_bytes":4194304,"max_page_items":null}})"));
    EXPECT_EQ(l.max_blob_bytes, 4194304U);
    EXPECT_EQ(l.max_page_items, 0U);
    EXPECT_EQ(l.max_key_bytes, 0U);
    for (const char* text : {R"({"limits":{"max_blob_bytes":"big"}})",
                             R"({"limits":{"max_batch_items":-1}})", R"({"limits":7})", R"([])",
                             R"({"version":"1"})"}) {
        try {
            (void)parse_server_limits(json::parse(text));
            ADD_FAILURE() << "accepted: " << text;
        } catch (const ApiError& e) {
            EXPECT_EQ(e.code(), "bad_response") << text;
        }
    }
}

}  // namespace
}  // namespace edgesync::agent
