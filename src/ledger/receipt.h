// C2SP tlog-proof (https://c2sp.org/tlog-proof): an offline-verifiable receipt that an entry is in a
// log, made of the entry index, its inclusion proof and a signed (and possibly cosigned) checkpoint.
//
//   c2sp.org/tlog-proof@v1\n
//   [extra <base64>\n]
//   index <decimal>\n
//   <base64 hash>\n ...      (the inclusion proof, leaf side first)
//   \n
//   <signed checkpoint note, verbatim>
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/sha256.h"
#include "base/status.h"
#include "ledger/checkpoint.h"
#include "ledger/note.h"

namespace quartet::ledger {

struct Receipt {
  std::optional<Bytes> extra;
  uint64_t index = 0;
  std::vector<Hash> proof;
  std::string checkpoint_note;  // the signed note in wire form

  std::string Format() const;
  static StatusOr<Receipt> Parse(std::string_view text);
};

struct ReceiptPolicy {
  std::string origin;                   // the log's checkpoint origin
  NoteVerifier log_key;                 // must have signed
  std::vector<NoteVerifier> witnesses;  // cosigners
  size_t witnesses_required = 0;        // how many of `witnesses` must have cosigned
};

// Verifies that `entry` is at receipt.index in the checkpointed tree, that the checkpoint is signed
// by the log for the expected origin, and that enough witnesses cosigned. Returns the checkpoint.
StatusOr<Checkpoint> VerifyReceipt(const Receipt& receipt, ByteView entry,
                                   const ReceiptPolicy& policy);

}  // namespace quartet::ledger
