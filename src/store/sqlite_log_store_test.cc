#include "store/sqlite_log_store.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "base/temp_directory_testing.h"
#include "store/data_folder.h"

namespace quartet::store {
namespace {

class SqliteLogStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteLogStore::Open(directory_ / "quartet.db");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    ASSERT_TRUE(store_->CreateLog({"acme", "example.test/logs/acme", "vkey", ""}).ok());
  }

  TempDirectory temp_{"quartet-store-test"};
  const std::filesystem::path& directory_ = temp_.path();
  std::unique_ptr<SqliteLogStore> store_;
};

TEST_F(SqliteLogStoreTest, AssignsDenseIndexesAndReadsBack) {
  std::vector<std::string> first = {"a", "b", "c"};
  std::vector<std::string> second = {"d"};
  EXPECT_EQ(*store_->Append("acme", first), 0u);
  EXPECT_EQ(*store_->Append("acme", second), 3u);
  EXPECT_EQ(*store_->EntryCount("acme"), 4u);
  std::vector<std::string> out;
  ASSERT_TRUE(store_->ReadEntries("acme", 1, 4, out).ok());
  EXPECT_EQ(out, (std::vector<std::string>{"b", "c", "d"}));
  EXPECT_EQ(store_->ReadEntries("acme", 2, 5, out).code(), StatusCode::kOutOfRange);
}

TEST_F(SqliteLogStoreTest, ReadsAcrossAndInsideAppendRuns) {
  std::vector<std::string> all;
  for (int run = 0; run < 20; ++run) {
    std::vector<std::string> entries;
    for (int i = 0; i <= run; ++i) entries.push_back(std::to_string(all.size() + entries.size()));
    ASSERT_TRUE(store_->Append("acme", entries).ok());
    all.insert(all.end(), entries.begin(), entries.end());
  }
  for (uint64_t begin = 0; begin < all.size(); begin += 7) {
    for (uint64_t end = begin; end <= all.size(); end += 5) {
      std::vector<std::string> out;
      ASSERT_TRUE(store_->ReadEntries("acme", begin, end, out).ok()) << begin << "-" << end;
      ASSERT_EQ(out, std::vector<std::string>(all.begin() + begin, all.begin() + end));
    }
  }
  std::vector<std::string> none;
  EXPECT_FALSE(store_->Append("acme", none).ok());
  std::vector<std::string> too_big = {std::string(65536, 'x')};
  EXPECT_EQ(store_->Append("acme", too_big).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SqliteLogStoreTest, TenantsAreSeparateAndValidated) {
  ASSERT_TRUE(store_->CreateLog({"beta", "example.test/logs/beta", "vkey2", ""}).ok());
  std::vector<std::string> one = {"x"};
  EXPECT_EQ(*store_->Append("beta", one), 0u);
  EXPECT_EQ(*store_->EntryCount("acme"), 0u);
  EXPECT_EQ(store_->Append("nobody", one).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->CreateLog({"acme", "o", "k", ""}).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CreateLog({"Bad_Tenant", "o", "k", ""}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListLogs()->size(), 2u);
}

TEST_F(SqliteLogStoreTest, CheckpointsOnlyGrowAndCoverDurableEntries) {
  std::vector<std::string> entries = {"a", "b"};
  ASSERT_TRUE(store_->Append("acme", entries).ok());
  ledger::StoredCheckpoint checkpoint{1, {}, "note1"};
  ASSERT_TRUE(store_->AddCheckpoint("acme", checkpoint).ok());
  EXPECT_EQ(store_->AddCheckpoint("acme", checkpoint).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->AddCheckpoint("acme", {3, {}, "too far"}).code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store_->AddCheckpoint("acme", {2, {}, "note2"}).ok());
  auto latest = store_->LatestCheckpoint("acme");
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->note, "note2");
}

TEST_F(SqliteLogStoreTest, HistoryCannotBeRewrittenEvenWithSql) {
  std::vector<std::string> entries = {"a"};
  ASSERT_TRUE(store_->Append("acme", entries).ok());
  auto db = Database::Open(directory_ / "quartet.db");
  ASSERT_TRUE(db.ok());
  EXPECT_FALSE((*db)->Execute("UPDATE entry_runs SET data = x'00'").ok());
  EXPECT_FALSE((*db)->Execute("DELETE FROM entry_runs").ok());
  std::vector<std::string> out;
  ASSERT_TRUE(store_->ReadEntries("acme", 0, 1, out).ok());
  EXPECT_EQ(out[0], "a");
}

TEST_F(SqliteLogStoreTest, AppendInTransactionRollsBackWithTheCallersChange) {
  auto db = Database::Open(directory_ / "quartet.db");
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Execute("CREATE TABLE callers_rows (id INTEGER PRIMARY KEY)").ok());
  std::vector<std::string> entries = {"grant created"};
  {
    auto transaction = Transaction::Begin(**db, TransactionMode::kImmediate);
    ASSERT_TRUE(transaction.ok());
    ASSERT_TRUE((*db)->Execute("INSERT INTO callers_rows VALUES (1)").ok());
    ASSERT_TRUE(SqliteLogStore::AppendInTransaction(**transaction, "acme", entries).ok());
    // No commit: both the state change and its entry disappear together.
  }
  EXPECT_EQ(*store_->EntryCount("acme"), 0u);
  {
    auto transaction = Transaction::Begin(**db, TransactionMode::kImmediate);
    ASSERT_TRUE((*db)->Execute("INSERT INTO callers_rows VALUES (1)").ok());
    ASSERT_TRUE(SqliteLogStore::AppendInTransaction(**transaction, "acme", entries).ok());
    ASSERT_TRUE((*transaction)->Commit().ok());
  }
  EXPECT_EQ(*store_->EntryCount("acme"), 1u);
}

TEST(DataFolderTest, InitLogKeepsTheKeyPrivateAndRefusesDuplicates) {
  TempDirectory temp("quartet-folder-test");
  const auto directory = temp.path() / "data";
  {
    auto folder = DataFolder::Open(directory.string());
    ASSERT_TRUE(folder.ok());
    auto key = (*folder)->InitLog("acme", "example.test/logs/acme", Random::System());
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    EXPECT_TRUE(key->starts_with("example.test/logs/acme+"));
    auto signer = (*folder)->LogSigner("acme");
    ASSERT_TRUE(signer.ok());
    EXPECT_EQ(signer->VerifierKeyString(), *key);
    const auto permissions =
        std::filesystem::status(directory / "keys" / "acme.log.key").permissions();
    EXPECT_EQ(
        permissions & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
        std::filesystem::perms::none);
    EXPECT_EQ((*folder)->InitLog("acme", "x", Random::System()).status().code(),
              StatusCode::kAlreadyExists);
    EXPECT_EQ((*folder)->InitLog("../etc", "x", Random::System()).status().code(),
              StatusCode::kInvalidArgument);
    auto lock = (*folder)->LockIntegration(FileLock::Wait::kNo);
    ASSERT_TRUE(lock.ok());
  }
}

}  // namespace
}  // namespace quartet::store
