// A data folder made before schemas were versioned (testdata/datafolder-v0: user_version 0, made
// by `quartet admin` and `quartet log append`) opens, migrates, and keeps working.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "base/clock.h"
#include "base/random.h"
#include "base/temp_directory_testing.h"
#include "governance/access_service.h"
#include "store/server_schema.h"

namespace quartet::governance {
namespace {

class MigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* source = std::getenv("QUARTET_SOURCE_DIR");
    ASSERT_NE(source, nullptr) << "QUARTET_SOURCE_DIR names the source tree";
    std::filesystem::copy(std::filesystem::path(source) / "testdata/datafolder-v0", directory_,
                          std::filesystem::copy_options::recursive);
  }

  int Version() {
    auto db = store::Database::Open((directory_ / "quartet.db").string());
    return *store::SchemaVersion(**db);
  }

  TempDirectory temp_{"quartet-migration"};
  const std::filesystem::path directory_ = temp_.path() / "data";
};

TEST_F(MigrationTest, AFolderFromBeforeVersionsOpensMigratesAndKeepsItsData) {
  ASSERT_EQ(Version(), 0);
  auto folder = store::DataFolder::Open(directory_.string());
  ASSERT_TRUE(folder.ok()) << folder.status().ToString();
  EXPECT_EQ(Version(), store::ServerSchema().version());

  auto service = AccessService::Open(**folder, Clock::System(), Random::System());
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  auto admin = (*service)->sessions().FindActor("root-admin");
  ASSERT_TRUE(admin.ok());
  auto clients = (*service)->directory().ListClients(*admin);
  ASSERT_TRUE(clients.ok());
  ASSERT_EQ(clients->size(), 1u);
  EXPECT_EQ((*clients)[0].tenant, "harbor");
  EXPECT_EQ((*clients)[0].name, "Harbor Bakery");

  // The log kept every entry, and grows on the migrated folder.
  auto count = (*folder)->logs().EntryCount("harbor");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 6u);
  std::vector<std::string> last;
  ASSERT_TRUE((*folder)->logs().ReadEntries("harbor", 5, 6, last).ok());
  EXPECT_NE(last[0].find("made before schema versions"), std::string::npos) << last[0];
  auto ana = (*service)->sessions().FindActor("ana");
  ASSERT_TRUE(ana.ok());
  AccessRequest request;
  request.client = "harbor";
  request.resource = "fileserver-01";
  request.login = "ana";
  request.reason = "disk nearly full";
  request.ticket = "T-1";
  request.duration_seconds = 1800;
  auto grant = (*service)->grants().RequestAccess(*ana, request);
  ASSERT_TRUE(grant.ok()) << grant.status().ToString();
  EXPECT_GT(*(*folder)->logs().EntryCount("harbor"), 6u);
}

TEST_F(MigrationTest, AFolderFromANewerQuartetIsRefusedAndLeftAlone) {
  {
    auto db = store::Database::Open((directory_ / "quartet.db").string());
    ASSERT_TRUE((*db)->Execute("PRAGMA user_version = 99").ok());
  }
  auto folder = store::DataFolder::Open(directory_.string());
  ASSERT_FALSE(folder.ok());
  EXPECT_EQ(folder.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(folder.status().message().find("newer Quartet"), std::string::npos)
      << folder.status().message();
  EXPECT_EQ(Version(), 99);
}

}  // namespace
}  // namespace quartet::governance
