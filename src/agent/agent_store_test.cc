#include "agent/agent_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "base/fault_file_system.h"
#include "base/temp_directory_testing.h"
#include "store/schema.h"

namespace quartet::agent {
namespace {

// The agent's folder as these tests see it: keys and folders in a FaultInjectionFileSystem, which
// forgets in a crash whatever was not made durable, and agent.db on disk, where SQLite keeps what
// it committed through any crash by itself. SetPermissions of one path can be made to fail.
class AgentFolderFileSystem final : public FileSystem {
 public:
  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    return For(path).NewWritableFile(path);
  }
  StatusOr<std::unique_ptr<WritableFile>> NewPrivateFile(const std::string& path) override {
    return For(path).NewPrivateFile(path);
  }
  StatusOr<std::string> ReadFile(const std::string& path) override {
    return For(path).ReadFile(path);
  }
  bool FileExists(const std::string& path) override { return For(path).FileExists(path); }
  Status Rename(const std::string& from, const std::string& to) override {
    return For(from).Rename(from, to);
  }
  Status Link(const std::string& from, const std::string& to) override {
    return For(from).Link(from, to);
  }
  Status RemoveFile(const std::string& path) override { return For(path).RemoveFile(path); }
  Status SetPermissions(const std::string& path, uint32_t mode) override {
    if (path == failing_permissions) return PermissionDeniedError("chmod " + path + ": refused");
    return For(path).SetPermissions(path, mode);
  }
  Status CreateDirectories(const std::string& path) override {
    return memory.CreateDirectories(path);
  }
  Status SyncDirectory(const std::string& path) override { return memory.SyncDirectory(path); }
  Status SyncFileSystem(const std::string& path) override { return memory.SyncFileSystem(path); }
  StatusOr<std::vector<std::string>> ListDirectory(const std::string& path) override {
    return memory.ListDirectory(path);
  }

  FaultInjectionFileSystem memory;
  std::string failing_permissions;  // the path whose SetPermissions fails

 private:
  FileSystem& For(const std::string& path) {
    return path.ends_with("/agent.db") ? FileSystem::Posix() : memory;
  }
};

const AgentConfig kConfig{"http://127.0.0.1:1", "acme", "agent-1", "log+key", "example/logs/acme",
                          "0123456789abcdef"};

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
  // As an agent made before versions were kept left it.
  Edit("ALTER TABLE config DROP COLUMN founder_key_id");
  Edit("DROP TABLE rotations");
  Edit("PRAGMA user_version = 0");
  auto store = AgentStore::Open(directory_.string());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  // Serials never repeat across the migration.
  EXPECT_EQ(*(*store)->NextSerial(), 2u);
  auto db = store::Database::Open((directory_ / "agent.db").string());
  EXPECT_EQ(*store::SchemaVersion(**db), 3);
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

TEST_F(AgentStoreTest, KeysAndFoldersGoThroughTheInjectedFileSystem) {
  AgentFolderFileSystem fs;
  std::filesystem::create_directories(directory_);  // for agent.db, which SQLite writes itself
  const std::string directory = directory_.string();
  auto store = AgentStore::Create(directory, random_, fs);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(*fs.memory.Permissions(directory), 0750u);
  EXPECT_EQ(*fs.memory.Permissions(directory + "/keys"), 0700u);
  EXPECT_EQ(*fs.memory.Permissions(directory + "/keys/witness.key"), 0600u);
  EXPECT_EQ(*fs.memory.Permissions(directory + "/keys/ssh-ca"), 0600u);
  EXPECT_FALSE(std::filesystem::exists(directory_ / "keys"));
  EXPECT_EQ(std::filesystem::status(directory_ / "agent.db").permissions(),
            std::filesystem::perms(0640));
  ASSERT_TRUE((*store)->SaveEnrolment(kConfig, "qt_token").ok());
  EXPECT_EQ(*fs.memory.Permissions(directory + "/keys/agent.token"), 0600u);
  EXPECT_EQ(*(*store)->Token(), "qt_token");
  // The founder of the trust chain the owner's code named is kept with the configuration.
  EXPECT_EQ((*store)->Config()->founder_key_id, "0123456789abcdef");
  // Once enrolled, the token is never replaced.
  EXPECT_EQ((*store)->SaveEnrolment(kConfig, "qt_other").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(*(*store)->Token(), "qt_token");
  EXPECT_EQ(AgentStore::Create(directory, random_, fs).status().code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(AgentStore::Open(directory, fs).ok());
}

TEST_F(AgentStoreTest, AFailedChmodIsAnErrorNamingThePath) {
  for (const std::string folder : {"a", "b", "c"}) {
    const std::string directory = (temp_.path() / folder).string();
    std::filesystem::create_directories(directory);
    const std::string refused = folder == "a"   ? directory
                                : folder == "b" ? directory + "/keys"
                                                : directory + "/agent.db";
    AgentFolderFileSystem fs;
    fs.failing_permissions = refused;
    auto store = AgentStore::Create(directory, random_, fs);
    ASSERT_FALSE(store.ok()) << refused;
    EXPECT_EQ(store.status().code(), StatusCode::kPermissionDenied);
    EXPECT_NE(store.status().message().find(refused), std::string::npos)
        << store.status().message();
  }
  // Opening sets agent.db's permissions again, and says so when it cannot.
  const std::string directory = (temp_.path() / "d").string();
  std::filesystem::create_directories(directory);
  AgentFolderFileSystem fs;
  ASSERT_TRUE(AgentStore::Create(directory, random_, fs).ok());
  fs.failing_permissions = directory + "/agent.db";
  EXPECT_EQ(AgentStore::Open(directory, fs).status().code(), StatusCode::kPermissionDenied);
}

TEST_F(AgentStoreTest, ACrashAnywhereInCreationOrEnrolmentLeavesAConsistentFolder) {
  bool completed = false;
  for (int stop = 0; stop < 200 && !completed; ++stop) {
    SCOPED_TRACE("crash after " + std::to_string(stop) + " file system operations");
    const std::string directory = (temp_.path() / ("run-" + std::to_string(stop))).string();
    std::filesystem::create_directories(directory);
    AgentFolderFileSystem fs;
    FakeRandom random(stop);
    fs.memory.FailAfter(stop);
    std::string witness_key;  // set once Create succeeded: the agent's keys never change after
    {
      auto store = AgentStore::Create(directory, random, fs);
      if (store.ok()) {
        // Reading the key back is not one of the operations that may fail.
        const int64_t remaining = stop - fs.memory.operation_count();
        fs.memory.FailAfter(-1);
        witness_key = (*store)->WitnessKey()->VerifierKeyString();
        fs.memory.FailAfter(remaining);
        completed = (*store)->SaveEnrolment(kConfig, "qt_token").ok();
      }
    }
    fs.memory.SimulateCrash();
    // What `quartet agent enrol` does: open the agent, or make it; enrol it unless it is.
    auto store = AgentStore::Open(directory, fs);
    if (store.status().code() == StatusCode::kNotFound) {
      store = AgentStore::Create(directory, random, fs);
    }
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    if (!(*store)->Config().ok()) {
      ASSERT_TRUE((*store)->SaveEnrolment(kConfig, "qt_token").ok());
    }
    auto witness = (*store)->WitnessKey();
    ASSERT_TRUE(witness.ok()) << witness.status().ToString();
    if (!witness_key.empty()) {
      EXPECT_EQ(witness->VerifierKeyString(), witness_key);
    }
    EXPECT_TRUE((*store)->CertificateAuthority().ok());
    EXPECT_EQ(*(*store)->Token(), "qt_token");
    EXPECT_EQ((*store)->Config()->client, "acme");
  }
  EXPECT_TRUE(completed) << "the creation never ran to its end";
}

}  // namespace
}  // namespace quartet::agent
