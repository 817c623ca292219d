#include "ledger/receipt.h"

#include <algorithm>

#include "ledger/merkle.h"

namespace quartet::ledger {
namespace {

constexpr std::string_view kHeader = "c2sp.org/tlog-proof@v1";
constexpr std::string_view kExtraPrefix = "extra ";
constexpr std::string_view kIndexPrefix = "index ";
// Enough for any tree of up to 2^64 - 1 leaves.
constexpr size_t kMaxProofHashes = 64;

// Takes the next line, without its newline, off the front of `rest`.
StatusOr<std::string_view> NextLine(std::string_view& rest) {
  const size_t newline = rest.find('\n');
  if (newline == std::string_view::npos) return InvalidArgumentError("receipt ends mid-line");
  const std::string_view line = rest.substr(0, newline);
  rest.remove_prefix(newline + 1);
  return line;
}

// Parses the lines between the header and the blank line: extra, index and the proof.
Status ParseProofLines(std::string_view& rest, Receipt& receipt) {
  ASSIGN_OR_RETURN(std::string_view line, NextLine(rest));
  if (line.starts_with(kExtraPrefix)) {
    StatusOr<Bytes> extra = Base64Decode(line.substr(kExtraPrefix.size()));
    if (!extra.ok()) return extra.status().WithContext("receipt extra data");
    receipt.extra = std::move(*extra);
    ASSIGN_OR_RETURN(line, NextLine(rest));
  }
  if (!line.starts_with(kIndexPrefix)) return InvalidArgumentError("receipt has no index line");
  StatusOr<uint64_t> index = ParseDecimal(line.substr(kIndexPrefix.size()));
  if (!index.ok()) return index.status().WithContext("receipt index");
  receipt.index = *index;
  while (true) {
    ASSIGN_OR_RETURN(line, NextLine(rest));
    if (line.empty()) return Status::Ok();  // the blank line before the checkpoint
    if (receipt.proof.size() == kMaxProofHashes) {
      return InvalidArgumentError("receipt proof has more than 64 hashes");
    }
    ASSIGN_OR_RETURN(Hash hash, HashFromBase64(line, "receipt proof hash"));
    receipt.proof.push_back(hash);
  }
}

// Whether the log key is among the signatures that verified.
bool SignedBy(const std::vector<VerifiedSignature>& verified, const NoteVerifier& key) {
  return std::ranges::any_of(verified, [&](const VerifiedSignature& v) {
    return v.name == key.name() && v.key_id == key.key_id() && v.type == key.type();
  });
}

bool SameKey(const NoteVerifier& a, const NoteVerifier& b) {
  return a.name() == b.name() && a.key_id() == b.key_id();
}

// How many of the policy's witnesses have a verified cosignature. A witness listed twice counts
// once, and the log's own key never counts as a witness.
size_t CountWitnesses(const std::vector<VerifiedSignature>& verified, const ReceiptPolicy& policy) {
  const std::vector<NoteVerifier>& witnesses = policy.witnesses;
  size_t count = 0;
  for (size_t i = 0; i < witnesses.size(); ++i) {
    const auto same_key = [&](const NoteVerifier& other) { return SameKey(other, witnesses[i]); };
    const bool counted = std::any_of(witnesses.begin(), witnesses.begin() + i, same_key) ||
                         SameKey(witnesses[i], policy.log_key);
    if (!counted && SignedBy(verified, witnesses[i])) ++count;
  }
  return count;
}

}  // namespace

std::string Receipt::Format() const {
  std::string out = std::string(kHeader) + "\n";
  if (extra.has_value()) out += std::string(kExtraPrefix) + Base64Encode(*extra) + "\n";
  out += std::string(kIndexPrefix) + std::to_string(index) + "\n";
  for (const Hash& hash : proof) out += Base64Encode(hash) + "\n";
  out += "\n";
  out += checkpoint_note;
  return out;
}

StatusOr<Receipt> Receipt::Parse(std::string_view text) {
  std::string_view rest = text;
  ASSIGN_OR_RETURN(std::string_view header, NextLine(rest));
  if (header != kHeader) {
    return InvalidArgumentError("receipt does not start with " + std::string(kHeader));
  }
  Receipt receipt;
  RETURN_IF_ERROR(ParseProofLines(rest, receipt));
  // The rest is the signed checkpoint, verbatim: check that it is one, signatures aside.
  ASSIGN_OR_RETURN(Note note, ParseNote(rest));
  RETURN_IF_ERROR(Checkpoint::Parse(note.text));
  receipt.checkpoint_note = std::string(rest);
  return receipt;
}

// Errors: InvalidArgument for a malformed receipt or policy, another origin or a proof that does
// not hold; Unauthenticated (from OpenNote too) when the signatures do not satisfy the policy.
StatusOr<Checkpoint> VerifyReceipt(const Receipt& receipt, ByteView entry,
                                   const ReceiptPolicy& policy) {
  if (policy.witnesses_required > policy.witnesses.size()) {
    return InvalidArgumentError("receipt policy requires more witnesses than it names");
  }
  std::vector<NoteVerifier> known = policy.witnesses;
  known.push_back(policy.log_key);
  std::vector<VerifiedSignature> verified;
  ASSIGN_OR_RETURN(Note note, OpenNote(receipt.checkpoint_note, known, &verified));
  ASSIGN_OR_RETURN(Checkpoint checkpoint, Checkpoint::Parse(note.text));
  if (checkpoint.origin != policy.origin) {
    return InvalidArgumentError("checkpoint origin \"" + checkpoint.origin + "\" is not the log's");
  }
  if (!SignedBy(verified, policy.log_key)) {
    return UnauthenticatedError("checkpoint is not signed by the log key");
  }
  if (CountWitnesses(verified, policy) < policy.witnesses_required) {
    return UnauthenticatedError("checkpoint has too few witness cosignatures");
  }
  Status included = VerifyInclusion(HashLeaf(entry), receipt.index, checkpoint.size, receipt.proof,
                                    checkpoint.root);
  if (!included.ok()) return included.WithContext("inclusion proof");
  return checkpoint;
}

}  // namespace quartet::ledger
