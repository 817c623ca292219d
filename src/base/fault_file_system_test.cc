#include "base/fault_file_system.h"

#include <gtest/gtest.h>

namespace quartet {
namespace {

TEST(FaultInjectionFileSystemTest, UnsyncedDataAndNamesAreLostInACrash) {
  FaultInjectionFileSystem fs;
  ASSERT_TRUE(fs.CreateDirectories("d").ok());
  {
    auto file = fs.NewWritableFile("d/synced");
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->Append("durable").ok());
    ASSERT_TRUE((*file)->Sync().ok());
    ASSERT_TRUE((*file)->Append(" lost").ok());
  }
  {
    auto file = fs.NewWritableFile("d/name-not-synced");
    ASSERT_TRUE((*file)->Append("x").ok());
    ASSERT_TRUE((*file)->Sync().ok());
  }
  ASSERT_TRUE(fs.SyncDirectory("d").ok());
  ASSERT_TRUE(fs.Rename("d/name-not-synced", "d/renamed").ok());  // rename not made durable
  fs.SimulateCrash();
  EXPECT_EQ(*fs.ReadFile("d/synced"), "durable");
  EXPECT_TRUE(fs.FileExists("d/name-not-synced"));
  EXPECT_FALSE(fs.FileExists("d/renamed"));
}

TEST(FaultInjectionFileSystemTest, AtomicWriteLeavesOldOrNewContents) {
  FaultInjectionFileSystem fs;
  ASSERT_TRUE(fs.CreateDirectories("d").ok());
  ASSERT_TRUE(WriteFileAtomically(fs, "d/f", "old").ok());
  for (int stop = 0; stop < 6; ++stop) {
    fs.FailAfter(stop);
    (void)WriteFileAtomically(fs, "d/f", "new");
    fs.SimulateCrash();
    auto contents = fs.ReadFile("d/f");
    ASSERT_TRUE(contents.ok());
    EXPECT_TRUE(*contents == "old" || *contents == "new") << *contents;
    ASSERT_TRUE(WriteFileAtomically(fs, "d/f", "old").ok());
  }
}

TEST(FaultInjectionFileSystemTest, FailAfterStopsOperations) {
  FaultInjectionFileSystem fs;
  fs.FailAfter(1);
  EXPECT_TRUE(fs.CreateDirectories("d").ok());
  EXPECT_EQ(fs.CreateDirectories("e").code(), StatusCode::kUnavailable);
}

TEST(FaultInjectionFileSystemTest, PrivateFilesAndLinksNeverReplace) {
  FaultInjectionFileSystem fs;
  ASSERT_TRUE(fs.CreateDirectories("d").ok());
  {
    auto file = fs.NewPrivateFile("d/secret");
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->Append("s").ok());
  }
  EXPECT_EQ(*fs.Permissions("d/secret"), 0600u);
  EXPECT_EQ(fs.NewPrivateFile("d/secret").status().code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE(WriteFileAtomically(fs, "d/other", "o").ok());
  EXPECT_EQ(*fs.Permissions("d/other"), 0644u);
  EXPECT_EQ(fs.Link("d/other", "d/secret").code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE(fs.Link("d/secret", "d/second-name").ok());
  EXPECT_EQ(*fs.ReadFile("d/second-name"), "s");
  ASSERT_TRUE(fs.SetPermissions("d", 0700).ok());
  EXPECT_EQ(*fs.Permissions("d"), 0700u);
  EXPECT_EQ(fs.SetPermissions("d/none", 0600).code(), StatusCode::kNotFound);
}

TEST(FaultInjectionFileSystemTest, ASecretIsAbsentOrCompleteAfterACrash) {
  for (int stop = 0; stop < 8; ++stop) {
    FaultInjectionFileSystem fs;
    ASSERT_TRUE(fs.CreateDirectories("keys").ok());
    fs.FailAfter(stop);
    const Status written = WriteSecretFile(fs, "keys/k", "the secret");
    fs.SimulateCrash();
    if (written.ok()) {
      ASSERT_TRUE(fs.FileExists("keys/k")) << stop;
    }
    if (fs.FileExists("keys/k")) {
      EXPECT_EQ(*fs.ReadFile("keys/k"), "the secret") << stop;
      EXPECT_EQ(*fs.Permissions("keys/k"), 0600u);
    }
    // Whatever the crash left, writing the secret again completes it (or finds it complete).
    const Status again = WriteSecretFile(fs, "keys/k", "the secret");
    EXPECT_TRUE(again.ok() || again.code() == StatusCode::kAlreadyExists) << again.ToString();
    EXPECT_EQ(*fs.ReadFile("keys/k"), "the secret");
  }
}

TEST(FaultInjectionFileSystemTest, ASecretIsNeverReplaced) {
  FaultInjectionFileSystem fs;
  ASSERT_TRUE(fs.CreateDirectories("keys").ok());
  ASSERT_TRUE(WriteSecretFile(fs, "keys/k", "first").ok());
  const Status again = WriteSecretFile(fs, "keys/k", "second");
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(again.message(), "keys/k exists already");
  EXPECT_EQ(*fs.ReadFile("keys/k"), "first");
  EXPECT_FALSE(fs.FileExists("keys/k.tmp"));
}

}  // namespace
}  // namespace quartet
