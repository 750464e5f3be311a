#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// A small blocking HTTP/1.1 client over a plain TCP socket, for end-to-end
// tests of edgesync-server: real requests, keep-alive, and raw bytes for
// malformed or slow requests. Not for production: no TLS, no redirects.
namespace edgesync::test {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
    int status = 0;
    std::string reason;
    HttpHeaders headers;
    std::string body;

    // First header called `name` (case-insensitive).
    [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
    // "HTTP 404, headers..., body" for assertion messages.
    [[nodiscard]] std::string describe() const;
};

// One TCP connection. Every call fails with std::runtime_error on a socket
// error, a timeout (each receive/send waits at most `timeout`), a malformed
// response, or the peer closing before a response is complete.
class HttpConnection {
  public:
    HttpConnection(const std::string& host, std::uint16_t port,
                   std::chrono::milliseconds timeout = std::chrono::seconds(15));
    ~HttpConnection();
    HttpConnection(const HttpConnection&) = delete;
    HttpConnection& operator=(const HttpConnection&) = delete;

    // Sends a request and reads its response. Adds `Host` and (for a body or
    // a method that usually has one) `Content-Length` unless given.
    HttpResponse request(std::string_view method, std::string_view target,
                         const HttpHeaders& headers = {}, std::string_view body = {});

    // Writes bytes as they are (a malformed request, half a header, ...).
    void send_raw(std::string_view bytes);
    // Reads one response; 1xx interim responses are skipped unless asked for.
    HttpResponse read_response(bool return_interim = false);
    // True once the peer has closed the connection (EOF or reset) within
    // `timeout`, discarding anything it sends first; false on timeout.
    [[nodiscard]] bool wait_for_close(std::chrono::milliseconds timeout);
    // Everything that arrives until the peer closes (or `timeout`).
    [[nodiscard]] std::string read_until_close(std::chrono::milliseconds timeout);

    // Closes our side.
    void close();

  private:
    // Reads more into m_buffer; false on EOF.
    bool fill();
    void set_receive_timeout(std::chrono::milliseconds timeout);

    int m_fd = -1;
    std::string m_host;
    std::chrono::milliseconds m_timeout;
    std::string m_buffer;  // received, not yet consumed
};

// One request on a fresh connection.
[[nodiscard]] HttpResponse http_request(const std::string& host, std::uint16_t port,
                                        std::string_view method, std::string_view target,
                                        const HttpHeaders& headers = {},
                                        std::string_view body = {});

// A TCP port on 127.0.0.1 with nothing listening on it (just released by the
// kernel; another process could take it, which tests can live with).
[[nodiscard]] std::uint16_t closed_port();

}  // namespace edgesync::test
