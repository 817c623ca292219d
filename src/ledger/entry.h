// Log entries are events in canonical JSON: one object, keys sorted, no insignificant white space,
// UTF-8, at most kMaxEntrySize (65,535) bytes so that it fits the tlog-tiles uint16 length prefix.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace quartet::ledger {

// Parses untrusted `json` (without exceptions) and returns its canonical form. InvalidArgument, with
// the reason, for malformed JSON, anything but an object, or a canonical form that is too large.
StatusOr<std::string> CanonicalEntry(std::string_view json);

}  // namespace quartet::ledger
