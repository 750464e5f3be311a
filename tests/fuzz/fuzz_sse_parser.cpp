// The agent's Server-Sent Events parser, fed the input in chunks whose sizes
// come from the input itself (a line, a field or a CRLF split anywhere).
// Property: splitting never changes what is dispatched.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "agent/sse_parser.hpp"

namespace {

struct Seen {
    std::vector<std::string> events;
    bool ok = true;
    std::string last_id;
};

Seen run(std::string_view text, std::size_t chunk) {
    Seen seen;
    edgesync::agent::SseParser parser(
        [&](const edgesync::agent::SseEvent& e) {
            seen.events.push_back(e.id + '\x1f' + e.event + '\x1f' + e.data);
        },
        4096);
    for (std::size_t at = 0; at < text.size() && seen.ok; at += chunk)
        seen.ok = parser.feed(text.substr(at, chunk));
    seen.last_id = parser.last_event_id();
    return seen;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t chunk = 1 + data[0] % 16;
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    const Seen whole = run(text, text.size() + 1);
    const Seen split = run(text, chunk);
    if (whole.ok && split.ok && (whole.events != split.events || whole.last_id != split.last_id))
        std::abort();
    return 0;
}
