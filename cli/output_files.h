// Output that is never half-written and never lands outside the directory it was meant for.
//
// WriteFileAtomic(path, content): writes a uniquely named temporary file beside `path`
// (mkstemp, so concurrent writers never share it), checks every write, fsyncs and closes it,
// renames it over `path` and fsyncs the directory. On any failure the temporary file is
// removed, `path` is left as it was, and the error names the real path and the OS reason.
//
// StagedDirectory: the files of one scenario as one unit. Stage() creates a private
// directory `<out>/.<name>.tmp-XXXXXX` (so "is --out writable?" is answered before any
// simulation runs); files are written into it; Commit() swaps it into place as `<out>/<name>`
// with one atomic rename (renameat2 RENAME_EXCHANGE when a previous result exists, which is
// then removed). Readers, and a second credsim writing the same scenario, see either the
// old set or a complete new set, never a mixture. The destructor removes an uncommitted
// staging directory. Commit() refuses to replace a directory holding anything that credsim
// did not write (or a symlink), so `--out` cannot be used to delete a user's files.
//
// ChildPath(out, name): `out/name` after checking that `name` is one plain path component
// (no separator, not "." or "..", no NUL) — the last guard that nothing escapes `--out`.
#ifndef CREDSIM_CLI_OUTPUT_FILES_H_
#define CREDSIM_CLI_OUTPUT_FILES_H_

#include <filesystem>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace credsim {

absl::Status WriteFileAtomic(const std::filesystem::path& path, const std::string& content);

absl::StatusOr<std::filesystem::path> ChildPath(const std::filesystem::path& out,
                                                const std::string& name);

class StagedDirectory {
 public:
  // Creates `out` if needed and the staging directory inside it.
  static absl::StatusOr<StagedDirectory> Stage(const std::filesystem::path& out,
                                               const std::string& name);
  StagedDirectory(StagedDirectory&& o) noexcept;
  StagedDirectory& operator=(StagedDirectory&&) = delete;
  StagedDirectory(const StagedDirectory&) = delete;
  ~StagedDirectory();

  // Writes `file` (a plain file name) into the staging directory.
  absl::Status Write(const std::string& file, const std::string& content);
  // Moves the staged files into place as out/name.
  absl::Status Commit();

  const std::filesystem::path& final_path() const { return final_; }

 private:
  StagedDirectory(std::filesystem::path staging, std::filesystem::path final_path)
      : staging_(std::move(staging)), final_(std::move(final_path)) {}
  std::filesystem::path staging_;
  std::filesystem::path final_;
  bool committed_ = false;
};

}  // namespace credsim

#endif  // CREDSIM_CLI_OUTPUT_FILES_H_
