#include "ledger/entry.h"

#include "base/json.h"
#include "ledger/tiles.h"

namespace quartet::ledger {

StatusOr<std::string> CanonicalEntry(std::string_view json) {
  if (json.size() > 4 * kMaxEntrySize) return InvalidArgumentError("event over 64 KiB");
  const StatusOr<Json> value = ParseJson(json, "the event");
  if (!value.ok()) return InvalidArgumentError("malformed JSON");
  RETURN_IF_ERROR(JsonObject::Of(*value, "an event").status());
  ASSIGN_OR_RETURN(std::string canonical, CanonicalJson(*value));
  if (canonical.size() > kMaxEntrySize) return InvalidArgumentError("event over 64 KiB");
  return canonical;
}

}  // namespace quartet::ledger
