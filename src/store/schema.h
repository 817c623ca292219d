// Versioned schemas. Each database keeps its version in `PRAGMA user_version` and is brought
// forward at open, in one transaction, by the steps of its one Schema (server_schema.h for
// quartet.db; the agent's and the timeline index's beside their code). docs/database.md documents
// every table.
//
// A step is never edited once released: a change to a table is a new step at the end. Version 0
// is a database made before versions were kept (or a new one); step 1 creates every table with
// IF NOT EXISTS, so both arrive at version 1 alike.
#pragma once

#include <span>
#include <string_view>

#include "store/sqlite.h"

namespace quartet::store {

struct Schema {
  std::string_view name;  // for messages: "the server's database"
  // steps[i] takes the database from version i to version i + 1.
  std::span<const std::string_view> steps;
  int version() const { return static_cast<int>(steps.size()); }
};

// The database's version (PRAGMA user_version).
StatusOr<int> SchemaVersion(Database& db);

// Runs the steps the database lacks, in one immediate transaction, and sets its version.
// FailedPrecondition, changing nothing, for a database of a newer version than `schema` knows
// (made by a newer Quartet).
Status Migrate(Database& db, const Schema& schema);

}  // namespace quartet::store
