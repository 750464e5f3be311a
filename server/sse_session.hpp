#pragma once

namespace edgesync::server {

struct StreamHandoff;
struct LiveStreamOptions;

// Serves GET /v1/events/stream on a connection taken over from HTTP (the
// stream seam, docs/server.md). Writes the 200 header (text/event-stream,
// no-cache, close-delimited body), then the events after options.after:
// catch-up pages read on the worker pool, then live events from the hub,
// each as "id: <seq>\nevent: <type>\ndata: <event json>\n\n", in seq order
// without duplicates or gaps (a gap or a hub resync triggers a catch-up read
// from the cursor). ": keep-alive\n\n" every options.heartbeat. Ends (plain
// close) when the client goes away, its access is revoked, a write takes
// longer than options.write_timeout, the send queue exceeds
// options.max_queue_bytes (a client too slow: it resumes from its last id),
// reading events fails, or the server shuts down. Runs on the socket's strand;
// called on it.
void start_sse_session(StreamHandoff handoff, LiveStreamOptions options);

}  // namespace edgesync::server
