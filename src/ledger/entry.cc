#include "ledger/entry.h"

#include <nlohmann/json.hpp>

#include "ledger/tiles.h"

namespace quartet::ledger {

StatusOr<std::string> CanonicalEntry(std::string_view json) {
  if (json.size() > 4 * kMaxEntrySize) return InvalidArgumentError("event over 64 KiB");
  nlohmann::json value = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return InvalidArgumentError("malformed JSON");
  if (!value.is_object()) return InvalidArgumentError("an event must be a JSON object");
  // nlohmann::json keeps object keys in a std::map, so dump() writes them sorted.
  std::string canonical = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  if (canonical.size() > kMaxEntrySize) return InvalidArgumentError("event over 64 KiB");
  return canonical;
}

}  // namespace quartet::ledger
