#include "agent/replica.h"

#include "access/local_time.h"
#include "base/bytes.h"
#include "ssh/key.h"

namespace quartet::agent {

void Replica::Violation(uint64_t index, const std::string& what) {
  violations_.push_back("entry " + std::to_string(index) + ": " + what);
}

void Replica::Taint(GrantRecord& record, uint64_t index, const std::string& why) {
  if (record.tainted.empty()) record.tainted = "entry " + std::to_string(index) + ": " + why;
  record.expected.clear();
  Violation(index, "grant " + record.grant.request().id + ": " + why);
}

std::vector<std::string> Replica::TakeViolations() { return std::exchange(violations_, {}); }

std::set<std::string> Replica::TakeChangedGrants() { return std::exchange(changed_, {}); }

const GrantRecord* Replica::FindGrant(const std::string& id) const {
  auto it = grants_.find(id);
  return it == grants_.end() ? nullptr : &it->second;
}

void Replica::Apply(uint64_t index, std::string_view entry) {
  if (Status applied = ApplyEvent(index, entry); !applied.ok()) Violation(index, applied.message());
}

Status Replica::ApplyEvent(uint64_t index, std::string_view entry) {
  const StatusOr<Json> value = ParseJson(entry, "the entry");
  if (!value.ok() || !value->is_object()) return InvalidArgumentError("not an event");
  ASSIGN_OR_RETURN(const JsonObject event, JsonObject::Of(*value, "the event"));
  // An absent field reads as empty (the checks below refuse what needs it); a field of the wrong
  // type is a breach in itself.
  ASSIGN_OR_RETURN(const std::string kind, event.Text("kind", Field::kOptional));
  ASSIGN_OR_RETURN(const std::string client, event.Text("client", Field::kOptional));
  if (client != client_) return InvalidArgumentError("an event of another client");
  if (kind.starts_with("grant.") || kind == "breakglass.reviewed") {
    ASSIGN_OR_RETURN(const std::string grant, event.Text("grant", Field::kOptional));
    ApplyGrantEvent(index, kind, grant, entry, event);
    return Status::Ok();
  }
  // Grant events read the context; every other event of this client may change it.
  ++context_revision_;
  if (kind.starts_with("credential.")) return ApplyCredentialEvent(kind, event);
  if (kind == "trust.statement") {
    ASSIGN_OR_RETURN(const std::string statement, event.Text("statement", Field::kOptional));
    // Who founds the chain is the one thing its signatures cannot say: the owner told the agent
    // which key of theirs confirms it, and only a confirmation that key signed, as a device of the
    // chain, counts (MayIssue). A genesis founded by that key is the client's chain whatever came
    // before it; any other genesis is taken while the log shows no chain, and opens no door
    // unless that key later joins it (the chain of an agent that replaces another was often
    // founded by another device of the owners).
    const bool pinned = !founder_key_id_.empty();
    const bool genesis_first =
        pinned && (!Chained() || chain_.state().OwnerOf(founder_key_id_) == nullptr);
    trust::Chain genesis(client_);
    trust::Chain& target = genesis_first ? genesis : chain_;
    if (Status applied = target.Apply(statement); !applied.ok()) {
      if (!genesis_first || !Chained())
        return PermissionDeniedError("a trust statement the client's chain refuses: " +
                                     applied.message());
      if (Status onto_chain = chain_.Apply(statement); !onto_chain.ok())
        return PermissionDeniedError("a trust statement the client's chain refuses: " +
                                     onto_chain.message());
    } else if (genesis_first) {
      const bool founded_by_pin = genesis.state().OwnerOf(founder_key_id_) != nullptr;
      if (Chained() && !founded_by_pin)
        return PermissionDeniedError(
            "a second genesis, not founded by the owner key named in "
            "the agent's enrolment code");
      if (Chained()) {
        Violation(index,
                  "the trust chain the log showed first was not founded by the owner key named "
                  "in the agent's enrolment code; the chain that key founded replaces it");
        trust_statements_.clear();
      }
      chain_ = std::move(genesis);
    }
    trust_statements_.push_back(statement);
    // Replaced: the owners confirmed another agent in place of this one.
    const std::optional<trust::AgentIdentity>& agent = chain_.state().agent;
    const std::optional<trust::AgentIdentity>& previous = chain_.state().previous_agent;
    if (agent.has_value() && !self_.witness_key.empty() && agent->seq + 1 == chain_.state().size &&
        previous.has_value() && IsSelf(previous->witness_key, previous->ssh_ca_key) &&
        !IsSelf(agent->witness_key, agent->ssh_ca_key)) {
      Violation(index, "the client's owners confirmed another agent (" + agent->name +
                           "): this one opens no door from now on");
    }
    // Confirmed with a sealing key that is not this agent's: credentials would be sealed to a key
    // someone else holds.
    if (agent.has_value() && !self_.witness_key.empty() && agent->seq + 1 == chain_.state().size &&
        IsSelf(agent->witness_key, agent->ssh_ca_key) && !agent->sealing_key.empty() &&
        agent->sealing_key != self_.sealing_key) {
      Violation(index,
                "the client's owners confirmed this agent with a sealing key that is not its own "
                "(" +
                    agent->sealing_key + "): do not store credentials until they confirm it again");
    }
    if (!chain_.state().policy.empty()) {
      ASSIGN_OR_RETURN(policy_, access::PolicyFromJson(chain_.state().policy));
      have_policy_ = true;
    }
    return Status::Ok();
  }
  if (kind == "agent.enrolled" || kind == "agent.replacement_enrolled") {
    ASSIGN_OR_RETURN(const std::string witness_key, event.Text("witness_key", Field::kOptional));
    ASSIGN_OR_RETURN(const std::string ssh_ca_key, event.Text("ssh_ca_key", Field::kOptional));
    const bool self = !self_.witness_key.empty() && IsSelf(witness_key, ssh_ca_key);
    // One waiting to replace the confirmed agent opens nothing until the owners confirm it.
    if (kind == "agent.enrolled" && !self) RETURN_IF_ERROR(CheckEnrolledAgent(event));
    self_enrolled_ |= self;
    return Status::Ok();
  }
  if (Chained() &&
      (kind == "policy.changed" || kind == "person.added" || kind == "owner.key_registered")) {
    // The chain says who the owners are, which keys are theirs and which policy is in force; the
    // server's word on them counts for nothing. A policy put in force without the owners'
    // signatures is a breach; people and keys the server records are its own business.
    if (kind == "policy.changed")
      return PermissionDeniedError("a policy the client's owners did not sign is ignored");
    return Status::Ok();
  }
  if (kind == "policy.changed") {
    // The first policy is the provider's safe default at the client's creation; every later one
    // is an owner's.
    if (have_policy_) {
      ASSIGN_OR_RETURN(const std::string by, event.Text("by", Field::kOptional));
      if (owners_.count(by) == 0)
        return PermissionDeniedError("a policy change not made by an owner is ignored");
    }
    ASSIGN_OR_RETURN(const std::string text, event.Text("policy", Field::kOptional));
    auto policy = access::PolicyFromJson(text);
    if (!policy.ok())
      return InvalidArgumentError("a policy that does not parse: " + policy.status().message());
    policy_ = std::move(*policy);
    have_policy_ = true;
  } else if (kind == "person.added") {
    ASSIGN_OR_RETURN(const std::string role, event.Text("role", Field::kOptional));
    if (role == "owner") {
      ASSIGN_OR_RETURN(std::string user, event.Text("user", Field::kOptional));
      owners_.insert(std::move(user));
    }
  } else if (kind == "owner.key_registered") {
    ASSIGN_OR_RETURN(const std::string owner, event.Text("owner", Field::kOptional));
    if (owners_.count(owner) == 0)
      return PermissionDeniedError("a key registered for '" + owner + "', who is no owner");
    ASSIGN_OR_RETURN(const std::string public_key, event.Text("public_key", Field::kOptional));
    auto bytes = Base64Decode(public_key);
    if (!bytes.ok()) return InvalidArgumentError("an owner key that does not decode");
    ASSIGN_OR_RETURN(const std::string key_id, event.Text("key_id", Field::kOptional));
    auto key = access::OwnerKey::FromPublicKey(*bytes);
    if (!key.ok() || key->Id() != key_id)
      return InvalidArgumentError("an owner key that is not valid");
    owner_keys_[owner][key->Id()] = *key;
  } else if (kind == "relationship.added") {
    ASSIGN_OR_RETURN(std::string technician, event.Text("technician", Field::kOptional));
    technicians_.insert(std::move(technician));
  } else if (kind == "team.related") {
    ASSIGN_OR_RETURN(const std::vector<std::string> members,
                     event.Texts("members", Field::kOptional));
    technicians_.insert(members.begin(), members.end());
  } else if (kind == "staff.offboarded") {
    ASSIGN_OR_RETURN(std::string user, event.Text("user", Field::kOptional));
    offboarded_.insert(std::move(user));
  } else if (kind == "resource.added") {
    ASSIGN_OR_RETURN(const std::string kind_name, event.Text("resource_kind", Field::kOptional));
    auto resource_kind = access::ResourceKindFromName(kind_name);
    if (!resource_kind.ok()) return InvalidArgumentError("a resource of unknown kind");
    ASSIGN_OR_RETURN(const std::string resource, event.Text("resource", Field::kOptional));
    ASSIGN_OR_RETURN(const int64_t labels, event.Integer("labels", Field::kOptional));
    resources_[resource] = {*resource_kind, static_cast<access::LabelSet>(labels)};
  }
  // Other events (people, teams, relationships, certificates, the agent's own) change nothing the
  // agent decides on.
  return Status::Ok();
}

const CredentialRecord* Replica::FindCredential(const std::string& resource,
                                                const std::string& name) const {
  auto it = credentials_.find({resource, name});
  return it == credentials_.end() ? nullptr : &it->second;
}

std::vector<std::pair<std::string, std::string>> Replica::RotationsDue(int64_t now) const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, record] : credentials_) {
    if (record.held_by.empty() || record.rotate.empty()) continue;
    // Rotated already, as far as the agent knows: the log has yet to show it.
    const std::string prefix = key.first + "\n" + key.second + "\n";
    auto expected = expected_rotations_.lower_bound(prefix);
    if (expected != expected_rotations_.end() && expected->starts_with(prefix)) continue;
    // A leaver's reveal is due at once, whatever the server did with their grants.
    const GrantRecord* grant = FindGrant(record.held_by);
    if (grant == nullptr || !grant->tainted.empty() || !grant->grant.IsLive(now) ||
        offboarded_.count(record.holder) > 0)
      out.push_back(key);
  }
  return out;
}

namespace {
std::string RotationKey(const std::string& resource, const std::string& name, uint64_t version,
                        const std::string& commitment) {
  return resource + "\n" + name + "\n" + std::to_string(version) + "\n" + commitment;
}
}  // namespace

void Replica::NoteReveal(const std::string& resource, const std::string& name,
                         const std::string& grant, const std::string& technician,
                         uint64_t version) {
  auto found = credentials_.find({resource, name});
  if (found == credentials_.end() || found->second.version != version) return;
  ++context_revision_;
  found->second.held_by = grant;
  found->second.holder = technician;
  found->second.held_version = version;
}

void Replica::ExpectRotation(const std::string& resource, const std::string& name, uint64_t version,
                             const std::string& commitment) {
  ++context_revision_;
  expected_rotations_.insert(RotationKey(resource, name, version, commitment));
}

Status Replica::ApplyCredentialEvent(const std::string& kind, const JsonObject& event) {
  ASSIGN_OR_RETURN(const std::string resource, event.Text("resource", Field::kOptional));
  ASSIGN_OR_RETURN(const std::string name, event.Text("name", Field::kOptional));
  ASSIGN_OR_RETURN(const uint64_t version, event.Unsigned("version", Field::kOptional));
  auto found = credentials_.find({resource, name});
  const uint64_t current = found == credentials_.end() ? 0 : found->second.version;
  const std::string what = "credential " + resource + "/" + name;
  if (kind == "credential.stored" || kind == "credential.rotated") {
    if (version != current + 1)
      return InvalidArgumentError(what + ": version " + std::to_string(version) +
                                  " does not follow version " + std::to_string(current));
    ASSIGN_OR_RETURN(const std::string commitment, event.Text("commitment", Field::kOptional));
    if (kind == "credential.rotated") {
      if (found == credentials_.end())
        return InvalidArgumentError(what + ": rotated, never stored");
      // Only the agent rotates: one it did not make would free a secret it revealed.
      if (expected_rotations_.erase(RotationKey(resource, name, version, commitment)) == 0)
        return PermissionDeniedError(what + ": a rotation to version " + std::to_string(version) +
                                     " that the agent did not make is ignored");
      CredentialRecord& record = found->second;
      record.version = version;
      record.commitment = commitment;
      record.held_by.clear();
      record.holder.clear();
      record.held_version = 0;
      return Status::Ok();
    }
    // A version stored by people replaces the one revealed: they changed the secret by hand.
    CredentialRecord record;
    record.version = version;
    record.commitment = commitment;
    ASSIGN_OR_RETURN(record.exclusive, event.Boolean("exclusive", Field::kOptional));
    ASSIGN_OR_RETURN(record.rotate, event.Text("rotate", Field::kOptional));
    credentials_[{resource, name}] = std::move(record);
    return Status::Ok();
  }
  if (kind == "credential.revealed") {
    if (found == credentials_.end() || version != current)
      return InvalidArgumentError(what + ": a reveal of version " + std::to_string(version) +
                                  ", which the log does not hold");
    CredentialRecord& record = found->second;
    ASSIGN_OR_RETURN(record.held_by, event.Text("grant", Field::kOptional));
    ASSIGN_OR_RETURN(record.holder, event.Text("technician", Field::kOptional));
    record.held_version = version;
  }
  // Refusals and failed rotations change nothing the agent decides on.
  return Status::Ok();
}

void Replica::ApplyGrantEvent(uint64_t index, const std::string& kind, const std::string& grant_id,
                              std::string_view entry, const JsonObject& event) {
  auto it = grants_.find(grant_id);
  if (kind == "grant.requested") {
    if (it != grants_.end()) return Taint(it->second, index, "requested twice");
    StatusOr<std::string> canonical = event.Text("request", Field::kOptional);
    StatusOr<access::GrantRequest> request =
        canonical.ok() ? access::ParseCanonicalRequest(*canonical)
                       : StatusOr<access::GrantRequest>(canonical.status());
    if (!request.ok() || request->id != grant_id || request->client != client_) {
      return Violation(index, "grant " + grant_id + ": a request that does not parse");
    }
    GrantRecord& record =
        grants_
            .emplace(
                grant_id,
                GrantRecord{access::Grant::Restore(*request, {}, std::move(*canonical)), {}, {}})
            .first->second;
    changed_.insert(grant_id);
    if (tracks_technicians_ && !technicians_.contains(request->technician))
      return Taint(record, index, request->technician + " does not serve the client in its log");
    if (offboarded_.contains(request->technician))
      return Taint(record, index, request->technician + " was offboarded");
    auto resource = resources_.find(request->resource);
    if (resource == resources_.end())
      return Taint(record, index, "a resource the log does not list");
    // Under a trust chain, what a resource holds is what the owners signed (everything while they
    // have signed nothing); the server's word on it counts for nothing.
    Resource expected = resource->second;
    if (Chained()) {
      auto terms = chain_.state().resources.find(request->resource);
      if (terms != chain_.state().resources.end()) expected.kind = terms->second.kind;
      expected.labels = chain_.state().LabelsOf(request->resource);
    }
    if (expected.kind != request->kind || expected.labels != request->labels) {
      return Taint(record, index, "the request misstates the resource's kind or labels");
    }
    if (!have_policy_) return Taint(record, index, "no policy in force");
    auto local = access::ToLocalTime(request->requested_at, policy_.time_zone);
    if (!local.ok()) return Taint(record, index, "the policy's time zone is unknown");
    std::vector<std::string> produced;
    auto opened = access::Grant::Open(*request, policy_, *local, produced);
    if (!opened.ok())
      return Taint(record, index,
                   "a request the policy refuses outright: " + opened.status().message());
    record.grant = std::move(*opened);
    if (produced.empty() || produced.front() != entry)
      return Taint(record, index, "the request is not as logged");
    record.expected.assign(produced.begin() + 1, produced.end());
    return;
  }
  if (it == grants_.end())
    return Violation(index, "an event of grant " + grant_id + ", which was never requested");
  GrantRecord& record = it->second;
  changed_.insert(grant_id);
  if (!record.tainted.empty()) return;
  if (!record.expected.empty()) {
    if (record.expected.front() != entry)
      return Taint(record, index, "'" + kind + "' is not what the policy decided");
    record.expected.pop_front();
    return;
  }
  std::vector<std::string> produced;
  if (Status changed = ChangeGrant(kind, event, record.grant, produced); !changed.ok())
    return Taint(record, index, changed.message());
  if (produced.empty() || produced.front() != entry)
    return Taint(record, index, "'" + kind + "' is not as logged");
  record.expected.assign(produced.begin() + 1, produced.end());
}

Status Replica::ChangeGrant(const std::string& kind, const JsonObject& event, access::Grant& grant,
                            std::vector<std::string>& produced) const {
  ASSIGN_OR_RETURN(const int64_t at, event.Integer("at", Field::kOptional));
  Status status = Status::Ok();
  if (kind == "grant.approved" || kind == "grant.denied") {
    ASSIGN_OR_RETURN(const std::string owner, event.Text("owner", Field::kOptional));
    if (!IsOwner(owner))
      return PermissionDeniedError("decided by '" + owner + "', who is no owner");
    ASSIGN_OR_RETURN(const std::string key_id, event.Text("key_id", Field::kOptional));
    const std::optional<access::OwnerKey> found = OwnerKeyOf(owner, key_id);
    if (!found.has_value()) {
      return PermissionDeniedError(
          Chained() ? "signed with a key that is not " + owner + "'s in the client's trust chain"
                    : "signed with a key the log never registered for " + owner);
    }
    const access::OwnerKey& key = *found;
    ASSIGN_OR_RETURN(const std::string encoded, event.Text("signature", Field::kOptional));
    auto signature = Base64Decode(encoded);
    if (!signature.ok()) return InvalidArgumentError("a signature that does not decode");
    ASSIGN_OR_RETURN(const std::string comment, event.Text("comment", Field::kOptional));
    status = kind == "grant.approved" ? grant.Approve(owner, key, *signature, comment, at, produced)
                                      : grant.Deny(owner, key, *signature, comment, at, produced);
  } else if (kind == "grant.ended") {
    ASSIGN_OR_RETURN(const std::string by, event.Text("by", Field::kOptional));
    status = grant.End(by, at, produced);
  } else if (kind == "grant.revoked") {
    ASSIGN_OR_RETURN(const std::string by, event.Text("by", Field::kOptional));
    ASSIGN_OR_RETURN(const std::string reason, event.Text("reason", Field::kOptional));
    status = grant.Revoke(by, reason, at, produced);
  } else if (kind == "grant.expired") {
    grant.ExpireIfStale(at, produced);
  } else if (kind == "breakglass.reviewed") {
    ASSIGN_OR_RETURN(const std::string owner, event.Text("owner", Field::kOptional));
    if (!IsOwner(owner))
      return PermissionDeniedError("reviewed by '" + owner + "', who is no owner");
    ASSIGN_OR_RETURN(const std::string verdict, event.Text("verdict", Field::kOptional));
    if (verdict != "acknowledged" && verdict != "disputed")
      return InvalidArgumentError("an unknown review verdict");
    ASSIGN_OR_RETURN(const std::string comment, event.Text("comment", Field::kOptional));
    status = grant.Review(owner,
                          verdict == "acknowledged" ? access::BreakglassReview::kAcknowledged
                                                    : access::BreakglassReview::kDisputed,
                          comment, at, produced);
  } else {
    return InvalidArgumentError("'" + kind + "' that no change of the grant produces");
  }
  return status.WithContext("'" + kind + "' refused");
}

namespace {

// An SSH public key in its authorized_keys form without a comment; the text itself if it does not
// parse (then it equals no real key).
std::string NormalSshKey(const std::string& line) {
  auto key = ssh::ParsePublicKey(line);
  return key.ok() ? ssh::FormatPublicKey(*key, "") : line;
}

}  // namespace

bool Replica::IsSelf(const std::string& witness_key, const std::string& ssh_ca_key) const {
  return witness_key == self_.witness_key &&
         NormalSshKey(ssh_ca_key) == NormalSshKey(self_.ssh_ca_key);
}

Status Replica::CheckEnrolledAgent(const JsonObject& event) const {
  // The server names the agent it talks to; only the owners' confirmation makes it theirs. An
  // agent enrolled beside the one the chain confirms (or beside this one, before a confirmation)
  // could be the provider's own, holding a CA of its own.
  if (!Chained()) return Status::Ok();
  ASSIGN_OR_RETURN(const std::string witness_key, event.Text("witness_key", Field::kOptional));
  ASSIGN_OR_RETURN(const std::string ssh_ca_key, event.Text("ssh_ca_key", Field::kOptional));
  ASSIGN_OR_RETURN(const std::string name, event.Text("name", Field::kOptional));
  const std::optional<trust::AgentIdentity>& confirmed = chain_.state().agent;
  // Before a confirmation, only an agent enrolled after this one is beside it: those before are
  // history (an agent this one replaces).
  const bool known =
      confirmed.has_value()
          ? witness_key == confirmed->witness_key &&
                NormalSshKey(ssh_ca_key) == NormalSshKey(confirmed->ssh_ca_key)
          : self_.witness_key.empty() || !self_enrolled_ || IsSelf(witness_key, ssh_ca_key);
  if (known) return Status::Ok();
  return PermissionDeniedError("an agent '" + name +
                               "' was enrolled that the client's owners did not confirm; its "
                               "certificates are not the client's");
}

Status Replica::MayIssue() const {
  if (!Chained()) {
    if (founder_key_id_.empty()) return Status::Ok();
    return FailedPreconditionError(
        "the client's owner has not started the trust chain yet (quartet trust init), and this "
        "agent opens no door until the owner has and has confirmed it");
  }
  const std::optional<trust::AgentIdentity>& agent = chain_.state().agent;
  if (!agent.has_value()) {
    return FailedPreconditionError(
        "the client's owners have not confirmed this agent yet (quartet agent confirm with the "
        "safety code it printed)");
  }
  if (self_.witness_key.empty() || !IsSelf(agent->witness_key, agent->ssh_ca_key))
    return FailedPreconditionError("the client's owners confirmed another agent (" + agent->name +
                                   ")");
  if (!founder_key_id_.empty() && std::find(agent->confirmed_by.begin(), agent->confirmed_by.end(),
                                            founder_key_id_) == agent->confirmed_by.end()) {
    return FailedPreconditionError(
        "this agent was confirmed without the owner key named in its enrolment code");
  }
  return Status::Ok();
}

bool Replica::IsOwner(const std::string& user) const {
  return Chained() ? chain_.state().owners.contains(user) : owners_.contains(user);
}

std::optional<access::OwnerKey> Replica::OwnerKeyOf(const std::string& owner,
                                                    const std::string& key_id) const {
  if (Chained()) {
    auto devices = chain_.state().owners.find(owner);
    if (devices == chain_.state().owners.end()) return std::nullopt;
    auto device = devices->second.find(key_id);
    if (device == devices->second.end()) return std::nullopt;
    return access::OwnerKey{device->second.public_key};
  }
  auto keys = owner_keys_.find(owner);
  if (keys == owner_keys_.end()) return std::nullopt;
  auto key = keys->second.find(key_id);
  if (key == keys->second.end()) return std::nullopt;
  return key->second;
}

std::string Replica::ContextJson() const {
  Json keys = Json::object();
  for (const auto& [owner, by_id] : owner_keys_) {
    for (const auto& [id, key] : by_id) keys[owner][id] = Base64Encode(key.public_key);
  }
  Json resources = Json::object();
  for (const auto& [name, resource] : resources_) {
    resources[name] = {{"kind", std::string(access::KindName(resource.kind))},
                       {"labels", resource.labels}};
  }
  Json out = {{"owners", owners_}, {"owner_keys", keys}, {"resources", resources}};
  if (tracks_technicians_) out["technicians"] = technicians_;
  out["offboarded"] = offboarded_;
  if (have_policy_) out["policy"] = access::ToJson(policy_);
  if (!trust_statements_.empty()) out["trust"] = trust_statements_;
  if (self_enrolled_) out["self_enrolled"] = true;
  if (!credentials_.empty()) {
    Json credentials = Json::array();
    for (const auto& [key, record] : credentials_) {
      credentials.push_back({{"resource", key.first},
                             {"name", key.second},
                             {"version", record.version},
                             {"commitment", record.commitment},
                             {"exclusive", record.exclusive},
                             {"rotate", record.rotate},
                             {"held_by", record.held_by},
                             {"holder", record.holder},
                             {"held_version", record.held_version}});
    }
    out["credentials"] = std::move(credentials);
  }
  if (!expected_rotations_.empty()) out["expected_rotations"] = expected_rotations_;
  return CanonicalJsonOf(out);
}

Status Replica::ReadContext(const JsonObject& value) {
  ++context_revision_;
  ASSIGN_OR_RETURN(const std::vector<std::string> owners, value.Texts("owners", Field::kRequired));
  ASSIGN_OR_RETURN(const JsonObject keys, value.Object("owner_keys", Field::kRequired));
  ASSIGN_OR_RETURN(const JsonObject resources, value.Object("resources", Field::kRequired));
  owners_ = std::set<std::string>(owners.begin(), owners.end());
  owner_keys_.clear();
  for (const auto& [owner, member] : keys.json().items()) {
    ASSIGN_OR_RETURN(const JsonObject by_id, keys.Object(owner, Field::kRequired));
    for (const auto& [id, encoded] : member.items()) {
      ASSIGN_OR_RETURN(const std::string text, by_id.Text(id, Field::kRequired));
      ASSIGN_OR_RETURN(const Bytes bytes, Base64Decode(text));
      ASSIGN_OR_RETURN(access::OwnerKey key, access::OwnerKey::FromPublicKey(bytes));
      owner_keys_[owner][id] = std::move(key);
    }
  }
  resources_.clear();
  for (const auto& [name, member] : resources.json().items()) {
    ASSIGN_OR_RETURN(const JsonObject resource, resources.Object(name, Field::kRequired));
    ASSIGN_OR_RETURN(const std::string kind_name, resource.Text("kind", Field::kRequired));
    ASSIGN_OR_RETURN(const access::ResourceKind kind, access::ResourceKindFromName(kind_name));
    ASSIGN_OR_RETURN(const uint64_t labels, resource.Unsigned("labels", Field::kRequired));
    resources_[name] = {kind, static_cast<access::LabelSet>(labels)};
  }
  tracks_technicians_ = value.Has("technicians");
  ASSIGN_OR_RETURN(const std::vector<std::string> technicians,
                   value.Texts("technicians", Field::kOptional));
  technicians_ = std::set<std::string>(technicians.begin(), technicians.end());
  ASSIGN_OR_RETURN(const std::vector<std::string> offboarded,
                   value.Texts("offboarded", Field::kOptional));
  offboarded_ = std::set<std::string>(offboarded.begin(), offboarded.end());
  ASSIGN_OR_RETURN(trust_statements_, value.Texts("trust", Field::kOptional));
  ASSIGN_OR_RETURN(self_enrolled_, value.Boolean("self_enrolled", Field::kOptional));
  ASSIGN_OR_RETURN(chain_, trust::Chain::Replay(client_, trust_statements_));
  credentials_.clear();
  ASSIGN_OR_RETURN(const std::vector<JsonObject> credentials,
                   value.Objects("credentials", Field::kOptional));
  for (const JsonObject& credential : credentials) {
    ASSIGN_OR_RETURN(const std::string resource, credential.Text("resource", Field::kRequired));
    ASSIGN_OR_RETURN(const std::string name, credential.Text("name", Field::kRequired));
    CredentialRecord record;
    ASSIGN_OR_RETURN(record.version, credential.Unsigned("version", Field::kRequired));
    ASSIGN_OR_RETURN(record.commitment, credential.Text("commitment", Field::kRequired));
    ASSIGN_OR_RETURN(record.exclusive, credential.Boolean("exclusive", Field::kRequired));
    ASSIGN_OR_RETURN(record.rotate, credential.Text("rotate", Field::kRequired));
    ASSIGN_OR_RETURN(record.held_by, credential.Text("held_by", Field::kRequired));
    ASSIGN_OR_RETURN(record.holder, credential.Text("holder", Field::kRequired));
    ASSIGN_OR_RETURN(record.held_version, credential.Unsigned("held_version", Field::kRequired));
    credentials_[{resource, name}] = std::move(record);
  }
  ASSIGN_OR_RETURN(const std::vector<std::string> expected,
                   value.Texts("expected_rotations", Field::kOptional));
  expected_rotations_ = std::set<std::string>(expected.begin(), expected.end());
  have_policy_ = value.Has("policy");
  if (have_policy_) {
    ASSIGN_OR_RETURN(const std::string policy, value.Text("policy", Field::kRequired));
    ASSIGN_OR_RETURN(policy_, access::PolicyFromJson(policy));
  }
  return Status::Ok();
}

Status Replica::LoadContext(std::string_view text) {
  StatusOr<JsonDocument> document = JsonDocument::Parse(text, "the context");
  Status status = document.ok() ? ReadContext(document->root()) : document.status();
  if (!status.ok())
    return DataLossError("the agent's stored context is malformed: " + status.message());
  return Status::Ok();
}

std::string Replica::GrantJson(const GrantRecord& record) {
  return CanonicalJsonOf(Json{{"request", record.grant.canonical_request()},
                              {"progress", access::ProgressToJson(record.grant.progress())},
                              {"expected", record.expected},
                              {"tainted", record.tainted}});
}

Status Replica::LoadGrant(std::string_view text) {
  auto read = [&]() -> Status {
    ASSIGN_OR_RETURN(const JsonDocument document, JsonDocument::Parse(text, "the grant"));
    const JsonObject value = document.root();
    ASSIGN_OR_RETURN(std::string canonical, value.Text("request", Field::kRequired));
    ASSIGN_OR_RETURN(const std::string progress_text, value.Text("progress", Field::kRequired));
    ASSIGN_OR_RETURN(const std::vector<std::string> expected,
                     value.Texts("expected", Field::kRequired));
    ASSIGN_OR_RETURN(std::string tainted, value.Text("tainted", Field::kRequired));
    ASSIGN_OR_RETURN(access::GrantRequest request, access::ParseCanonicalRequest(canonical));
    ASSIGN_OR_RETURN(access::GrantProgress progress, access::ProgressFromJson(progress_text));
    const std::string id = request.id;
    grants_.insert_or_assign(
        id,
        GrantRecord{
            access::Grant::Restore(std::move(request), std::move(progress), std::move(canonical)),
            std::deque<std::string>(expected.begin(), expected.end()), std::move(tainted)});
    return Status::Ok();
  };
  if (Status status = read(); !status.ok())
    return DataLossError("a stored grant is malformed: " + status.message());
  return Status::Ok();
}

}  // namespace quartet::agent
