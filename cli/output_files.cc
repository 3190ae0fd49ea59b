#include "cli/output_files.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

#include "fmt/format.h"

namespace credsim {
namespace fs = std::filesystem;
namespace {

std::string Errno(int err) { return std::strerror(err); }

absl::Status OsError(const fs::path& path, std::string_view what, int err) {
  return absl::InternalError(fmt::format("cannot {} {}: {}", what, path.string(), Errno(err)));
}

// Writes all of `content` to `fd`, then fsyncs and closes it (the fd is closed either way).
absl::Status WriteAllAndClose(int fd, const std::string& content, const fs::path& shown) {
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : ENOSPC;
      ::close(fd);
      return OsError(shown, "write", err);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    return OsError(shown, "write", err);
  }
  if (::close(fd) != 0) return OsError(shown, "write", errno);
  return absl::OkStatus();
}

void SyncDirectory(const fs::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);  // best effort: some file systems do not support fsync on directories
    ::close(fd);
  }
}

// Files credsim itself writes into a scenario directory (run and report).
constexpr std::array<std::string_view, 7> kOwnFiles = {
    "results.json",       "summary.md",           "timeseries.csv",     "report.md",
    "sts_calls_over_time.png", "auth_latency_cdf.png", "errors_and_cost.png"};

// OK if `dir` is absent, or a real directory holding only credsim's own files.
absl::Status CheckReplaceable(const fs::path& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return OsError(dir, "inspect", errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(fmt::format(
        "{} exists and is not a directory credsim wrote; remove it or choose another --out",
        dir.string()));
  }
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string file = e.path().filename().string();
    bool own = e.is_regular_file(ec) && !e.is_symlink(ec);
    if (own) {
      own = false;
      for (std::string_view f : kOwnFiles) own |= file == f;
    }
    if (!own) {
      return absl::FailedPreconditionError(fmt::format(
          "{} holds {}, which credsim did not write; refusing to replace it (remove it or "
          "choose another --out)",
          dir.string(), file));
    }
  }
  if (ec) return OsError(dir, "list", ec.value());
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteFileAtomic(const fs::path& path, const std::string& content) {
  const fs::path dir = path.parent_path();
  if (!dir.empty()) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return OsError(dir, "create directory", ec.value());
  }
  std::string tmpl = (dir / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  const int fd = ::mkstemp(buf.data());
  if (fd < 0) return OsError(path, "write", errno);
  const fs::path tmp(buf.data());
  ::fchmod(fd, 0644);
  if (absl::Status s = WriteAllAndClose(fd, content, path); !s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return OsError(path, "write", err);
  }
  SyncDirectory(dir);
  return absl::OkStatus();
}

absl::StatusOr<fs::path> ChildPath(const fs::path& out, const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(fmt::format(
        "\"{}\" is not a single file-name component; output would escape {}", name, out.string()));
  }
  return out / name;
}

absl::StatusOr<StagedDirectory> StagedDirectory::Stage(const fs::path& out, const std::string& name) {
  auto final_path = ChildPath(out, name);
  if (!final_path.ok()) return final_path.status();
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) return OsError(out, "create the output directory", ec.value());
  if (absl::Status s = CheckReplaceable(*final_path); !s.ok()) return s;
  std::string tmpl = (out / ("." + name + ".tmp-XXXXXX")).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    return OsError(out, "write into the output directory", errno);
  }
  ::chmod(buf.data(), 0755);
  return StagedDirectory(fs::path(buf.data()), *final_path);
}

StagedDirectory::StagedDirectory(StagedDirectory&& o) noexcept
    : staging_(std::move(o.staging_)), final_(std::move(o.final_)), committed_(o.committed_) {
  o.committed_ = true;  // the moved-from object owns nothing
}

StagedDirectory::~StagedDirectory() {
  if (!committed_ && !staging_.empty()) {
    std::error_code ec;
    fs::remove_all(staging_, ec);
  }
}

absl::Status StagedDirectory::Write(const std::string& file, const std::string& content) {
  auto target = ChildPath(staging_, file);
  if (!target.ok()) return target.status();
  const fs::path shown = final_ / file;
  const int fd = ::open(target->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return OsError(shown, "write", errno);
  return WriteAllAndClose(fd, content, shown);
}

absl::Status StagedDirectory::Commit() {
  SyncDirectory(staging_);
  // Try a plain rename first (no previous result); otherwise exchange with the old one.
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (absl::Status s = CheckReplaceable(final_); !s.ok()) return s;
    if (::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, final_.c_str(), RENAME_NOREPLACE) == 0) {
      committed_ = true;
      SyncDirectory(final_.parent_path());
      return absl::OkStatus();
    }
    if (errno != EEXIST && errno != ENOTEMPTY) return OsError(final_, "write", errno);
    if (::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, final_.c_str(), RENAME_EXCHANGE) == 0) {
      // staging_ now names the previous result: remove it.
      std::error_code ec;
      fs::remove_all(staging_, ec);
      committed_ = true;
      SyncDirectory(final_.parent_path());
      return absl::OkStatus();
    }
    if (errno != ENOENT) return OsError(final_, "write", errno);
    // The old directory vanished between the two calls (another writer): try again.
  }
  return absl::InternalError(fmt::format("cannot write {}: another process keeps replacing it",
                                         final_.string()));
}

}  // namespace credsim
