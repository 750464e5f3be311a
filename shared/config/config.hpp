#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace edgesync {

// Where one setting came from, for `doctor` and error messages.
enum class ConfigOrigin { default_value, dotenv, environment, flag };

// Settings shared by all three programs, by precedence:
//   command-line flags > environment > .env file > defaults.
// Names are the environment variable names (DATABASE_URL, REDIS_URL,
// JWT_SECRET, ...). An empty value counts as unset: it does not hide a lower
// layer. A missing or malformed value is a ConfigError whose message is one
// line naming the variable and what is wrong.
class Config {
public:
    struct LoadOptions {
        std::map<std::string, std::string> flags;  // NAME -> value, from the command line
        std::optional<std::filesystem::path> dotenv = std::filesystem::path(".env");
        bool use_environment = true;
        std::map<std::string, std::string> defaults;
    };

    // Throws ConfigError for a malformed .env file (naming file and line).
    [[nodiscard]] static Config load(const LoadOptions& options);

    [[nodiscard]] std::optional<std::string> get(std::string_view name) const;
    [[nodiscard]] std::optional<ConfigOrigin> origin(std::string_view name) const;
    // Throws ConfigError("NAME is not set ...") when absent or empty.
    [[nodiscard]] std::string require(std::string_view name) const;
    [[nodiscard]] std::int64_t get_int(std::string_view name, std::int64_t fallback,
                                       std::int64_t min, std::int64_t max) const;
    // "250ms", "5s", "2m", "1h" or a bare number of seconds.
    [[nodiscard]] std::chrono::milliseconds get_duration(std::string_view name,
                                                         std::chrono::milliseconds fallback) const;

    // Validated accessors for the well-known settings.
    [[nodiscard]] std::string database_url() const;  // postgres:// or postgresql:// URL, or conninfo
    [[nodiscard]] std::string redis_url() const;     // redis://[:password@]host[:port][/db]
    [[nodiscard]] std::string jwt_secret() const;    // at least 32 bytes

    void set(std::string name, std::string value, ConfigOrigin origin = ConfigOrigin::flag);

private:
    struct Entry {
        std::string value;
        ConfigOrigin origin;
    };
    std::map<std::string, Entry, std::less<>> m_values;
};

// Parses KEY=VALUE lines (optional `export `, # comments, single or double
// quotes). Single quotes are literal; double quotes understand \n \r \t \" \\.
// An unquoted value ends at a '#' after whitespace. Throws ConfigError naming
// `source` and the line on a malformed line.
[[nodiscard]] std::map<std::string, std::string> parse_dotenv(std::string_view text,
                                                              std::string_view source);

struct RedisEndpoint {
    std::string host = "127.0.0.1";
    int port = 6379;
    int db = 0;
    std::string password;  // empty = none
    std::string username;  // empty = Redis's default user (AUTH password)
};
// redis://[[user]:password@]host[:port][/db]; host may be a [bracketed] IPv6
// literal; user and password are percent-decoded. A user name (Redis 6 ACL)
// is sent as AUTH user password; userinfo without ':' is a password. Throws
// ConfigError("REDIS_URL ...") when malformed.
[[nodiscard]] RedisEndpoint parse_redis_url(std::string_view url);

// The URL with any password replaced by "***", safe to print and log: the
// userinfo password of a URL (redis://password@host too), password= and
// sslpassword= in a URL query or a libpq conninfo string.
[[nodiscard]] std::string redact_url(std::string_view url);

}  // namespace edgesync
