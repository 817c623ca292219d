#include "store/schema.h"

#include <unistd.h>

#include <array>
#include <filesystem>

#include <gtest/gtest.h>

#include "base/temp_directory_testing.h"

namespace quartet::store {
namespace {

constexpr std::array<std::string_view, 2> kTwoSteps = {
    "CREATE TABLE IF NOT EXISTS people (name TEXT PRIMARY KEY);",
    "ALTER TABLE people ADD COLUMN email TEXT;"};
constexpr Schema kSchema{"the test database", kTwoSteps};

class SchemaTest : public ::testing::Test {
 protected:
  std::unique_ptr<Database> Open() { return *Database::Open(directory_ / "test.db"); }

  TempDirectory temp_{"quartet-schema-test"};
  const std::filesystem::path& directory_ = temp_.path();
};

TEST_F(SchemaTest, ANewDatabaseGetsEveryStep) {
  auto db = Open();
  ASSERT_TRUE(Migrate(*db, kSchema).ok());
  EXPECT_EQ(*SchemaVersion(*db), 2);
  EXPECT_TRUE(db->Execute("INSERT INTO people (name, email) VALUES ('ana', 'a@b')").ok());
  // Again: nothing to do.
  ASSERT_TRUE(Migrate(*db, kSchema).ok());
  EXPECT_EQ(*SchemaVersion(*db), 2);
}

TEST_F(SchemaTest, AnOlderDatabaseGetsOnlyTheStepsItLacksAndKeepsItsRows) {
  {
    auto db = Open();
    const Schema first{"the test database", std::span(kTwoSteps).first(1)};
    ASSERT_TRUE(Migrate(*db, first).ok());
    ASSERT_TRUE(db->Execute("INSERT INTO people (name) VALUES ('ana')").ok());
  }
  auto db = Open();
  ASSERT_TRUE(Migrate(*db, kSchema).ok());
  EXPECT_EQ(*SchemaVersion(*db), 2);
  auto select = db->Prepare("SELECT name, coalesce(email, '') FROM people");
  ASSERT_TRUE(select.ok());
  ASSERT_TRUE(*(*select)->Step());
  EXPECT_EQ((*select)->ColumnText(0), "ana");
}

TEST_F(SchemaTest, ADatabaseFromANewerQuartetIsRefusedAndLeftAlone) {
  auto db = Open();
  ASSERT_TRUE(db->Execute("PRAGMA user_version = 7").ok());
  const Status status = Migrate(*db, kSchema);
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("newer Quartet"), std::string::npos) << status.message();
  EXPECT_EQ(*SchemaVersion(*db), 7);
}

TEST_F(SchemaTest, AFailedStepChangesNothing) {
  constexpr std::array<std::string_view, 2> broken = {
      "CREATE TABLE people (name TEXT PRIMARY KEY);", "ALTER TABLE nowhere ADD COLUMN x TEXT;"};
  auto db = Open();
  const Status status = Migrate(*db, Schema{"the test database", broken});
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("to version 2"), std::string::npos) << status.message();
  EXPECT_EQ(*SchemaVersion(*db), 0);
  EXPECT_TRUE(db->Execute("CREATE TABLE people (name TEXT)").ok());  // step 1 was rolled back
}

TEST_F(SchemaTest, AStatementScopeResetsOnEveryPath) {
  auto db = Open();
  ASSERT_TRUE(Migrate(*db, kSchema).ok());
  ASSERT_TRUE(db->Execute("INSERT INTO people (name) VALUES ('ana'), ('bo')").ok());
  {
    auto select = db->Prepare("SELECT name FROM people ORDER BY name");
    ASSERT_TRUE(select.ok());
    ASSERT_TRUE(*(*select)->Step());  // left on a row: a read transaction stays open
  }
  // Reset when the scope ended: no statement of the connection is left on a row.
  for (sqlite3_stmt* stmt = sqlite3_next_stmt(db->handle(), nullptr); stmt != nullptr;
       stmt = sqlite3_next_stmt(db->handle(), stmt)) {
    EXPECT_EQ(sqlite3_stmt_busy(stmt), 0) << sqlite3_sql(stmt);
  }
}

}  // namespace
}  // namespace quartet::store
