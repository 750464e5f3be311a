#include "agent/http_client.hpp"

#include <curl/curl.h>

#include <cctype>
#include <mutex>

namespace edgesync::agent {

namespace {

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            throw TransportError("libcurl initialisation failed");
    });
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

// Collects the headers of the last response (a 100 Continue or a redirect
// starts a new block with its status line).
size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* headers = static_cast<HeaderList*>(user);
    const std::string_view line(data, size * count);
    if (line.starts_with("HTTP/")) {
        headers->clear();
    } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
        headers->emplace_back(std::string(trim(line.substr(0, colon))),
                              std::string(trim(line.substr(colon + 1))));
    }
    return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
}

struct SlistDeleter {
    void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

Slist make_headers(const HeaderList& headers) {
    curl_slist* list = nullptr;
    for (const auto& [k, v] : headers) {
        const std::string line = k + ": " + v;
        curl_slist* next = curl_slist_append(list, line.c_str());
        if (next == nullptr) {
            curl_slist_free_all(list);
            throw std::bad_alloc();
        }
        list = next;
    }
    // libcurl would add "Expect: 100-continue" for large bodies: one more round trip.
    curl_slist* next = curl_slist_append(list, "Expect:");
    if (next == nullptr) {
        curl_slist_free_all(list);
        throw std::bad_alloc();
    }
    return Slist(next);
}

struct EasyDeleter {
    void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;

Easy new_easy() {
    global_init();
    Easy e(curl_easy_init());
    if (!e) throw TransportError("libcurl: cannot create a handle");
    return e;
}

}  // namespace

std::optional<std::string> HttpReply::header(std::string_view name) const {
    for (const auto& [k, v] : headers)
        if (iequals(k, name)) return v;
    return std::nullopt;
}

struct HttpClient::Impl {
    Easy easy = new_easy();
};

HttpClient::HttpClient() : m_impl(std::make_unique<Impl>()) {}
HttpClient::~HttpClient() = default;

HttpReply HttpClient::perform(const HttpCall& call) {
    CURL* c = m_impl->easy.get();
    curl_easy_reset(c);  // keeps the connection cache
    HttpReply reply;
    const Slist headers = make_headers(call.headers);
    char error[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(c, CURLOPT_URL, call.url.c_str());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &reply.headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply.body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(call.timeout.count()));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(call.connect_timeout.count()));
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode
    if (call.method == "GET") {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, call.method.c_str());
        if (!call.body.empty() || call.method == "POST" || call.method == "PUT" ||
            call.method == "PATCH") {
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, call.body.data());
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                             static_cast<curl_off_t>(call.body.size()));
        }
    }
    const CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        throw TransportError(std::string(error[0] != '\0' ? error : curl_easy_strerror(rc)));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
    return reply;
}

namespace {

struct StreamState {
    const std::function<bool(std::string_view)>* on_data = nullptr;
    const std::atomic<bool>* stop = nullptr;
    CURL* easy = nullptr;
    long status = 0;
    bool consumer_stopped = false;
    std::string error_body;
    std::chrono::steady_clock::time_point last_activity = std::chrono::steady_clock::now();
    std::chrono::milliseconds idle_timeout{};
    bool idle = false;
};

size_t on_stream_body(char* data, size_t size, size_t count, void* user) {
    auto* s = static_cast<StreamState*>(user);
    s->last_activity = std::chrono::steady_clock::now();
    if (s->status == 0) curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &s->status);
    const std::string_view chunk(data, size * count);
    if (s->status < 200 || s->status > 299) {
        if (s->error_body.size() < 64 * 1024) s->error_body.append(chunk);
        return size * count;
    }
    if (!(*s->on_data)(chunk)) {
        s->consumer_stopped = true;
        return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
    }
    return size * count;
}

int on_stream_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* s = static_cast<StreamState*>(user);
    if (s->stop->load()) return 1;
    if (std::chrono::steady_clock::now() - s->last_activity > s->idle_timeout) {
        s->idle = true;
        return 1;
    }
    return 0;
}

}  // namespace

StreamResult stream_get(const std::string& url, const HeaderList& headers,
                        const std::function<bool(std::string_view)>& on_data,
                        const std::atomic<bool>& stop, std::chrono::milliseconds idle_timeout,
                        std::chrono::milliseconds connect_timeout) {
    Easy easy = new_easy();
    CURL* c = easy.get();
    HeaderList seen;
    const Slist list = make_headers(headers);
    StreamState state;
    state.on_data = &on_data;
    state.stop = &stop;
    state.easy = c;
    state.idle_timeout = idle_timeout;
    char error[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &seen);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_stream_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &state);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_stream_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &state);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout.count()));
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    const CURLcode rc = curl_easy_perform(c);
    StreamResult result;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &result.status);
    result.error_body = std::move(state.error_body);
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
        result.stopped = !state.idle;
        result.idle_timeout = state.idle;
        return result;
    }
    if (rc == CURLE_WRITE_ERROR && state.consumer_stopped) {
        result.stopped = true;
        return result;
    }
    if (rc != CURLE_OK && result.status == 0)
        throw TransportError(std::string(error[0] != '\0' ? error : curl_easy_strerror(rc)));
    // A transfer cut after the response started ends the stream like a close:
    // the caller reconnects from its last event id.
    return result;
}

}  // namespace edgesync::agent
