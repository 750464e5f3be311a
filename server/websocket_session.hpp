#pragma once

namespace edgesync::server {

struct StreamHandoff;
struct LiveStreamOptions;

// Serves GET /v1/ws on a connection taken over from HTTP (the stream seam,
// docs/server.md): accepts the WebSocket upgrade from handoff.request, then
// speaks JSON text frames.
//   server -> client  {"type":"event", ...event_json}   (seq order, no gaps)
//                     {"type":"presence","device_id","status","at"}
//                     {"type":"pong"}
//   client -> server  {"type":"hello","after":SEQ}  catch-up from SEQ, then live
//                     {"type":"ping"}
// Without a hello the stream is live from options.after (the account's seq
// when it opened). A WebSocket ping goes out whenever the client was silent
// for options.heartbeat; a client silent for twice that is dropped. Close
// codes: 4001 "revoked" (access ended), 1001 (server shutdown), 1003 (binary
// frame), 1008 (malformed or unknown message), 1009 (message over 64 KiB),
// 1011 (reading events failed), 1013 (client too slow for the send queue).
// Runs on the socket's strand; called on it.
void start_websocket_session(StreamHandoff handoff, LiveStreamOptions options);

}  // namespace edgesync::server
