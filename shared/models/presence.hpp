#pragma once

#include <string>

#include "shared/util/time.hpp"

namespace edgesync {

// A device's liveness, stored in Redis under es:{aid}:presence:{did} with a
// short TTL: a device that stops beating disappears by itself.
struct Presence {
    std::string device_id;
    std::string status = "online";  // "online" | "away"
    Timestamp last_seen{};
    std::string server;  // the server instance the device is connected to
};

}  // namespace edgesync
