#include "store/data_folder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "base/random.h"
#include "base/temp_directory_testing.h"

namespace quartet::store {
namespace {

unsigned ModeOf(const std::string& path) {
  struct stat info;
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 0777;
}

TEST(DataFolderTest, ItsSecretsAreTheServersUsersAlone) {
  TempDirectory directory("quartet-folder");
  const std::string path = directory.path().string() + "/data";
  {
    auto folder = DataFolder::Open(path);
    ASSERT_TRUE(folder.ok()) << folder.status().ToString();
    FakeRandom random(1);
    ASSERT_TRUE((*folder)->InitLog("acme", "example.test/logs/acme", random).ok());
  }
  EXPECT_EQ(ModeOf(path), 0700u);
  EXPECT_EQ(ModeOf(path + "/keys"), 0700u);
  for (const char* file : {"quartet.db", "index.db", "keys/acme.log.key"})
    EXPECT_EQ(ModeOf(path + "/" + file), 0600u) << file;
  if (::access((path + "/quartet.db-wal").c_str(), F_OK) == 0) {
    EXPECT_EQ(ModeOf(path + "/quartet.db-wal"), 0600u);
  }
}

TEST(DataFolderTest, AFolderOthersCouldReadIsMadePrivateWhenOpened) {
  TempDirectory directory("quartet-folder");
  const std::string path = directory.path().string() + "/data";
  { ASSERT_TRUE(DataFolder::Open(path).ok()); }
  // As an older version, or a copy with the wrong umask, left it.
  ASSERT_EQ(::chmod(path.c_str(), 0755), 0);
  ASSERT_EQ(::chmod((path + "/quartet.db").c_str(), 0644), 0);
  ASSERT_EQ(::chmod((path + "/index.db").c_str(), 0666), 0);
  { ASSERT_TRUE(DataFolder::Open(path).ok()); }
  EXPECT_EQ(ModeOf(path), 0700u);
  EXPECT_EQ(ModeOf(path + "/quartet.db"), 0600u);
  EXPECT_EQ(ModeOf(path + "/index.db"), 0600u);
}

}  // namespace
}  // namespace quartet::store
