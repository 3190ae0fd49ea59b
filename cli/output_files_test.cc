#include "cli/output_files.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace credsim {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class OutputFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "credsim_out_XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::set<std::string> Names(const fs::path& d) const {
    std::set<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(d)) out.insert(fs::relative(e.path(), d).string());
    return out;
  }
  static std::string Slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  fs::path dir_;
};

TEST_F(OutputFilesTest, WriteFileAtomicReplacesAndLeavesNoTemporaryFile) {
  const fs::path f = dir_ / "a.txt";
  ASSERT_TRUE(WriteFileAtomic(f, "one").ok());
  ASSERT_TRUE(WriteFileAtomic(f, "two").ok());
  EXPECT_EQ(Slurp(f), "two");
  EXPECT_EQ(Names(dir_), std::set<std::string>{"a.txt"});
}

TEST_F(OutputFilesTest, WriteFileAtomicNamesTheRealPathAndTheOsReason) {
  std::ofstream(dir_ / "file") << "x";
  auto s = WriteFileAtomic(dir_ / "file" / "sub.txt", "content");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), StartsWith("cannot create directory " + (dir_ / "file").string()));
  EXPECT_THAT(std::string(s.message()), HasSubstr("Not a directory"));
}

TEST_F(OutputFilesTest, ChildPathAcceptsOnlyOneComponent) {
  for (const char* bad : {"", ".", "..", "a/b", "../x", "/abs"}) {
    EXPECT_FALSE(ChildPath(dir_, bad).ok()) << bad;
  }
  EXPECT_FALSE(ChildPath(dir_, std::string("a\0b", 3)).ok());
  EXPECT_EQ(ChildPath(dir_, "ok.1").value(), dir_ / "ok.1");
}

TEST_F(OutputFilesTest, StagedDirectoryAppearsOnlyOnCommitAndReplacesAsAUnit) {
  {
    auto st = StagedDirectory::Stage(dir_ / "out", "sc");
    ASSERT_TRUE(st.ok()) << st.status();
    ASSERT_TRUE(st->Write("results.json", "1").ok());
    EXPECT_FALSE(fs::exists(dir_ / "out" / "sc"));
    ASSERT_TRUE(st->Commit().ok());
  }
  EXPECT_EQ(Slurp(dir_ / "out" / "sc" / "results.json"), "1");
  {
    auto st = StagedDirectory::Stage(dir_ / "out", "sc");
    ASSERT_TRUE(st.ok());
    ASSERT_TRUE(st->Write("summary.md", "2").ok());
    ASSERT_TRUE(st->Commit().ok());
  }
  // The new set replaced the old one entirely; no staging directory is left.
  EXPECT_EQ(Names(dir_ / "out"), (std::set<std::string>{"sc", "sc/summary.md"}));
}

TEST_F(OutputFilesTest, AnUncommittedStageLeavesNothing) {
  {
    auto st = StagedDirectory::Stage(dir_ / "out", "sc");
    ASSERT_TRUE(st.ok());
    ASSERT_TRUE(st->Write("results.json", "1").ok());
  }
  EXPECT_TRUE(fs::is_empty(dir_ / "out"));
}

TEST_F(OutputFilesTest, RefusesToReplaceWhatCredsimDidNotWrite) {
  fs::create_directories(dir_ / "out" / "sc");
  std::ofstream(dir_ / "out" / "sc" / "notes.txt") << "mine";
  auto st = StagedDirectory::Stage(dir_ / "out", "sc");
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.status().message()), HasSubstr("holds notes.txt, which credsim did not write"));
  fs::remove_all(dir_ / "out" / "sc");
  fs::create_directory_symlink(dir_, dir_ / "out" / "sc");
  auto link = StagedDirectory::Stage(dir_ / "out", "sc");
  ASSERT_FALSE(link.ok());
  EXPECT_THAT(std::string(link.status().message()), HasSubstr("is not a directory credsim wrote"));
  EXPECT_FALSE(StagedDirectory::Stage(dir_ / "out", "../escape").ok());
}

}  // namespace
}  // namespace credsim
