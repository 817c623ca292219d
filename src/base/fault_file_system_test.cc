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

}  // namespace
}  // namespace quartet
