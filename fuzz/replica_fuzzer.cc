// libFuzzer harness for the agent's replay of log entries (agent/replica.h). Entries come from the
// server, which the agent does not trust: each line of the input is applied as one entry, after a
// history that gives the replica a policy, an owner and their key, resources, grants and a held
// credential to act on.
// Replay never fails: whatever the bytes, Apply returns having recorded a violation or ignored them
// (it must not crash, throw or abort), and what the replica stores of itself loads back.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "access/approval.h"
#include "access/grant.h"
#include "access/grant_testing.h"
#include "agent/replica.h"
#include "base/json.h"
#include "base/random.h"

namespace {

namespace access = quartet::access;
namespace agent = quartet::agent;
using quartet::Json;

constexpr int64_t kMondayTen = quartet::access::kTestMondayTen;

std::string Event(std::string_view kind, int64_t at, Json fields) {
  fields["kind"] = std::string(kind);
  fields["client"] = "acme";
  fields["at"] = at;
  return quartet::CanonicalJsonOf(fields);
}

// The history every input is applied after, as the server would have logged it.
const std::vector<std::string>& History() {
  static const auto* history = [] {
    auto* out = new std::vector<std::string>;
    quartet::FakeRandom random(1);
    const access::OwnerSigner owner = access::OwnerSigner::Generate(random);
    const access::Policy policy = access::Policy::SafeDefault("UTC");
    *out = {Event("policy.changed", 1, {{"policy", access::ToJson(policy)}, {"by", "admin"}}),
            Event("person.added", 2, {{"user", "olivia"}, {"role", "owner"}}),
            Event("relationship.added", 2, {{"technician", "tom"}, {"by", "admin"}}),
            Event("owner.key_registered", 3,
                  {{"owner", "olivia"},
                   {"key_id", owner.key().Id()},
                   {"public_key", quartet::Base64Encode(owner.key().public_key)}}),
            Event("resource.added", 4,
                  {{"resource", "web-1"}, {"resource_kind", "ssh-host"}, {"labels", 0}}),
            Event("resource.added", 4,
                  {{"resource", "mail"}, {"resource_kind", "mailbox"}, {"labels", 1}})};
    // g1 is live (approved by the policy); g2 waits for an owner.
    auto local = access::ToLocalTime(kMondayTen, "UTC");
    if (!local.ok()) std::abort();
    access::GrantRequest mail = access::TestRequest("g2", "mail", 1);
    mail.kind = access::ResourceKind::kMailbox;
    mail.action = access::Action::kOpenMailbox;
    mail.login = "";
    for (const access::GrantRequest& request : {access::TestRequest("g1", "web-1", 0), mail}) {
      if (!access::Grant::Open(request, policy, *local, *out).ok()) std::abort();
    }
    // web-1's root password, revealed under g1: held, and due for rotation once g1 is over.
    out->push_back(Event("credential.stored", 5,
                         {{"resource", "web-1"},
                          {"name", "root"},
                          {"version", 1},
                          {"exclusive", true},
                          {"rotate", "ssh://root@127.0.0.1:22"},
                          {"commitment", std::string(64, 'a')}}));
    out->push_back(Event("credential.revealed", kMondayTen + 5,
                         {{"grant", "g1"},
                          {"technician", "tom"},
                          {"resource", "web-1"},
                          {"name", "root"},
                          {"version", 1}}));
    return out;
  }();
  return *history;
}

void Check(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "replica_fuzzer: %s\n", what);
  std::abort();
}

// The replica after the history, as the agent stores it: replaying the history for every input
// would cost more than the input.
struct Stored {
  std::string context;
  std::vector<std::string> grants;
};

const Stored& AfterHistory() {
  static const Stored* stored = [] {
    agent::Replica replica("acme");
    uint64_t index = 0;
    for (const std::string& entry : History()) replica.Apply(index++, entry);
    for (const std::string& violation : replica.TakeViolations()) {
      std::fprintf(stderr, "replica_fuzzer: the history breaks the rules: %s\n", violation.c_str());
      std::abort();
    }
    auto* out = new Stored{replica.ContextJson(), {}};
    for (const std::string& id : replica.TakeChangedGrants())
      out->grants.push_back(agent::Replica::GrantJson(*replica.FindGrant(id)));
    return out;
  }();
  return *stored;
}

// The replica loaded from what it stored after the history, as an agent restarts; each input is
// applied to a copy of it.
const agent::Replica& Loaded() {
  static const agent::Replica* loaded = [] {
    auto* replica = new agent::Replica("acme");
    Check(replica->LoadContext(AfterHistory().context).ok(), "the history's context does not load");
    for (const std::string& grant : AfterHistory().grants)
      Check(replica->LoadGrant(grant).ok(), "a grant of the history does not load");
    (void)replica->TakeChangedGrants();
    return replica;
  }();
  return *loaded;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    agent::Replica replica = Loaded();
    const uint64_t revision = replica.context_revision();
    uint64_t index = History().size();
    while (!input.empty()) {
      const size_t newline = input.find('\n');
      replica.Apply(index++, input.substr(0, newline));
      input.remove_prefix(newline == std::string_view::npos ? input.size() : newline + 1);
    }
    (void)replica.TakeViolations();
    (void)replica.RotationsDue(kMondayTen + 7200);
    // What the agent stores of its replica loads back, whatever the entries did to it. A context
    // whose revision stayed is serialised one time in 64 only, to check that it did stay.
    agent::Replica restored("acme");
    static uint64_t runs = 0;
    if (replica.context_revision() != revision || ++runs % 64 == 0) {
      const std::string context = replica.ContextJson();
      if (replica.context_revision() == revision)
        Check(context == AfterHistory().context, "the context changed and its revision did not");
      if (context != AfterHistory().context)
        Check(restored.LoadContext(context).ok(), "the stored context does not load");
    }
    for (const std::string& id : replica.TakeChangedGrants()) {
      const agent::GrantRecord* record = replica.FindGrant(id);
      if (record == nullptr) continue;
      Check(restored.LoadGrant(agent::Replica::GrantJson(*record)).ok(),
            "a stored grant does not load");
    }
  } catch (...) {
    Check(false, "replay threw an exception");
  }
  return 0;
}
