#include "agent/replica.h"

#include <nlohmann/json.hpp>

#include "access/local_time.h"
#include "base/bytes.h"

namespace quartet::agent {

using Json = nlohmann::json;

// The fields of one event, read without exceptions.
struct EventView {
  const Json& value;
  std::string Text(const char* key) const {
    auto it = value.find(key);
    return it != value.end() && it->is_string() ? it->get<std::string>() : std::string();
  }
  int64_t Integer(const char* key) const {
    auto it = value.find(key);
    return it != value.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
  }
};

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
  return it == grants_.end() ? nullptr : it->second.get();
}

void Replica::Apply(uint64_t index, std::string_view entry) {
  const Json value = Json::parse(entry, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded() || !value.is_object()) return Violation(index, "not an event");
  const EventView event{value};
  const std::string kind = event.Text("kind");
  if (event.Text("client") != client_) return Violation(index, "an event of another client");
  const std::string grant = event.Text("grant");
  if (kind.starts_with("grant.") || kind == "breakglass.reviewed") {
    return ApplyGrantEvent(index, kind, grant, entry, event);
  }
  if (kind == "policy.changed") {
    // The first policy is the provider's safe default at the client's creation; every later one
    // is an owner's.
    if (have_policy_ && owners_.count(event.Text("by")) == 0) {
      return Violation(index, "a policy change not made by an owner is ignored");
    }
    auto policy = access::PolicyFromJson(event.Text("policy"));
    if (!policy.ok())
      return Violation(index, "a policy that does not parse: " + policy.status().message());
    policy_ = std::move(*policy);
    have_policy_ = true;
  } else if (kind == "person.added") {
    if (event.Text("role") == "owner") owners_.insert(event.Text("user"));
  } else if (kind == "owner.key_registered") {
    const std::string owner = event.Text("owner");
    if (owners_.count(owner) == 0)
      return Violation(index, "a key registered for '" + owner + "', who is no owner");
    auto bytes = Base64Decode(event.Text("public_key"));
    if (!bytes.ok()) return Violation(index, "an owner key that does not decode");
    auto key = access::OwnerKey::FromPublicKey(*bytes);
    if (!key.ok() || key->Id() != event.Text("key_id"))
      return Violation(index, "an owner key that is not valid");
    owner_keys_[owner][key->Id()] = *key;
  } else if (kind == "resource.added") {
    auto resource_kind = access::ResourceKindFromName(event.Text("resource_kind"));
    if (!resource_kind.ok()) return Violation(index, "a resource of unknown kind");
    resources_[event.Text("resource")] = {*resource_kind,
                                          static_cast<access::LabelSet>(event.Integer("labels"))};
  }
  // Other events (people, teams, relationships, certificates, the agent's own) change nothing the
  // agent decides on.
}

void Replica::ApplyGrantEvent(uint64_t index, const std::string& kind, const std::string& grant_id,
                              std::string_view entry, const EventView& event) {
  auto it = grants_.find(grant_id);
  if (kind == "grant.requested") {
    if (it != grants_.end()) return Taint(*it->second, index, "requested twice");
    std::string canonical(event.Text("request"));
    auto request = access::ParseCanonicalRequest(canonical);
    if (!request.ok() || request->id != grant_id || request->client != client_) {
      return Violation(index, "grant " + grant_id + ": a request that does not parse");
    }
    auto placeholder = std::make_unique<GrantRecord>(
        GrantRecord{access::Grant::Restore(*request, {}, std::move(canonical)), {}, {}});
    GrantRecord& record = *grants_.emplace(grant_id, std::move(placeholder)).first->second;
    changed_.insert(grant_id);
    auto resource = resources_.find(request->resource);
    if (resource == resources_.end())
      return Taint(record, index, "a resource the log does not list");
    if (resource->second.kind != request->kind || resource->second.labels != request->labels) {
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
  GrantRecord& record = *it->second;
  changed_.insert(grant_id);
  if (!record.tainted.empty()) return;
  if (!record.expected.empty()) {
    if (record.expected.front() != entry)
      return Taint(record, index, "'" + kind + "' is not what the policy decided");
    record.expected.pop_front();
    return;
  }
  access::Grant& grant = record.grant;
  const int64_t at = event.Integer("at");
  std::vector<std::string> produced;
  Status status = Status::Ok();
  if (kind == "grant.approved" || kind == "grant.denied") {
    const std::string owner = event.Text("owner");
    if (owners_.count(owner) == 0)
      return Taint(record, index, "decided by '" + owner + "', who is no owner");
    auto keys = owner_keys_.find(owner);
    auto key = keys == owner_keys_.end() ? decltype(keys->second.end()){}
                                         : keys->second.find(event.Text("key_id"));
    if (keys == owner_keys_.end() || key == keys->second.end()) {
      return Taint(record, index, "signed with a key the log never registered for " + owner);
    }
    auto signature = Base64Decode(event.Text("signature"));
    if (!signature.ok()) return Taint(record, index, "a signature that does not decode");
    status =
        kind == "grant.approved"
            ? grant.Approve(owner, key->second, *signature, event.Text("comment"), at, produced)
            : grant.Deny(owner, key->second, *signature, event.Text("comment"), at, produced);
  } else if (kind == "grant.ended") {
    status = grant.End(event.Text("by"), at, produced);
  } else if (kind == "grant.revoked") {
    status = grant.Revoke(event.Text("by"), event.Text("reason"), at, produced);
  } else if (kind == "grant.expired") {
    grant.ExpireIfStale(at, produced);
  } else if (kind == "breakglass.reviewed") {
    const std::string owner = event.Text("owner");
    if (owners_.count(owner) == 0)
      return Taint(record, index, "reviewed by '" + owner + "', who is no owner");
    const std::string verdict = event.Text("verdict");
    if (verdict != "acknowledged" && verdict != "disputed")
      return Taint(record, index, "an unknown review verdict");
    status = grant.Review(owner,
                          verdict == "acknowledged" ? access::BreakglassReview::kAcknowledged
                                                    : access::BreakglassReview::kDisputed,
                          event.Text("comment"), at, produced);
  } else {
    return Taint(record, index, "'" + kind + "' that no change of the grant produces");
  }
  if (!status.ok()) return Taint(record, index, "'" + kind + "' refused: " + status.message());
  if (produced.empty() || produced.front() != entry)
    return Taint(record, index, "'" + kind + "' is not as logged");
  record.expected.assign(produced.begin() + 1, produced.end());
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
  if (have_policy_) out["policy"] = access::ToJson(policy_);
  return out.dump();
}

Status Replica::LoadContext(std::string_view text) {
  const Json value = Json::parse(text, nullptr, false);
  if (value.is_discarded() || !value.is_object())
    return DataLossError("the agent's stored context is malformed");
  try {
    owners_ = value.at("owners").get<std::set<std::string>>();
    owner_keys_.clear();
    for (const auto& [owner, by_id] : value.at("owner_keys").items()) {
      for (const auto& [id, encoded] : by_id.items()) {
        ASSIGN_OR_RETURN(Bytes bytes, Base64Decode(encoded.get<std::string>()));
        ASSIGN_OR_RETURN(access::OwnerKey key, access::OwnerKey::FromPublicKey(bytes));
        owner_keys_[owner][id] = key;
      }
    }
    resources_.clear();
    for (const auto& [name, resource] : value.at("resources").items()) {
      ASSIGN_OR_RETURN(access::ResourceKind kind,
                       access::ResourceKindFromName(resource.at("kind").get<std::string>()));
      resources_[name] = {kind, resource.at("labels").get<access::LabelSet>()};
    }
    have_policy_ = value.contains("policy");
    if (have_policy_) {
      ASSIGN_OR_RETURN(policy_, access::PolicyFromJson(value.at("policy").get<std::string>()));
    }
  } catch (const Json::exception&) {
    return DataLossError("the agent's stored context is malformed");
  }
  return Status::Ok();
}

std::string Replica::GrantJson(const GrantRecord& record) {
  return Json{{"request", record.grant.canonical_request()},
              {"progress", access::ProgressToJson(record.grant.progress())},
              {"expected", record.expected},
              {"tainted", record.tainted}}
      .dump();
}

Status Replica::LoadGrant(std::string_view text) {
  const Json value = Json::parse(text, nullptr, false);
  if (value.is_discarded() || !value.is_object())
    return DataLossError("a stored grant is malformed");
  try {
    std::string canonical = value.at("request").get<std::string>();
    ASSIGN_OR_RETURN(access::GrantRequest request, access::ParseCanonicalRequest(canonical));
    ASSIGN_OR_RETURN(access::GrantProgress progress,
                     access::ProgressFromJson(value.at("progress").get<std::string>()));
    auto record = std::make_unique<GrantRecord>(
        GrantRecord{access::Grant::Restore(request, std::move(progress), std::move(canonical)),
                    value.at("expected").get<std::deque<std::string>>(),
                    value.at("tainted").get<std::string>()});
    grants_[request.id] = std::move(record);
  } catch (const Json::exception&) {
    return DataLossError("a stored grant is malformed");
  }
  return Status::Ok();
}

}  // namespace quartet::agent
