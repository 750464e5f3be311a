#include "shared/util/time.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>

namespace edgesync {

std::string format_rfc3339(Timestamp t) {
    using namespace std::chrono;
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const hh_mm_ss hms{t - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                       hms.hours().count(), hms.minutes().count(), hms.seconds().count(),
                       hms.subseconds().count());
}

namespace {

bool read_int(std::string_view& s, std::size_t digits, int& out) {
    if (s.size() < digits) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + digits, out);
    if (ec != std::errc{} || p != s.data() + digits) return false;
    s.remove_prefix(digits);
    return true;
}

bool expect(std::string_view& s, std::string_view chars) {
    if (s.empty() || chars.find(s.front()) == std::string_view::npos) return false;
    s.remove_prefix(1);
    return true;
}

}  // namespace

std::optional<Timestamp> parse_timestamp(std::string_view s) {
    using namespace std::chrono;
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
    if (!read_int(s, 4, y) || !expect(s, "-") || !read_int(s, 2, mo) || !expect(s, "-") ||
        !read_int(s, 2, d) || !expect(s, "T ") || !read_int(s, 2, h) || !expect(s, ":") ||
        !read_int(s, 2, mi) || !expect(s, ":") || !read_int(s, 2, se)) {
        return std::nullopt;
    }
    long long micros = 0;
    if (!s.empty() && s.front() == '.') {
        s.remove_prefix(1);
        int n = 0;
        while (!s.empty() && std::isdigit(static_cast<unsigned char>(s.front()))) {
            if (n < 6) {
                micros = micros * 10 + (s.front() - '0');
                ++n;
            }
            s.remove_prefix(1);
        }
        if (n == 0) return std::nullopt;
        for (; n < 6; ++n) micros *= 10;
    }
    long offset_s = 0;
    if (!s.empty() && (s.front() == 'Z' || s.front() == 'z')) {
        s.remove_prefix(1);
    } else if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
        const int sign = s.front() == '-' ? -1 : 1;
        s.remove_prefix(1);
        int oh = 0, om = 0;
        if (!read_int(s, 2, oh)) return std::nullopt;
        if (!s.empty() && s.front() == ':') s.remove_prefix(1);
        if (!s.empty() && !read_int(s, 2, om)) return std::nullopt;
        offset_s = sign * (oh * 3600L + om * 60L);
    } else {
        return std::nullopt;
    }
    if (!s.empty()) return std::nullopt;
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                             day{static_cast<unsigned>(d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || se > 60) return std::nullopt;
    const auto t = sys_days{ymd} + hours{h} + minutes{mi} + seconds{se} + microseconds{micros} -
                   seconds{offset_s};
    return time_point_cast<microseconds>(t);
}

}  // namespace edgesync
