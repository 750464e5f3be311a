#include "agent/state_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <system_error>

#include "agent/file_writer.hpp"
#include "agent/unique_fd.hpp"
#include "shared/crypto/hash.hpp"

namespace edgesync::agent {

namespace {

[[noreturn]] void throw_errno(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

std::filesystem::path default_state_dir(const char* state_directory_env, const char* home_env,
                                        bool is_root) {
    if (state_directory_env != nullptr && *state_directory_env != '\0') {
        const std::string_view dirs = state_directory_env;
        return std::filesystem::path(std::string(dirs.substr(0, dirs.find(':'))));
    }
    if (is_root) return "/var/lib/edgesync";
    const std::filesystem::path home = home_env != nullptr && *home_env != '\0' ? home_env : ".";
    return home / ".local/state/edgesync";
}

std::filesystem::path default_state_dir() {
    return default_state_dir(std::getenv("STATE_DIRECTORY"), std::getenv("HOME"), ::geteuid() == 0);
}

void ensure_private_dir(const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    if (::chmod(dir.c_str(), 0700) != 0) throw_errno("chmod " + dir.string());
}

void write_secret_file(const std::filesystem::path& file, crypto::ByteView data) {
    const auto dir_path = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
    const auto temp = dir_path / (std::string(k_temp_prefix) + hex_encode(crypto::random_bytes(8)));
    {
        UniqueFd fd(
            ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!fd.valid()) throw_errno("create " + temp.string());
        try {
            std::size_t done = 0;
            while (done < data.size()) {
                const auto n = ::write(fd.get(), data.data() + done, data.size() - done);
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) throw_errno("write " + temp.string());
                done += static_cast<std::size_t>(n);
            }
            if (::fchmod(fd.get(), 0600) != 0) throw_errno("chmod");  // whatever the umask
            if (::fsync(fd.get()) != 0) throw_errno("fsync");
        } catch (...) {
            ::unlink(temp.c_str());
            throw;
        }
    }
    if (::rename(temp.c_str(), file.c_str()) != 0) {
        const int err = errno;
        ::unlink(temp.c_str());
        throw std::system_error(err, std::generic_category(), "rename to " + file.string());
    }
    UniqueFd dir(::open(dir_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir.valid() || ::fsync(dir.get()) != 0) throw_errno("fsync " + dir_path.string());
}

std::optional<crypto::SecretBytes> read_secret_file(const std::filesystem::path& file) {
    UniqueFd fd(::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) {
        if (errno == ENOENT) return std::nullopt;
        throw_errno("open " + file.string());
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_errno("stat " + file.string());
    if (!S_ISREG(st.st_mode)) throw std::runtime_error(file.string() + " is not a regular file");
    if ((st.st_mode & 077) != 0)
        throw std::runtime_error(file.string() +
                                 " is accessible by group or others; it must be 0600 (chmod 600)");
    crypto::SecretBytes out(static_cast<std::size_t>(st.st_size));
    std::size_t done = 0;
    while (done < out.size()) {
        const auto n = ::read(fd.get(), out.data() + done, out.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("read " + file.string());
        if (n == 0) throw std::runtime_error(file.string() + " shrank while being read");
        done += static_cast<std::size_t>(n);
    }
    return out;
}

}  // namespace edgesync::agent
