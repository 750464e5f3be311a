#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "agent/unique_fd.hpp"
#include "shared/crypto/byte_view.hpp"

// Many atomic file writes with their durability paid once (a pull page):
// write_file_atomically() costs a file fsync and a folder fsync per file (a
// journal commit each: ~7 ms on this kind of disk), which bounds a bulk pull to
// a few hundred files a second. Here every file is written to its temp file
// (same folder, same name scheme, mode and mtime applied) without fsync; then
// commit() makes all temp files durable at once (syncfs of the sync folder's
// file system), renames each into place, and fsyncs each folder once. A crash
// at any point leaves, for each file, the old one or the complete new one,
// never a mix (the temp files left behind are removed at the next start).
//
// A local change to a destination between stage() and commit() (e.g. the user
// edits the file meanwhile) is not overwritten: commit() compares the
// destination with what stage() saw and reports that file as not written, its
// temp file removed, so the caller retries it (and then sees the edit).
//
// stage() may run on several threads at once; commit() on one.
namespace edgesync::agent {

class StagedWrites {
  public:
    explicit StagedWrites(std::filesystem::path root);
    ~StagedWrites();  // removes the temp files of writes never committed
    StagedWrites(const StagedWrites&) = delete;
    StagedWrites& operator=(const StagedWrites&) = delete;

    // Writes the temp file of root/rel_path (rules and errors as
    // write_file_atomically); returns its handle for commit()'s result and its
    // stat (size, mtime, mode as they will be after the rename).
    struct Staged {
        std::size_t id = 0;
        struct stat st {};
    };
    [[nodiscard]] Staged stage(std::string_view rel_path, crypto::ByteView content,
                               std::uint32_t mode, std::int64_t mtime_ns);

    // Durable temp files, renames, folder fsyncs. Returns, by id, whether each
    // file is now in place (false: its destination changed since stage(), or
    // the rename failed: logged). Throws std::system_error when the file
    // system cannot be synced (nothing renamed then; the temp files are removed).
    [[nodiscard]] std::vector<bool> commit();

  private:
    struct Item;
    std::shared_ptr<UniqueFd> folder(std::string_view rel_path);

    std::filesystem::path m_root;
    std::mutex m_mutex;  // guards the members below (stage() runs on several threads)
    std::map<std::string, std::shared_ptr<UniqueFd>> m_folders;  // parent path -> fd
    std::vector<std::unique_ptr<Item>> m_items;
};

}  // namespace edgesync::agent
