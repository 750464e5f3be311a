#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "shared/config/config.hpp"
#include "shared/util/error.hpp"
#include "shared/util/uuid.hpp"

namespace edgesync {
namespace {

using namespace std::chrono_literals;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// Sets (or unsets) one environment variable for a test's lifetime and puts
// back what was there before.
class ScopedEnv {
public:
    ScopedEnv(std::string name, std::optional<std::string> value) : m_name(std::move(name)) {
        if (const char* old = std::getenv(m_name.c_str())) m_old = old;
        if (value) ::setenv(m_name.c_str(), value->c_str(), 1);
        else ::unsetenv(m_name.c_str());
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;
    ~ScopedEnv() {
        if (m_old) ::setenv(m_name.c_str(), m_old->c_str(), 1);
        else ::unsetenv(m_name.c_str());
    }

private:
    std::string m_name;
    std::optional<std::string> m_old;
};

// A .env file in a private temporary folder, removed afterwards.
class TempDotenv {
public:
    explicit TempDotenv(const std::string& text)
        : m_dir(std::filesystem::temp_directory_path() / ("edgesync-config-" + new_uuid())) {
        std::filesystem::create_directories(m_dir);
        std::ofstream(path(), std::ios::binary) << text;
    }
    TempDotenv(const TempDotenv&) = delete;
    TempDotenv& operator=(const TempDotenv&) = delete;
    ~TempDotenv() {
        std::error_code ec;
        std::filesystem::remove_all(m_dir, ec);
    }
    [[nodiscard]] std::filesystem::path path() const { return m_dir / ".env"; }

private:
    std::filesystem::path m_dir;
};

// The message of the ConfigError that `f` throws ("" if it throws none).
template <typename F>
std::string config_error(F&& f) {
    try {
        f();
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

Config with(std::map<std::string, std::string> flags) {
    Config::LoadOptions o;
    o.flags = std::move(flags);
    o.dotenv = std::nullopt;
    o.use_environment = false;
    return Config::load(o);
}

// --- Precedence ---------------------------------------------------------------

constexpr const char* k_var = "EDGESYNC_TEST_CONFIG_PRECEDENCE";

class ConfigPrecedence : public ::testing::Test {
protected:
    TempDotenv m_dotenv{std::string(k_var) + "=from-dotenv\n"};
    Config::LoadOptions options(bool with_flag) const {
        Config::LoadOptions o;
        if (with_flag) o.flags[k_var] = "from-flag";
        o.dotenv = m_dotenv.path();
        o.defaults[k_var] = "from-default";
        return o;
    }
};

TEST_F(ConfigPrecedence, FlagBeatsEnvironmentDotenvAndDefault) {
    ScopedEnv env(k_var, "from-env");
    const auto c = Config::load(options(true));
    EXPECT_EQ(c.get(k_var), "from-flag");
    EXPECT_EQ(c.origin(k_var), ConfigOrigin::flag);
}

TEST_F(ConfigPrecedence, EnvironmentBeatsDotenvAndDefault) {
    ScopedEnv env(k_var, "from-env");
    const auto c = Config::load(options(false));
    EXPECT_EQ(c.get(k_var), "from-env");
    EXPECT_EQ(c.origin(k_var), ConfigOrigin::environment);
}

TEST_F(ConfigPrecedence, DotenvBeatsDefault) {
    ScopedEnv env(k_var, std::nullopt);
    const auto c = Config::load(options(false));
    EXPECT_EQ(c.get(k_var), "from-dotenv");
    EXPECT_EQ(c.origin(k_var), ConfigOrigin::dotenv);
}

TEST_F(ConfigPrecedence, DefaultAppliesWhenNothingElseIsSet) {
    ScopedEnv env(k_var, std::nullopt);
    auto o = options(false);
    o.dotenv = m_dotenv.path().parent_path() / "missing.env";  // a missing file is no error
    const auto c = Config::load(o);
    EXPECT_EQ(c.get(k_var), "from-default");
    EXPECT_EQ(c.origin(k_var), ConfigOrigin::default_value);
}

TEST_F(ConfigPrecedence, EmptyEnvironmentValueDoesNotHideDotenv) {
    ScopedEnv env(k_var, "");
    const auto c = Config::load(options(false));
    EXPECT_EQ(c.get(k_var), "from-dotenv");
    EXPECT_EQ(c.origin(k_var), ConfigOrigin::dotenv);
}

TEST_F(ConfigPrecedence, EnvironmentIsIgnoredWhenDisabled) {
    ScopedEnv env(k_var, "from-env");
    auto o = options(false);
    o.use_environment = false;
    EXPECT_EQ(Config::load(o).get(k_var), "from-dotenv");
}

TEST(ConfigLoad, MalformedDotenvFileIsAnErrorNamingFileAndLine) {
    TempDotenv dotenv("# settings\nGOOD=1\nthis line is wrong\n");
    Config::LoadOptions o;
    o.dotenv = dotenv.path();
    o.use_environment = false;
    EXPECT_EQ(config_error([&] { (void)Config::load(o); }),
              dotenv.path().string() + ":3: expected NAME=VALUE");
}

TEST(ConfigLoad, UnsetValueIsAbsentAndRequireNamesIt) {
    const auto c = with({});
    EXPECT_EQ(c.get("EDGESYNC_TEST_NOT_SET"), std::nullopt);
    EXPECT_EQ(c.origin("EDGESYNC_TEST_NOT_SET"), std::nullopt);
    EXPECT_THAT(config_error([&] { (void)c.require("EDGESYNC_TEST_NOT_SET"); }),
                HasSubstr("EDGESYNC_TEST_NOT_SET is not set"));
}

// --- parse_dotenv -------------------------------------------------------------

TEST(ParseDotenv, SkipsCommentsAndBlankLinesAndStripsExport) {
    const auto v = parse_dotenv("# comment\n\n   # indented comment\nexport A=1\nB = two \n", "t.env");
    EXPECT_EQ(v, (std::map<std::string, std::string>{{"A", "1"}, {"B", "two"}}));
}

TEST(ParseDotenv, UnquotedValuesEndAtACommentAfterWhitespace) {
    const auto v = parse_dotenv("A=value # note\nB=pa#ss\nC= # only a comment\nD=\n", "t.env");
    EXPECT_EQ(v.at("A"), "value");
    EXPECT_EQ(v.at("B"), "pa#ss");
    EXPECT_EQ(v.at("C"), "");
    EXPECT_EQ(v.at("D"), "");
}

TEST(ParseDotenv, KeepsEqualsSignsInValues) {
    const auto v = parse_dotenv("DATABASE_URL=postgresql://u@h/db?sslmode=require\n", "t.env");
    EXPECT_EQ(v.at("DATABASE_URL"), "postgresql://u@h/db?sslmode=require");
}

TEST(ParseDotenv, SingleQuotesAreLiteral) {
    const auto v = parse_dotenv(R"(A='a # not a comment \n'  # comment)", "t.env");
    EXPECT_EQ(v.at("A"), R"(a # not a comment \n)");
}

TEST(ParseDotenv, DoubleQuotesUnderstandEscapes) {
    const auto v = parse_dotenv(R"(A="line1\nline2\ttab \"quoted\" back\\slash \x")", "t.env");
    EXPECT_EQ(v.at("A"), "line1\nline2\ttab \"quoted\" back\\slash \\x");
}

TEST(ParseDotenv, HandlesCrlfLineEndings) {
    const auto v = parse_dotenv("A=1\r\nB=\"2\"\r\n", "t.env");
    EXPECT_EQ(v.at("A"), "1");
    EXPECT_EQ(v.at("B"), "2");
}

TEST(ParseDotenv, LaterDefinitionWins) {
    EXPECT_EQ(parse_dotenv("A=1\nA=2\n", "t.env").at("A"), "2");
}

TEST(ParseDotenv, MalformedLinesNameSourceAndLine) {
    EXPECT_EQ(config_error([] { (void)parse_dotenv("A=1\nNOEQUALS\n", "app.env"); }),
              "app.env:2: expected NAME=VALUE");
    EXPECT_EQ(config_error([] { (void)parse_dotenv("1ABC=x", "app.env"); }),
              "app.env:1: invalid variable name '1ABC'");
    EXPECT_EQ(config_error([] { (void)parse_dotenv("\n\nMY-VAR=x", "app.env"); }),
              "app.env:3: invalid variable name 'MY-VAR'");
    EXPECT_EQ(config_error([] { (void)parse_dotenv("A=\"open", "app.env"); }),
              "app.env:1: unterminated quote");
    EXPECT_EQ(config_error([] { (void)parse_dotenv("A=\"escaped end\\\"", "app.env"); }),
              "app.env:1: unterminated quote");
    EXPECT_EQ(config_error([] { (void)parse_dotenv("A='x' trailing", "app.env"); }),
              "app.env:1: unexpected text after quoted value");
}

// --- get_int / get_duration -----------------------------------------------------

TEST(ConfigGetInt, ReturnsFallbackWhenUnsetAndTheValueWhenInRange) {
    const auto c = with({{"POOL", " 8 "}});
    EXPECT_EQ(c.get_int("POOL", 4, 1, 64), 8);
    EXPECT_EQ(c.get_int("ABSENT", 4, 1, 64), 4);
}

TEST(ConfigGetInt, OutOfRangeErrorNamesTheVariableAndBounds) {
    EXPECT_EQ(config_error([] { (void)with({{"POOL", "65"}}).get_int("POOL", 4, 1, 64); }),
              "POOL must be between 1 and 64, got 65");
    EXPECT_EQ(config_error([] { (void)with({{"POOL", "0"}}).get_int("POOL", 4, 1, 64); }),
              "POOL must be between 1 and 64, got 0");
}

TEST(ConfigGetInt, NonNumberErrorNamesTheVariable) {
    EXPECT_EQ(config_error([] { (void)with({{"POOL", "eight"}}).get_int("POOL", 4, 1, 64); }),
              "POOL must be a whole number, got 'eight'");
    EXPECT_THAT(config_error([] { (void)with({{"POOL", "8.5"}}).get_int("POOL", 4, 1, 64); }),
                HasSubstr("POOL must be a whole number"));
    EXPECT_THAT(config_error([] {
                    (void)with({{"POOL", "99999999999999999999"}}).get_int("POOL", 4, 1, 64);
                }),
                HasSubstr("POOL must be a whole number"));
}

TEST(ConfigGetDuration, UnderstandsEveryUnit) {
    const auto c = with({{"A", "250ms"}, {"B", "5s"}, {"C", "2m"}, {"D", "1h"}, {"E", "7"}});
    EXPECT_EQ(c.get_duration("A", 1s), 250ms);
    EXPECT_EQ(c.get_duration("B", 1s), 5s);
    EXPECT_EQ(c.get_duration("C", 1s), 2min);
    EXPECT_EQ(c.get_duration("D", 1s), 1h);
    EXPECT_EQ(c.get_duration("E", 1s), 7s);  // a bare number is seconds
    EXPECT_EQ(c.get_duration("ABSENT", 1500ms), 1500ms);
}

TEST(ConfigGetDuration, MalformedNegativeOrHugeValuesAreErrorsNamingTheVariable) {
    for (const char* bad : {"5x", "-5s", "s", "1.5s", "five"})
        EXPECT_EQ(config_error([&] { (void)with({{"TIMEOUT", bad}}).get_duration("TIMEOUT", 1s); }),
                  std::string("TIMEOUT must be a duration like 500ms, 5s, 2m or 1h, got '") + bad + "'");
    EXPECT_THAT(config_error([] {
                    (void)with({{"TIMEOUT", "9223372036854775807h"}}).get_duration("TIMEOUT", 1s);
                }),
                HasSubstr("TIMEOUT is too large"));
}

// --- Well-known settings ------------------------------------------------------

TEST(ConfigDatabaseUrl, AcceptsUrlsAndConninfo) {
    EXPECT_EQ(with({{"DATABASE_URL", "postgres://u@h/db"}}).database_url(), "postgres://u@h/db");
    EXPECT_EQ(with({{"DATABASE_URL", "postgresql://u:p@h:5432/db"}}).database_url(),
              "postgresql://u:p@h:5432/db");
    EXPECT_EQ(with({{"DATABASE_URL", "host=/tmp dbname=edgesync"}}).database_url(),
              "host=/tmp dbname=edgesync");
}

TEST(ConfigDatabaseUrl, MissingIsAnErrorNamingTheVariable) {
    EXPECT_THAT(config_error([] { (void)with({}).database_url(); }),
                HasSubstr("DATABASE_URL is not set"));
}

TEST(ConfigDatabaseUrl, WrongSchemeIsAnErrorThatHidesThePassword) {
    const auto message = config_error(
        [] { (void)with({{"DATABASE_URL", "mysql://root:hunter2@h/db"}}).database_url(); });
    EXPECT_THAT(message, AllOf(HasSubstr("DATABASE_URL must start with postgresql://"),
                               HasSubstr("mysql://root:***@h/db"), Not(HasSubstr("hunter2"))));
    EXPECT_THAT(config_error([] { (void)with({{"DATABASE_URL", "localhost"}}).database_url(); }),
                HasSubstr("DATABASE_URL must start with postgresql://"));
}

TEST(ConfigJwtSecret, ShorterThan32BytesIsRejected) {
    EXPECT_THAT(config_error([] { (void)with({{"JWT_SECRET", std::string(31, 'k')}}).jwt_secret(); }),
                HasSubstr("JWT_SECRET must be at least 32 bytes"));
    EXPECT_EQ(with({{"JWT_SECRET", std::string(32, 'k')}}).jwt_secret(), std::string(32, 'k'));
    EXPECT_THAT(config_error([] { (void)with({}).jwt_secret(); }), HasSubstr("JWT_SECRET is not set"));
}

TEST(ConfigJwtSecret, ErrorNeverContainsTheSecret) {
    EXPECT_THAT(config_error([] { (void)with({{"JWT_SECRET", "tiny-secret-value"}}).jwt_secret(); }),
                Not(HasSubstr("tiny-secret-value")));
}

TEST(ConfigRedisUrl, IsValidated) {
    EXPECT_EQ(with({{"REDIS_URL", "redis://127.0.0.1:6380/1"}}).redis_url(), "redis://127.0.0.1:6380/1");
    EXPECT_THAT(config_error([] { (void)with({{"REDIS_URL", "http://h"}}).redis_url(); }),
                HasSubstr("REDIS_URL must start with redis://"));
}

// --- parse_redis_url ------------------------------------------------------------

TEST(ParseRedisUrl, AppliesDefaults) {
    const auto ep = parse_redis_url("redis://cache.internal");
    EXPECT_EQ(ep.host, "cache.internal");
    EXPECT_EQ(ep.port, 6379);
    EXPECT_EQ(ep.db, 0);
    EXPECT_EQ(ep.password, "");
}

TEST(ParseRedisUrl, ReadsHostPortDbAndPassword) {
    const auto ep = parse_redis_url("redis://:s3cret@10.0.0.5:6380/2");
    EXPECT_EQ(ep.host, "10.0.0.5");
    EXPECT_EQ(ep.port, 6380);
    EXPECT_EQ(ep.db, 2);
    EXPECT_EQ(ep.password, "s3cret");
}

TEST(ParseRedisUrl, PasswordFormsAndEncodings) {
    EXPECT_EQ(parse_redis_url("redis://s3cret@h").password, "s3cret");
    EXPECT_EQ(parse_redis_url("redis://default:s3cret@h").password, "s3cret");
    EXPECT_EQ(parse_redis_url("redis://alice:s3cret@h").username, "alice");
    EXPECT_EQ(parse_redis_url("redis://al%40ce:s3cret@h").username, "al@ce");
    EXPECT_EQ(parse_redis_url("redis://s3cret@h").username, "");  // no ':': a password
    EXPECT_EQ(parse_redis_url("redis://:s3cret@h").username, "");
    EXPECT_EQ(parse_redis_url("redis://:p@ss@h:7000").password, "p@ss");
    EXPECT_EQ(parse_redis_url("redis://:p%40ss%2Fword@h").password, "p@ss/word");
    EXPECT_EQ(parse_redis_url("redis://:100%@h").password, "100%");
}

TEST(ParseRedisUrl, ReadsBracketedIpv6Hosts) {
    const auto ep = parse_redis_url("redis://[::1]:6390/3");
    EXPECT_EQ(ep.host, "::1");
    EXPECT_EQ(ep.port, 6390);
    EXPECT_EQ(ep.db, 3);
    EXPECT_EQ(parse_redis_url("redis://[::1]").port, 6379);
}

TEST(ParseRedisUrl, BadPortIsAnError) {
    for (const char* url : {"redis://h:0", "redis://h:65536", "redis://h:abc", "redis://h:", "redis://[::1]:x"})
        EXPECT_THAT(config_error([&] { (void)parse_redis_url(url); }),
                    HasSubstr("REDIS_URL has an invalid port")) << url;
}

TEST(ParseRedisUrl, BadDatabaseIsAnError) {
    for (const char* url : {"redis://h/16", "redis://h/-1", "redis://h/x", "redis://h:6379/1/2"})
        EXPECT_THAT(config_error([&] { (void)parse_redis_url(url); }),
                    HasSubstr("REDIS_URL has an invalid database number")) << url;
}

TEST(ParseRedisUrl, MissingHostOrSchemeIsAnError) {
    EXPECT_THAT(config_error([] { (void)parse_redis_url("redis://:6379"); }),
                HasSubstr("REDIS_URL has no host"));
    EXPECT_THAT(config_error([] { (void)parse_redis_url("localhost:6379"); }),
                HasSubstr("REDIS_URL must start with redis://"));
    EXPECT_THAT(config_error([] { (void)parse_redis_url("rediss://h"); }),
                HasSubstr("REDIS_URL must start with redis://"));
}

TEST(ParseRedisUrl, ErrorsNeverContainThePassword) {
    EXPECT_THAT(config_error([] { (void)parse_redis_url("redis://:hunter2@h:badport"); }),
                AllOf(HasSubstr("redis://:***@h:badport"), Not(HasSubstr("hunter2"))));
}

// --- redact_url -----------------------------------------------------------------

TEST(RedactUrl, HidesPostgresUrlPasswords) {
    EXPECT_EQ(redact_url("postgresql://app:hunter2@db.internal:5432/edgesync?sslmode=require"),
              "postgresql://app:***@db.internal:5432/edgesync?sslmode=require");
    EXPECT_EQ(redact_url("postgres://app:@h/db"), "postgres://app:***@h/db");
}

TEST(RedactUrl, HidesRedisUrlPasswords) {
    EXPECT_EQ(redact_url("redis://:hunter2@cache:6379/0"), "redis://:***@cache:6379/0");
    EXPECT_EQ(redact_url("redis://default:hunter2@cache"), "redis://default:***@cache");
    EXPECT_EQ(redact_url("redis://hunter2@cache"), "redis://***@cache");
}

TEST(RedactUrl, HidesPasswordsContainingAtOrSlashWhole) {
    EXPECT_EQ(redact_url("postgresql://app:hun@ter/2@h/db"), "postgresql://app:***@h/db");
    EXPECT_EQ(redact_url("redis://:p@ss@h"), "redis://:***@h");
}

TEST(RedactUrl, HidesPasswordQueryParameters) {
    EXPECT_EQ(redact_url("postgresql://h/db?user=app&password=hunter2&sslmode=require"),
              "postgresql://h/db?user=app&password=***&sslmode=require");
    EXPECT_EQ(redact_url("postgresql:///db?host=/tmp&sslpassword=hunter2"),
              "postgresql:///db?host=/tmp&sslpassword=***");
}

TEST(RedactUrl, HidesConninfoPasswords) {
    EXPECT_EQ(redact_url("host=h user=app password=hunter2 dbname=edgesync"),
              "host=h user=app password=*** dbname=edgesync");
    EXPECT_EQ(redact_url("password = hunter2 host=h"), "password = *** host=h");
    EXPECT_EQ(redact_url("host=h password='hunter 2 \\' x' dbname=d"), "host=h password=*** dbname=d");
    EXPECT_EQ(redact_url("sslpassword=a password=hunter2"), "sslpassword=*** password=***");
    EXPECT_EQ(redact_url("host=h password=a://b@c"), "host=h password=***");
}

TEST(RedactUrl, LeavesUrlsWithoutPasswordsUnchanged) {
    for (const char* url : {"postgresql://app@h:5432/db", "postgresql://h/db?sslmode=require",
                            "postgresql:///db", "redis://cache:6379/0", "redis://[::1]:6379",
                            "host=/tmp dbname=edgesync", ""})
        EXPECT_EQ(redact_url(url), url);
}

}  // namespace
}  // namespace edgesync
