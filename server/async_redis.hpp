#pragma once

#include <boost/asio/io_context.hpp>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "shared/config/config.hpp"

namespace edgesync::server {

// One Redis reply, copied out of hiredis's reader.
struct RedisValue {
    enum class Type { nil, string, integer, status, array, error };
    Type type = Type::nil;
    std::string text;  // string, status, error
    long long integer = 0;
    std::vector<RedisValue> elements;  // array
};

// One non-blocking, pipelined Redis connection driven by the io_context: the
// request path's Redis calls (the session GET, the live PUBLISH) without a
// thread hand-off or a blocking call on an I/O thread. Commands queued while
// earlier ones are in flight go out together in one write; replies come back
// in order, so many requests share each read and write system call.
//
// Connects (AUTH, SELECT as the endpoint says) on first use and again after a
// failure; a failure (connect, I/O, a reply later than `command_timeout`) ends
// every command in flight with an error message, never hangs. Thread-safe:
// command() may be called from any thread; callbacks run on the connection's
// own strand and must not block. close() ends it (pending commands fail).
class AsyncRedis {
  public:
    using Reply = std::expected<RedisValue, std::string>;  // error: why the connection failed
    using Callback = std::move_only_function<void(Reply)>;

    struct Options {
        std::chrono::milliseconds connect_timeout{2000};
        std::chrono::milliseconds command_timeout{5000};
        std::string client_name = "edgesync-server";
    };

    // Resolves the host now (blocking: call at startup). Throws ConfigError
    // for a name that does not resolve.
    AsyncRedis(boost::asio::io_context& ioc, RedisEndpoint endpoint, Options options);
    AsyncRedis(boost::asio::io_context& ioc, RedisEndpoint endpoint);
    ~AsyncRedis();
    AsyncRedis(const AsyncRedis&) = delete;
    AsyncRedis& operator=(const AsyncRedis&) = delete;

    // Sends `args` (binary-safe, not empty); `done` gets the reply — a Redis
    // error reply is a value of type error — or the connection's failure.
    void command(std::vector<std::string> args, Callback done);

    // Fails what is in flight and closes the socket; later commands fail too.
    void close();

  private:
    class Impl;
    std::shared_ptr<Impl> m_impl;
};

}  // namespace edgesync::server
