// A state write whose live message cannot be published still succeeds: the
// commit happened, and readers recover from their seq. The server runs as a
// Redis ACL user that may do everything but PUBLISH.
#include <string>

#include "shared/config/config.hpp"
#include "shared/db/redis_client.hpp"
#include "tests/e2e/test_server_states_fixture.hpp"

namespace edgesync::test {
namespace {

using nlohmann::json;

class ServerStatesWithoutPublish : public ServerStates {
  protected:
    void adjust(ServerOptions& o) override {
        const auto ep = parse_redis_url(redis_url());
        RedisClient admin(ep);
        (void)admin.command(
            {"ACL", "SETUSER", m_user, "on", ">" + m_password, "~*", "&*", "+@all", "-publish"});
        o.env["REDIS_URL"] = "redis://" + m_user + ":" + m_password + "@" + ep.host + ":" +
                             std::to_string(ep.port) + "/" + std::to_string(ep.db);
    }
    void TearDown() override {
        m_server.reset();
        RedisClient admin(parse_redis_url(redis_url()));
        (void)admin.command({"ACL", "DELUSER", m_user});
    }

    std::string m_user = unique_name("es-nopub");
    std::string m_password = unique_name("pw");
};

TEST_F(ServerStatesWithoutPublish, WritesSucceedWhenTheLiveMessageCannotBePublished) {
    const auto c = sign_up("nopub");
    const auto created = create(c, "k", to_bytes("v1"));
    ASSERT_EQ(created.status, 201) << created.describe();
    EXPECT_EQ(update(c, "k", to_bytes("v2"), 1).status, 200);
    const json writes = {{"writes",
                          {{{"key", "b"},
                            {"op", "put"},
                            {"if_none_match", true},
                            {"state", base64_encode(to_bytes("b"))},
                            {"nonce", base64_encode(Bytes(24, 1))}}}}};
    EXPECT_EQ(call(c, "POST", "/v1/states:batch", {}, writes.dump()).status, 200);
    EXPECT_EQ(call(c, "DELETE", "/v1/states/b", {{"If-Match", "\"1\""}}).status, 200);

    EXPECT_EQ(body_of(call(c, "GET", "/v1/states/k"))["state"], base64_encode(to_bytes("v2")));
    EXPECT_EQ(last_seq(c), 4);
    EXPECT_TRUE(m_server->wait_for_err("live publish of seq", std::chrono::seconds(5)))
        << m_server->err();
}

}  // namespace
}  // namespace edgesync::test
