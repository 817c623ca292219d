#include "ledger/log_store.h"

namespace quartet::ledger {

bool IsValidTenant(std::string_view tenant) {
  if (tenant.empty() || tenant.size() > 63) return false;
  auto is_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!is_alnum(tenant[0])) return false;
  for (char c : tenant) {
    if (!is_alnum(c) && c != '-') return false;
  }
  return true;
}

}  // namespace quartet::ledger
