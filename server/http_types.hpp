#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The server's own request/response types. Handlers, the router and their
// tests see only these: Boost.Beast stays inside the connection code
// (http_session.cpp), so a handler file compiles in seconds and a handler test
// needs no socket.
namespace edgesync::server {

// Header fields in arrival order. Names compare case-insensitively (RFC 9110).
class Headers {
  public:
    using Field = std::pair<std::string, std::string>;

    void add(std::string name, std::string value);
    // Replaces every field called `name` with one.
    void set(std::string name, std::string value);
    void remove(std::string_view name);

    // The first field called `name`, if any.
    [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const;
    [[nodiscard]] bool contains(std::string_view name) const { return get(name).has_value(); }

    [[nodiscard]] std::size_t size() const noexcept { return m_fields.size(); }
    [[nodiscard]] auto begin() const noexcept { return m_fields.begin(); }
    [[nodiscard]] auto end() const noexcept { return m_fields.end(); }

  private:
    std::vector<Field> m_fields;
};

// ASCII case-insensitive equality, for header names and tokens.
[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;

struct Request {
    std::string method;  // as sent: "GET", "PUT", ...
    std::string target;  // the raw request-target: path plus "?query"
    Headers headers;
    std::string body;
    std::string remote_address;  // peer IP address, "" when unknown

    // `target` up to '?', still percent-encoded (the router decodes captures).
    [[nodiscard]] std::string_view path() const;
    // `target` after '?', raw; "" when there is none.
    [[nodiscard]] std::string_view query() const;
};

struct Response;
struct StreamHandoff;  // server/stream_handoff.hpp: the socket and what goes with it

// A response that is not ready when the handler returns (a long poll). The
// connection keeps the request open: it calls start() on its strand, answers
// with the first Response passed to `complete`, or with on_timeout() after
// wait() (or at once when the server shuts down), then calls cancel().
class DeferredResponse {
  public:
    using Complete = std::function<void(Response)>;
    virtual ~DeferredResponse() = default;
    [[nodiscard]] virtual std::chrono::milliseconds wait() const = 0;
    // `complete` may be called from any thread; only the first call counts.
    virtual void start(Complete complete) = 0;
    // The answer when the wait ends without one.
    [[nodiscard]] virtual Response on_timeout() = 0;
    // The connection no longer waits: release `complete` and subscriptions.
    // Called exactly once after start(), on the connection's strand.
    virtual void cancel() noexcept = 0;
};

// A response after which the connection stops speaking plain HTTP (an SSE
// stream, a WebSocket). The connection hands over its socket with start(),
// on its strand; from then on the stream owns the socket and the
// connection-limit slot.
class StreamUpgrade {
  public:
    virtual ~StreamUpgrade() = default;
    virtual void start(StreamHandoff handoff) = 0;
};

struct Response {
    int status = 200;
    Headers headers;  // Content-Type among them; Content-Length is computed on the wire
    std::string body;
    // Close the connection after this response (also done for any response
    // sent before the request body was read, and during shutdown).
    bool close = false;
    // At most one of these; when set, `body` is ignored (handler-made
    // headers, e.g. X-Request-Id, go along to the stream).
    std::shared_ptr<DeferredResponse> deferred;
    std::shared_ptr<StreamUpgrade> upgrade;
};

}  // namespace edgesync::server
