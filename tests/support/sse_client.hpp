#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tests/support/http_client.hpp"

// A raw-socket Server-Sent Events reader for end-to-end tests: sends one GET,
// reads the response header, then hands out the stream's messages one by one
// exactly as they arrived (events and comments). Blocking, with timeouts.
namespace edgesync::test {

struct SseMessage {
    std::string id;       // "id:" field, "" when absent
    std::string event;    // "event:" field
    std::string data;     // "data:" lines joined with '\n'
    std::string comment;  // text after ':' for a comment-only block (": keep-alive")
    [[nodiscard]] bool is_comment() const { return id.empty() && event.empty() && data.empty(); }
};

class SseClient {
  public:
    // Connects and sends `GET target` with `headers`; reads the response
    // header (status() and header()). Throws std::runtime_error on failure.
    SseClient(const std::string& host, std::uint16_t port, std::string_view target,
              const HttpHeaders& headers = {},
              std::chrono::milliseconds timeout = std::chrono::seconds(15),
              int receive_buffer_bytes = 0);  // > 0: a small SO_RCVBUF (a slow reader)
    ~SseClient();
    SseClient(const SseClient&) = delete;
    SseClient& operator=(const SseClient&) = delete;

    [[nodiscard]] int status() const noexcept { return m_status; }
    [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
    // The body when the status is not 200.
    [[nodiscard]] const std::string& error_body() const noexcept { return m_error_body; }

    // The next message (blocks separated by a blank line); nullopt when the
    // server closed the stream. Throws std::runtime_error after `timeout`.
    [[nodiscard]] std::optional<SseMessage> next(std::chrono::milliseconds timeout);
    // The next message that is not a comment.
    [[nodiscard]] std::optional<SseMessage> next_event(std::chrono::milliseconds timeout);
    // True once the server closed within `timeout` (messages before are dropped).
    [[nodiscard]] bool wait_for_close(std::chrono::milliseconds timeout);

  private:
    // Reads more into m_buffer within `deadline`; false on EOF or reset.
    bool fill(std::chrono::steady_clock::time_point deadline);

    int m_fd = -1;
    int m_status = 0;
    HttpHeaders m_headers;
    std::string m_error_body;
    std::string m_buffer;
};

}  // namespace edgesync::test
