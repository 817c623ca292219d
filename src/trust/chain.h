// A client's trust chain: who approves for the client, and what they have approved, as a list of
// signed statements. The chain starts with a genesis signed by the founding owner's device key;
// every later statement is valid only when signed by enough keys of the chain as it stood before
// it. Whoever replays the chain (the client's agent, the owner's browser, `quartet verify`) knows
// the client's owners, their devices, the agent and the policy in force without believing the
// server, which only stores and relays statements. The format is docs/trust-chain.md.
//
// A statement is one JSON object {"body": TEXT, "signatures": [{"key_id", "signature"}]}; the
// body is canonical JSON {"chain", "seq", "prev", "at", "kind", ...}, and each signature is the
// Ed25519 signature of "quartet-trust-statement/v1\n" || body by a key of the chain.
//
// Thread safety: values; not shared between threads while one changes them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "access/approval.h"
#include "access/policy.h"
#include "base/bytes.h"
#include "base/json.h"
#include "base/random.h"
#include "base/sha256.h"
#include "base/status.h"

namespace quartet::trust {

inline constexpr std::string_view kStatementDomain = "quartet-trust-statement/v1\n";

// The kinds of statement, and who must sign each (see Chain::Apply):
//   genesis         the founding owner's first device key (the chain has no keys yet)
//   device.added    one of that owner's devices, or the threshold of owners, or the recovery key
//   device.removed  the threshold of owners (an owner may also remove their own device)
//   owner.added     the threshold of owners
//   owner.removed   the threshold of owners
//   threshold.set   the threshold of owners
//   agent.confirmed the threshold of owners: the agent's identity (witness and SSH CA keys)
//   policy.signed   the threshold of owners: the policy in force
//   resource.signed the threshold of owners: a resource and its sensitivity labels
//   recovered       the recovery key: every device is replaced, and a new recovery key set
inline constexpr std::string_view kKinds[] = {
    "genesis",       "device.added",    "device.removed", "owner.added",     "owner.removed",
    "threshold.set", "agent.confirmed", "policy.signed",  "resource.signed", "recovered"};

struct Device {
  std::string key_id;  // access::OwnerKey::Id() of `public_key`
  Bytes public_key;    // Ed25519, 32 bytes
  std::string name;    // "laptop", "phone": for people
  int64_t added_at = 0;
};

struct AgentIdentity {
  std::string name;
  std::string witness_key;  // C2SP verifier key string (tlog-cosignature/v1)
  std::string ssh_ca_key;   // ssh-ed25519 authorized_keys line
  std::string sealing_key;  // empty until credential custody adds one
  int64_t confirmed_at = 0;
  uint64_t seq = 0;                       // the confirming statement's position in the chain
  std::vector<std::string> confirmed_by;  // key IDs that signed the confirmation
};

// A resource as the owners signed it: what it is and what it holds. A resource the chain has not
// signed is treated as holding everything (access::kAllLabels).
struct SignedResource {
  access::ResourceKind kind = access::ResourceKind::kSshHost;
  access::LabelSet labels = 0;
};

// What the chain says, after the statements replayed so far.
struct ChainState {
  std::string client;
  uint64_t size = 0;  // statements applied
  Hash head{};        // SHA-256 of the last statement's body
  int threshold = 1;  // owners whose signatures a change needs
  std::map<std::string, std::map<std::string, Device>> owners;  // owner -> key ID -> device
  Bytes recovery_key;
  std::optional<AgentIdentity> agent;
  // The agent the last confirmation replaced, if it named another: the new agent starts from the
  // checkpoint this one cosigned last (docs/agent.md, "Replacing the agent").
  std::optional<AgentIdentity> previous_agent;
  std::string policy;  // canonical JSON of the policy in force; empty before one is signed
  std::map<std::string, SignedResource> resources;
  int64_t recovered_at = 0;  // the last use of the recovery key, 0 if never

  // The owner a device key belongs to, or nullptr.
  const std::string* OwnerOf(std::string_view key_id) const;
  // The labels the policy must assume `resource` holds once the client has a chain: those its
  // owners signed, or every label while they have signed none.
  access::LabelSet LabelsOf(const std::string& resource) const;
  size_t DeviceCount() const;
};

// A statement's parts, checked for shape (not yet for signatures).
struct Statement {
  std::string body;  // canonical JSON
  Json fields;       // the parsed body
  std::string kind;
  uint64_t seq = 0;
  struct Signature {
    std::string key_id;
    Bytes signature;
  };
  std::vector<Signature> signatures;

  // InvalidArgument for anything that is not a statement of a known kind, canonical, with
  // well-formed signatures.
  static StatusOr<Statement> Parse(std::string_view text);
};

class Chain {
 public:
  // An empty chain for `client`, ready for its genesis.
  explicit Chain(std::string client) { state_.client = std::move(client); }

  // A chain the replayer checked before: its size and head, kept where only the replayer writes
  // (the agent's data folder, the browser's storage).
  struct Verified {
    uint64_t size = 0;
    Hash head{};
  };
  // Replays `statements` from the genesis. Stops at the first that is refused, with its error
  // (naming its position). With `verified`, the signatures of the statements up to that head are
  // not checked again when those statements hash to it (otherwise everything is checked).
  static StatusOr<Chain> Replay(std::string client, std::span<const std::string> statements,
                                const std::optional<Verified>& verified = std::nullopt);

  // Checks `statement` against the chain as it stands and applies it. InvalidArgument for a
  // malformed one or one that does not follow the head; Unauthenticated for one not signed as the
  // chain demands; FailedPrecondition for a change the chain cannot make (the last owner removed,
  // a threshold above the number of owners, …). Changes nothing unless it returns OK.
  Status Apply(std::string_view statement);

  const ChainState& state() const { return state_; }

  // The body of the next statement: `fields` with chain, seq, prev, at and kind added.
  std::string NextBody(std::string_view kind, Json fields, int64_t at) const;

  // A device being linked: the `device.added` statement its new device made and signed alone,
  // waiting for the signature of one of that owner's devices (docs/trust-chain.md, "Linking a
  // device"); or the `owner.added` of a new owner's first device, waiting for the owners'
  // signatures. CheckLink says what `statement` would add: it must follow the head, name an owner
  // of the chain (a person not in it, for owner.added) and a device not in it, and carry the new
  // device's good signature and no other.
  // InvalidArgument, FailedPrecondition or Unauthenticated (as Apply) otherwise. It says nothing
  // of whether the statement will count: that takes the approving device's signature.
  struct Link {
    std::string owner;
    Device device;
    bool new_owner = false;  // owner.added
  };
  StatusOr<Link> CheckLink(std::string_view statement) const;

  // A statement that some owners signed and more must (docs/trust-chain.md, "Collecting
  // signatures"): CheckCollecting says who signed it and whether it counts as it is. It must
  // follow the head, carry only good signatures by keys of the chain (and the device it adds), at
  // least one of them an owner's, and make a change the chain can make; only the number of owners
  // may fall short. The errors are Apply's.
  struct Collecting {
    std::set<std::string> owners;  // the owners whose devices signed it
    int threshold = 1;             // owners it needs, as the chain stands
    bool complete = false;         // Apply takes it as it is
  };
  StatusOr<Collecting> CheckCollecting(std::string_view statement) const;

 private:
  Status Apply(std::string_view statement, bool verify);
  Status Check(const Statement& statement) const;
  // With `collecting`, one owner's signature stands in for the threshold.
  Status ApplyChecked(const Statement& statement, bool verify, bool collecting = false);

  ChainState state_;
};

// Signs `body` with each of `signers` into a statement's text.
std::string SignStatement(std::string_view body, std::span<const access::OwnerSigner> signers);

// `statement` with the signature of `signer` added after those it has. InvalidArgument for text
// that is not a statement, or that `signer` signed already.
StatusOr<std::string> AddSignature(std::string_view statement, const access::OwnerSigner& signer);

// One statement with the signatures of both `a` and `b`, which must carry the same body: those of
// `a` in order, then those of `b` that `a` lacks. InvalidArgument otherwise.
StatusOr<std::string> MergeSignatures(std::string_view a, std::string_view b);

// What the chain holds, for people and scripts: its size and head, threshold, owners and their
// devices, the agent, and whether a policy is signed (public keys left out).
Json SummaryJson(const ChainState& state);

// The short code that an agent prints when it enrols and its owner types to confirm it: twelve
// digits ("4821-0937-1152") derived from the owner key named in the enrolment code and the agent's
// witness and SSH CA keys, and its sealing key if it has one (docs/agent.md). Both sides compute it
// from the keys they hold; a server that swapped the agent's keys shows the owner other keys, and
// so another code. `ssh_ca_key` is the authorized_keys form without a comment.
std::string SafetyCode(std::string_view owner_key_id, std::string_view witness_key,
                       std::string_view ssh_ca_key, std::string_view sealing_key = {});

// The device, as a statement names it.
Json DeviceJson(const access::OwnerKey& key, std::string_view name);

}  // namespace quartet::trust
