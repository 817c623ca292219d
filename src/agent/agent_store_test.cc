#include "agent/agent_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "base/temp_directory_testing.h"
#include "store/schema.h"

namespace quartet::agent {
namespace {

class AgentStoreTest : public ::testing::Test {
 protected:
  // The store makes the folder itself.

  // Runs `sql` on agent.db directly, as an older or newer Quartet would have left it.
  void Edit(const std::string& sql) {
    auto db = store::Database::Open((directory_ / "agent.db").string());
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Execute(sql).ok()) << sql;
  }

  TempDirectory temp_{"quartet-agent-store"};
  const std::filesystem::path directory_ = temp_.path() / "agent";
  FakeRandom random_{7};
};

TEST_F(AgentStoreTest, KeysAreTheOwnersAloneAndTheFolderIsVersioned) {
  auto store = AgentStore::Create(directory_.string(), random_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (const char* key : {"keys/witness.key", "keys/ssh-ca"}) {
    struct stat info {};
    ASSERT_EQ(::stat((directory_ / key).c_str(), &info), 0) << key;
    EXPECT_EQ(info.st_mode & 0777, 0600u) << key;
  }
  EXPECT_TRUE((*store)->WitnessKey().ok());
  EXPECT_TRUE((*store)->CertificateAuthority().ok());
  EXPECT_EQ(*(*store)->NextSerial(), 1u);
  EXPECT_EQ(*(*store)->NextSerial(), 2u);
}

TEST_F(AgentStoreTest, AnAgentFolderFromBeforeVersionsMigratesAndKeepsItsSerials) {
  {
    auto store = AgentStore::Create(directory_.string(), random_);
    ASSERT_TRUE(store.ok());
    ASSERT_EQ(*(*store)->NextSerial(), 1u);
  }
  Edit("PRAGMA user_version = 0");
  auto store = AgentStore::Open(directory_.string());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  // Serials never repeat across the migration.
  EXPECT_EQ(*(*store)->NextSerial(), 2u);
  auto db = store::Database::Open((directory_ / "agent.db").string());
  EXPECT_EQ(*store::SchemaVersion(**db), 1);
}

TEST_F(AgentStoreTest, AnAgentFolderFromANewerQuartetIsRefused) {
  ASSERT_TRUE(AgentStore::Create(directory_.string(), random_).ok());
  Edit("PRAGMA user_version = 42");
  auto store = AgentStore::Open(directory_.string());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("agent's database"), std::string::npos)
      << store.status().message();
}

}  // namespace
}  // namespace quartet::agent
