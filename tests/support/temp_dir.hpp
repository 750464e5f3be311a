#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace edgesync::test {

// A fresh directory under the system temp folder, removed with everything in
// it on destruction. For migration folders, working directories of spawned
// binaries and the like.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_path; }
    // Writes `content` to path()/relative (creating parent folders); returns the full path.
    std::filesystem::path write(const std::filesystem::path& relative,
                                std::string_view content) const;

  private:
    std::filesystem::path m_path;
};

}  // namespace edgesync::test
