// libFuzzer harness for the checkpoint (tlog-checkpoint) and receipt (tlog-proof) parsers.
// Besides not crashing, everything that parses must format back to the same bytes, and
// VerifyReceipt must cope with whatever Receipt::Parse accepts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/bytes.h"
#include "ledger/checkpoint.h"
#include "ledger/receipt.h"

namespace {

namespace ledger = quartet::ledger;

void Check(bool condition) {
  if (!condition) std::abort();
}

const ledger::ReceiptPolicy& Policy() {
  static const auto* policy = [] {
    auto* out = new ledger::ReceiptPolicy;
    out->origin = "example.com/behind-the-sofa";
    auto log = ledger::NoteVerifier::Parse(
        "example.com/behind-the-sofa+37bc54d7+AT1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM");
    auto witness = ledger::NoteVerifier::Parse(
        "witness.example.com/w1+7e6f4aaa+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea");
    if (!log.ok() || !witness.ok()) std::abort();
    out->log_key = *log;
    out->witnesses = {*witness};
    out->witnesses_required = 1;
    return out;
  }();
  return *policy;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const auto checkpoint = ledger::Checkpoint::Parse(input);
  if (checkpoint.ok()) Check(checkpoint->Text() == input);

  const auto receipt = ledger::Receipt::Parse(input);
  if (receipt.ok()) {
    Check(receipt->Format() == input);
    const auto verified = ledger::VerifyReceipt(*receipt, quartet::AsBytes("entry"), Policy());
    if (verified.ok()) Check(verified->origin == Policy().origin);
  }
  return 0;
}
