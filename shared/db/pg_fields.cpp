#include "shared/db/pg_fields.hpp"

#include <limits>

#include "shared/util/error.hpp"

namespace edgesync::pg {

pqxx::binarystring bytea(const Bytes& b) { return pqxx::binarystring(b.data(), b.size()); }

Bytes to_bytes(const pqxx::field& f) {
    if (f.is_null()) return {};
    const pqxx::binarystring bin(f);
    return Bytes(bin.data(), bin.data() + bin.size());
}

std::optional<Bytes> to_optional_bytes(const pqxx::field& f) {
    if (f.is_null()) return std::nullopt;
    return to_bytes(f);
}

Timestamp to_timestamp(const pqxx::field& f) {
    if (f.is_null()) throw StorageError(std::string("unexpected NULL in column ") + f.name());
    const auto t = parse_timestamp(f.c_str());
    if (!t) throw StorageError(std::string("unreadable timestamp in column ") + f.name());
    return *t;
}

std::optional<Timestamp> to_optional_timestamp(const pqxx::field& f) {
    if (f.is_null()) return std::nullopt;
    return to_timestamp(f);
}

std::string to_text(const pqxx::field& f) { return f.is_null() ? std::string() : f.c_str(); }

std::string timestamp_param(Timestamp t) { return format_rfc3339(t); }

std::string text_array(const std::vector<std::string>& items) {
    std::string out = "{";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += ',';
        out += '"';
        for (char c : items[i]) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    out += '}';
    return out;
}

std::int64_t clamp_bigint(std::size_t n) {
    constexpr auto k_max = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
    return static_cast<std::int64_t>(n > k_max ? k_max : n);
}

}  // namespace edgesync::pg
