#include "store/schema.h"

#include <string>

namespace quartet::store {

StatusOr<int> SchemaVersion(Database& db) {
  ASSIGN_OR_RETURN(auto select, db.Prepare("PRAGMA user_version"));
  ASSIGN_OR_RETURN(bool row, select->Step());
  if (!row) return InternalError("PRAGMA user_version returned nothing");
  return static_cast<int>(select->ColumnInt(0));
}

Status Migrate(Database& db, const Schema& schema) {
  // Read again inside the write transaction: another process may have migrated meanwhile.
  ASSIGN_OR_RETURN(auto transaction, Transaction::Begin(db, TransactionMode::kImmediate));
  ASSIGN_OR_RETURN(const int version, SchemaVersion(db));
  if (version > schema.version()) {
    return FailedPreconditionError(
        std::string(schema.name) + " has schema version " + std::to_string(version) +
        ", newer than the " + std::to_string(schema.version()) +
        " this Quartet knows: it was made by a newer Quartet; run that one, or restore a backup");
  }
  if (version == schema.version()) return Status::Ok();
  for (int step = version; step < schema.version(); ++step) {
    Status status = db.Execute(schema.steps[static_cast<size_t>(step)]);
    if (!status.ok()) {
      return status.WithContext("migrating " + std::string(schema.name) + " to version " +
                                std::to_string(step + 1));
    }
  }
  // PRAGMA takes no bound parameters; the version is a number this program made.
  RETURN_IF_ERROR(db.Execute("PRAGMA user_version = " + std::to_string(schema.version())));
  return transaction->Commit();
}

}  // namespace quartet::store
