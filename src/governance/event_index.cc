#include "governance/event_index.h"

#include <algorithm>
#include <array>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "base/json.h"
#include "base/sha256.h"
#include "store/schema.h"

namespace quartet::governance {
namespace {

using Json = nlohmann::json;

// Version 1 of the index's own file, index.db (docs/database.md).
constexpr std::string_view kVersion1 = R"sql(
CREATE TABLE IF NOT EXISTS event_index (
  id INTEGER PRIMARY KEY,
  client TEXT NOT NULL,
  idx INTEGER NOT NULL,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  grant_id TEXT NOT NULL,
  technician TEXT NOT NULL,
  resource TEXT NOT NULL,
  UNIQUE (client, idx)
);
CREATE INDEX IF NOT EXISTS event_index_technician ON event_index (client, technician, idx);
CREATE INDEX IF NOT EXISTS event_index_resource ON event_index (client, resource, idx);
CREATE INDEX IF NOT EXISTS event_index_kind ON event_index (client, kind, idx);
CREATE INDEX IF NOT EXISTS event_index_grant ON event_index (client, grant_id);
CREATE INDEX IF NOT EXISTS event_index_time ON event_index (client, at);
CREATE VIRTUAL TABLE IF NOT EXISTS event_search USING fts5 (body, content = '', tokenize = 'unicode61');
CREATE TABLE IF NOT EXISTS event_index_state (
  client TEXT PRIMARY KEY,
  indexed INTEGER NOT NULL,
  last_digest BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS event_facets (
  client TEXT NOT NULL,
  facet TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (client, facet, value)
) WITHOUT ROWID;
)sql";

// Entries are read and indexed this many at a time, one transaction each.
constexpr uint64_t kChunk = 4096;

// Every string (and number) in the event, for the word index; a grant's request is itself JSON.
void CollectWords(const Json& value, std::string& out) {
  if (value.is_object() || value.is_array()) {
    for (const Json& item : value) CollectWords(item, out);
    return;
  }
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    if (text.starts_with('{')) {
      auto inner = ParseJson(text, "a nested event");
      if (inner.ok() && inner->is_object()) return CollectWords(*inner, out);
    }
    out += text;
    out += ' ';
  } else if (value.is_number_integer()) {
    out += std::to_string(value.get<int64_t>());
    out += ' ';
  }
}

// The index takes what it can read of an entry: a field that is absent or not text is empty.
std::string StringField(const JsonObject& object, const char* name) {
  auto text = object.Text(name, Field::kOptional);
  return text.ok() ? *std::move(text) : std::string();
}

// An entry as an object; anything else (not JSON, or not an object) as an empty one.
Json EntryObject(std::string_view text) {
  auto parsed = ParseJson(text, "an entry");
  return parsed.ok() && parsed->is_object() ? *std::move(parsed) : Json::object();
}

// A full-text query that matches events holding every word, the last one as a prefix (so that the
// timeline narrows while one types). Words are quoted, so no FTS5 syntax gets through.
std::string MatchExpression(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  };
  for (char c : text) {
    const bool separator =
        static_cast<unsigned char>(c) < 0x80 && !std::isalnum(static_cast<unsigned char>(c));
    if (separator) {
      flush();
    } else {
      word += c;
    }
  }
  flush();
  std::string expression;
  for (size_t i = 0; i < words.size(); ++i) {
    if (!expression.empty()) expression += ' ';
    expression += '"' + words[i] + '"';
    if (i + 1 == words.size()) expression += '*';
  }
  return expression;
}

constexpr std::array<std::string_view, 1> kSteps = {kVersion1};
const store::Schema kIndexSchema{"the timeline's index (index.db)", kSteps};

// Everything the index holds, and its version: the steps then make it anew.
constexpr char kDropSchema[] = R"sql(
DROP TABLE IF EXISTS event_index;
DROP TABLE IF EXISTS event_search;
DROP TABLE IF EXISTS event_index_state;
DROP TABLE IF EXISTS event_facets;
PRAGMA user_version = 0;
)sql";

}  // namespace

StatusOr<std::unique_ptr<EventIndex>> EventIndex::Open(store::DataFolder& folder) {
  // A file of its own: the index never holds the write lock of the database the changes commit to.
  ASSIGN_OR_RETURN(auto db, store::Database::Open(folder.path() + "/index.db"));
  RETURN_IF_ERROR(store::Migrate(*db, kIndexSchema));
  return std::unique_ptr<EventIndex>(new EventIndex(folder, std::move(db)));
}

Status EventIndex::CheckAgainstLog(const std::string& client, uint64_t indexed,
                                   ByteView last_digest) {
  // An index is only right for the log it was made from: a data folder restored from a backup, or a
  // log that was rewritten, gets a new index rather than one that points at other entries.
  ASSIGN_OR_RETURN(uint64_t count, folder_.logs().EntryCount(client));
  bool same = count >= indexed;
  if (same && indexed > 0) {
    std::vector<std::string> last;
    RETURN_IF_ERROR(folder_.logs().ReadEntries(client, indexed - 1, indexed, last));
    const Hash digest = Sha256::Of(last.front());
    same = std::ranges::equal(digest, last_digest);
  }
  if (!same) {
    spdlog::warn("the event index does not match log '{}' (indexed {}, log has {}): rebuilding it",
                 client, indexed, count);
    RETURN_IF_ERROR(db_->Execute(kDropSchema));
    RETURN_IF_ERROR(store::Migrate(*db_, kIndexSchema));
  }
  checked_.insert(client);
  return Status::Ok();
}

Status EventIndex::CatchUp(const std::string& client, uint64_t size) {
  MutexLock lock(mu_);
  return CatchUpLocked(client, size);
}

Status EventIndex::CatchUpAll(const std::atomic<bool>& stop) {
  ASSIGN_OR_RETURN(auto logs, folder_.logs().ListLogs());
  for (const ledger::LogConfig& log : logs) {
    // A log at a time, so that queries of other clients get their turn.
    MutexLock lock(mu_);
    RETURN_IF_ERROR(CatchUpLocked(log.tenant, UINT64_MAX, &stop));
  }
  return Status::Ok();
}

Status EventIndex::CatchUpLocked(const std::string& client, uint64_t size,
                                 const std::atomic<bool>* stop) {
  auto read_state = [&]() REQUIRES(mu_) -> StatusOr<std::pair<uint64_t, Bytes>> {
    ASSIGN_OR_RETURN(
        auto state,
        db_->Prepare("SELECT indexed, last_digest FROM event_index_state WHERE client = ?"));
    state->Bind(1, client);
    ASSIGN_OR_RETURN(bool found, state->Step());
    std::pair<uint64_t, Bytes> out;
    if (found) {
      const ByteView digest = state->ColumnBlob(1);
      out = {static_cast<uint64_t>(state->ColumnInt(0)), Bytes(digest.begin(), digest.end())};
    }
    return out;
  };
  ASSIGN_OR_RETURN(auto state, read_state());
  if (!checked_.contains(client)) {
    RETURN_IF_ERROR(CheckAgainstLog(client, state.first, state.second));
    ASSIGN_OR_RETURN(state, read_state());
  }
  uint64_t indexed = state.first;
  if (indexed >= size) return Status::Ok();
  ASSIGN_OR_RETURN(uint64_t count, folder_.logs().EntryCount(client));
  const uint64_t target = std::min(size, count);
  std::vector<std::string> entries;
  while (indexed < target && !(stop && *stop)) {
    const uint64_t end = std::min(target, indexed + kChunk);
    entries.clear();
    RETURN_IF_ERROR(folder_.logs().ReadEntries(client, indexed, end, entries));
    ASSIGN_OR_RETURN(auto transaction,
                     store::Transaction::Begin(*db_, store::TransactionMode::kImmediate));
    ASSIGN_OR_RETURN(
        auto insert,
        db_->Prepare(
            "INSERT OR IGNORE INTO event_index (client, idx, at, kind, grant_id, technician, "
            "resource) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    ASSIGN_OR_RETURN(auto words,
                     db_->Prepare("INSERT INTO event_search (rowid, body) VALUES (?, ?)"));
    ASSIGN_OR_RETURN(
        auto requested,
        db_->Prepare(
            "SELECT technician, resource FROM event_index WHERE client = ? AND grant_id = ? "
            "AND kind = 'grant.requested'"));
    ASSIGN_OR_RETURN(
        auto facet,
        db_->Prepare("INSERT OR IGNORE INTO event_facets (client, facet, value) VALUES (?, ?, ?)"));
    auto add_facet = [&](const char* name, const std::string& value) -> Status {
      if (value.empty()) return Status::Ok();
      return facet->Bind(1, client).Bind(2, name).Bind(3, value).Run();
    };
    for (uint64_t i = indexed; i < end; ++i) {
      const std::string& entry = entries[i - indexed];
      // Entries are events written by this server; anything else in a log is indexed by position
      // alone, so that it still shows (and verifies) on the timeline.
      const Json event_json = EntryObject(entry);
      const JsonObject event = *JsonObject::Of(event_json, "an entry");
      const std::string kind = StringField(event, "kind");
      const std::string grant = StringField(event, "grant");
      std::string technician = StringField(event, "technician");
      std::string resource = StringField(event, "resource");
      const auto at = event.Integer("at", Field::kOptional);
      if (kind == "grant.requested") {
        const Json request_json = EntryObject(StringField(event, "request"));
        const JsonObject request = *JsonObject::Of(request_json, "a grant request");
        technician = StringField(request, "technician");
        resource = StringField(request, "resource");
      } else if (!grant.empty()) {
        requested->Bind(1, client).Bind(2, grant);
        ASSIGN_OR_RETURN(bool found, requested->Step());
        if (found) {
          technician = std::string(requested->ColumnText(0));
          resource = std::string(requested->ColumnText(1));
        }
        requested->Reset();  // used again for the next entry
      }
      insert->Bind(1, client)
          .Bind(2, static_cast<int64_t>(i))
          .Bind(3, at.ok() ? *at : 0)
          .Bind(4, kind)
          .Bind(5, grant)
          .Bind(6, technician)
          .Bind(7, resource);
      RETURN_IF_ERROR(insert->Run());
      if (sqlite3_changes(db_->handle()) == 0) continue;
      std::string body = technician + " " + resource + " ";
      CollectWords(event_json, body);
      RETURN_IF_ERROR(words->Bind(1, sqlite3_last_insert_rowid(db_->handle())).Bind(2, body).Run());
      RETURN_IF_ERROR(add_facet("technician", technician));
      RETURN_IF_ERROR(add_facet("resource", resource));
      RETURN_IF_ERROR(add_facet("kind", kind));
    }
    ASSIGN_OR_RETURN(
        auto save,
        db_->Prepare(
            "INSERT INTO event_index_state (client, indexed, last_digest) VALUES (?1, ?2, ?3) "
            "ON CONFLICT (client) DO UPDATE SET indexed = ?2, last_digest = ?3"));
    const Hash digest = Sha256::Of(entries.back());
    RETURN_IF_ERROR(
        save->Bind(1, client).Bind(2, static_cast<int64_t>(end)).BindBlob(3, digest).Run());
    RETURN_IF_ERROR(transaction->Commit());
    indexed = end;
  }
  return Status::Ok();
}

StatusOr<std::vector<IndexedEvent>> EventIndex::Find(const std::string& client,
                                                     const EventQuery& query) {
  if (query.limit < 1 || query.limit > 500) return InvalidArgumentError("limit must be 1 to 500");
  MutexLock lock(mu_);
  RETURN_IF_ERROR(CatchUpLocked(client, query.below));
  // One statement per combination of filters; each is prepared once and cached.
  std::string sql = "SELECT idx FROM event_index WHERE client = ?1 AND idx < ?2";
  if (!query.technician.empty()) sql += " AND technician = ?3";
  if (!query.resource.empty()) sql += " AND resource = ?4";
  const bool family = query.kind.ends_with('.');
  if (!query.kind.empty())
    sql += family ? " AND kind >= ?5 AND kind < ?5 || '~'" : " AND kind = ?5";
  if (query.from > 0) sql += " AND at >= ?6";
  if (query.to != std::numeric_limits<int64_t>::max()) sql += " AND at < ?7";
  const std::string match = MatchExpression(query.text);
  if (!match.empty())
    sql += " AND id IN (SELECT rowid FROM event_search WHERE event_search MATCH ?8)";
  sql += " ORDER BY idx DESC LIMIT ?9";
  ASSIGN_OR_RETURN(auto select, db_->Prepare(sql));
  select->Bind(1, client)
      .Bind(2, static_cast<int64_t>(std::min<uint64_t>(query.below, INT64_MAX)))
      .Bind(3, query.technician)
      .Bind(4, query.resource)
      .Bind(5, query.kind)
      .Bind(6, query.from)
      .Bind(7, query.to)
      .Bind(8, match)
      .Bind(9, static_cast<int64_t>(query.limit));
  std::vector<uint64_t> indexes;
  for (;;) {
    auto row = select->Step();
    if (!row.ok()) {
      return row.status();
    }
    if (!*row) break;
    indexes.push_back(static_cast<uint64_t>(select->ColumnInt(0)));
  }
  select.Release();
  // The entries themselves come from the log, read in runs of consecutive indexes.
  std::vector<IndexedEvent> events;
  std::vector<std::string> entries;
  for (size_t i = 0; i < indexes.size();) {
    size_t j = i + 1;
    while (j < indexes.size() && indexes[j] + 1 == indexes[j - 1]) ++j;
    entries.clear();
    RETURN_IF_ERROR(folder_.logs().ReadEntries(client, indexes[j - 1], indexes[i] + 1, entries));
    for (size_t k = i; k < j; ++k)
      events.push_back({indexes[k], std::move(entries[indexes[k] - indexes[j - 1]])});
    i = j;
  }
  return events;
}

StatusOr<EventFacets> EventIndex::Facets(const std::string& client) {
  MutexLock lock(mu_);
  RETURN_IF_ERROR(CatchUpLocked(client, UINT64_MAX));
  ASSIGN_OR_RETURN(
      auto select,
      db_->Prepare("SELECT facet, value FROM event_facets WHERE client = ? ORDER BY facet, value"));
  select->Bind(1, client);
  EventFacets facets;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) break;
    const std::string_view facet = select->ColumnText(0);
    std::string value(select->ColumnText(1));
    if (facet == "technician") facets.technicians.push_back(std::move(value));
    if (facet == "resource") facets.resources.push_back(std::move(value));
    if (facet == "kind") facets.kinds.push_back(std::move(value));
  }
  return facets;
}

}  // namespace quartet::governance
