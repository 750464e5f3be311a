#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edgesync::agent {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpReply {
    long status = 0;
    HeaderList headers;  // of the final response (names as sent)
    std::string body;

    // The first header called `name` (case-insensitive).
    [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
};

struct HttpCall {
    std::string method = "GET";
    std::string url;
    HeaderList headers;
    std::string body;  // sent as is (Content-Type is the caller's header)
    std::chrono::milliseconds timeout{30'000};
    std::chrono::milliseconds connect_timeout{10'000};
};

// The request never produced an HTTP response: connection refused, DNS,
// TLS, timeout, reset. `what()` is libcurl's message (never a header or body,
// so never a token).
class TransportError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// A blocking HTTP/1.1 client over one libcurl easy handle: connections are
// kept alive between calls to the same server. Not thread-safe: one per
// thread. Plain http:// and https:// (system CA store) alike.
class HttpClient {
  public:
    HttpClient();
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Throws TransportError when there is no response.
    [[nodiscard]] HttpReply perform(const HttpCall& call);

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// A long-lived GET (Server-Sent Events): `on_data` receives the body as it
// arrives once the status is known; a non-2xx response's body is collected
// and returned instead. Returns when the server ends the response, when
// `stop` becomes true (libcurl checks at least about once a second), or when nothing at all
// arrived for `idle_timeout` (a dead peer: heartbeats keep a live stream
// busy). Throws TransportError when no response started.
struct StreamResult {
    long status = 0;
    bool stopped = false;  // `stop` ended it
    bool idle_timeout = false;
    std::string error_body;  // for a non-2xx status
};

[[nodiscard]] StreamResult stream_get(
    const std::string& url, const HeaderList& headers,
    const std::function<bool(std::string_view)>& on_data, const std::atomic<bool>& stop,
    std::chrono::milliseconds idle_timeout,
    std::chrono::milliseconds connect_timeout = std::chrono::milliseconds(10'000));

}  // namespace edgesync::agent
