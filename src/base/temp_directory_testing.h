// For tests: a fresh, empty folder under the system's temporary folder, named after the running
// test and this process, removed with everything in it when the object goes.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace quartet {

// An empty folder `<name>-<pid>` in the system's temporary folder (emptied if it was there), for
// fixtures shared by a whole suite; the caller removes it.
inline std::filesystem::path FreshTempDirectory(const std::string& name) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
  return path;
}

// An empty folder for one test, named after it, removed when the test ends.
class TempDirectory {
 public:
  explicit TempDirectory(const std::string& prefix)
      : path_(FreshTempDirectory(
            prefix + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name())) {}
  ~TempDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace quartet
