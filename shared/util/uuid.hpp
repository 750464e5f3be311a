#pragma once

#include <string>
#include <string_view>

namespace edgesync {

// A random (version 4) UUID in canonical lower-case form.
[[nodiscard]] std::string new_uuid();

// True iff `text` is a UUID in canonical 8-4-4-4-12 hex form (any case).
[[nodiscard]] bool is_uuid(std::string_view text);

}  // namespace edgesync
