#include "trust/chain.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "access/policy.h"

namespace quartet::trust {
namespace {

std::string Position(uint64_t seq) { return "trust statement " + std::to_string(seq); }

bool IsName(std::string_view name) {
  return !name.empty() && name.size() <= 64 &&
         std::all_of(name.begin(), name.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// A device as a statement names it: {key_id, public_key (base64), name}. The key ID must be the
// key's own.
StatusOr<Device> ReadDevice(const JsonObject& fields, std::string_view key, int64_t at) {
  ASSIGN_OR_RETURN(JsonObject device, fields.Object(key, Field::kRequired));
  ASSIGN_OR_RETURN(std::string key_id, device.Text("key_id", Field::kRequired));
  ASSIGN_OR_RETURN(std::string encoded, device.Text("public_key", Field::kRequired));
  ASSIGN_OR_RETURN(std::string name, device.Text("name", Field::kOptional));
  ASSIGN_OR_RETURN(Bytes public_key, Base64Decode(encoded));
  ASSIGN_OR_RETURN(access::OwnerKey owner_key, access::OwnerKey::FromPublicKey(public_key));
  if (owner_key.Id() != key_id) return InvalidArgumentError("a device's key ID is not its key's");
  if (name.size() > 64) return InvalidArgumentError("a device's name is at most 64 characters");
  return Device{key_id, std::move(public_key), std::move(name), at};
}

StatusOr<Bytes> ReadKey(const JsonObject& fields, std::string_view key) {
  ASSIGN_OR_RETURN(std::string encoded, fields.Text(key, Field::kRequired));
  ASSIGN_OR_RETURN(Bytes public_key, Base64Decode(encoded));
  RETURN_IF_ERROR(access::OwnerKey::FromPublicKey(public_key).status());
  return public_key;
}

// Whether `value` holds a number with a fraction or an exponent. A body's numbers are integers:
// how a fraction is printed differs from one JSON library to the next, and a replayer that printed
// it otherwise would not find the body canonical.
bool HasFraction(const Json& value) {
  if (value.is_number_float()) return true;
  if (value.is_structured()) {
    for (const Json& item : value) {
      if (HasFraction(item)) return true;
    }
  }
  return false;
}

StatusOr<std::string> ReadName(const JsonObject& fields, std::string_view key) {
  ASSIGN_OR_RETURN(std::string name, fields.Text(key, Field::kRequired));
  if (!IsName(name))
    return InvalidArgumentError("'" + std::string(key) + "' must be 1 to 64 printable characters");
  return name;
}

}  // namespace

const std::string* ChainState::OwnerOf(std::string_view key_id) const {
  for (const auto& [owner, devices] : owners) {
    if (devices.find(std::string(key_id)) != devices.end()) return &owner;
  }
  return nullptr;
}

access::LabelSet ChainState::LabelsOf(const std::string& resource) const {
  auto found = resources.find(resource);
  return found == resources.end() ? access::kAllLabels : found->second.labels;
}

size_t ChainState::DeviceCount() const {
  size_t count = 0;
  for (const auto& [owner, devices] : owners) count += devices.size();
  return count;
}

StatusOr<Statement> Statement::Parse(std::string_view text) {
  ASSIGN_OR_RETURN(JsonDocument document, JsonDocument::Parse(text, "a trust statement"));
  const JsonObject outer = document.root();
  Statement statement;
  ASSIGN_OR_RETURN(statement.body, outer.Text("body", Field::kRequired));
  ASSIGN_OR_RETURN(statement.fields, ParseJson(statement.body, "a trust statement's body"));
  ASSIGN_OR_RETURN(std::string canonical, CanonicalJson(statement.fields));
  if (canonical != statement.body)
    return InvalidArgumentError("a trust statement's body must be canonical JSON");
  if (HasFraction(statement.fields))
    return InvalidArgumentError("a trust statement's numbers are integers");
  ASSIGN_OR_RETURN(JsonObject fields, JsonObject::Of(statement.fields, "a trust statement's body"));
  ASSIGN_OR_RETURN(statement.kind, fields.Text("kind", Field::kRequired));
  if (std::find(std::begin(kKinds), std::end(kKinds), statement.kind) == std::end(kKinds))
    return InvalidArgumentError("unknown trust statement kind '" + statement.kind + "'");
  ASSIGN_OR_RETURN(statement.seq, fields.Unsigned("seq", Field::kRequired));
  RETURN_IF_ERROR(fields.Text("chain", Field::kRequired).status());
  RETURN_IF_ERROR(fields.Text("prev", Field::kRequired).status());
  RETURN_IF_ERROR(fields.Integer("at", Field::kRequired).status());
  ASSIGN_OR_RETURN(std::vector<JsonObject> signatures,
                   outer.Objects("signatures", Field::kRequired));
  std::set<std::string> seen;
  for (const JsonObject& signature : signatures) {
    ASSIGN_OR_RETURN(std::string key_id, signature.Text("key_id", Field::kRequired));
    ASSIGN_OR_RETURN(std::string encoded, signature.Text("signature", Field::kRequired));
    ASSIGN_OR_RETURN(Bytes bytes, Base64Decode(encoded));
    if (bytes.size() != 64) return InvalidArgumentError("a signature is 64 bytes");
    if (!seen.insert(key_id).second)
      return InvalidArgumentError("a key signs a statement at most once");
    statement.signatures.push_back({std::move(key_id), std::move(bytes)});
  }
  if (statement.signatures.empty()) return InvalidArgumentError("a statement needs a signature");
  return statement;
}

StatusOr<Chain> Chain::Replay(std::string client, std::span<const std::string> statements,
                              const std::optional<Verified>& verified) {
  if (verified.has_value() && verified->size <= statements.size()) {
    // The statements this replayer checked before are taken as checked when they hash to the head
    // it kept: the same statements, so the same signatures.
    Chain chain(client);
    bool same = true;
    for (size_t i = 0; i < verified->size && same; ++i)
      same = chain.Apply(statements[i], /*verify=*/false).ok();
    if (same && chain.state_.head == verified->head) {
      for (size_t i = verified->size; i < statements.size(); ++i)
        RETURN_IF_ERROR(chain.Apply(statements[i]));
      return chain;
    }
  }
  Chain chain(std::move(client));
  for (const std::string& statement : statements) RETURN_IF_ERROR(chain.Apply(statement));
  return chain;
}

std::string Chain::NextBody(std::string_view kind, Json fields, int64_t at) const {
  fields["chain"] = state_.client;
  fields["seq"] = state_.size;
  fields["prev"] = state_.size == 0 ? std::string() : HexEncode(state_.head);
  fields["at"] = at;
  fields["kind"] = std::string(kind);
  return CanonicalJsonOf(fields);
}

Status Chain::Apply(std::string_view text) { return Apply(text, /*verify=*/true); }

StatusOr<Chain::Link> Chain::CheckLink(std::string_view text) const {
  auto statement = Statement::Parse(text);
  if (!statement.ok()) return statement.status().WithContext(Position(state_.size));
  auto link = [&]() -> StatusOr<Link> {
    const bool new_owner = statement->kind == "owner.added";
    if (statement->kind != "device.added" && !new_owner)
      return InvalidArgumentError("a link carries a device.added or owner.added statement");
    RETURN_IF_ERROR(Check(*statement));
    const JsonObject fields = *JsonObject::Of(statement->fields, "a trust statement's body");
    const int64_t at = *fields.Integer("at", Field::kRequired);
    ASSIGN_OR_RETURN(std::string owner, ReadName(fields, "owner"));
    if (state_.owners.contains(owner) == new_owner)
      return FailedPreconditionError(new_owner ? "that owner is in the chain"
                                               : "no such owner in the chain");
    ASSIGN_OR_RETURN(Device device, ReadDevice(fields, "device", at));
    if (state_.OwnerOf(device.key_id) != nullptr)
      return FailedPreconditionError("that device is in the chain already");
    if (statement->signatures.size() != 1 || statement->signatures[0].key_id != device.key_id)
      return InvalidArgumentError("a link is signed by the new device alone");
    if (!access::VerifyOwnerSignature(access::OwnerKey{device.public_key},
                                      std::string(kStatementDomain) + statement->body,
                                      statement->signatures[0].signature))
      return UnauthenticatedError("the signature of key " + device.key_id + " does not verify");
    return Link{std::move(owner), std::move(device), new_owner};
  }();
  if (!link.ok()) return link.status().WithContext(Position(statement->seq));
  return link;
}

StatusOr<Chain::Collecting> Chain::CheckCollecting(std::string_view text) const {
  auto statement = Statement::Parse(text);
  if (!statement.ok()) return statement.status().WithContext(Position(state_.size));
  Collecting collecting;
  collecting.threshold = state_.threshold;
  for (const Statement::Signature& signature : statement->signatures) {
    if (const std::string* owner = state_.OwnerOf(signature.key_id))
      collecting.owners.insert(*owner);
  }
  Chain trial = *this;
  if (trial.Apply(text).ok()) {
    collecting.complete = true;
    return collecting;
  }
  trial = *this;
  if (Status checked = Check(*statement); !checked.ok())
    return checked.WithContext(Position(statement->seq));
  if (Status applied = trial.ApplyChecked(*statement, /*verify=*/true, /*collecting=*/true);
      !applied.ok())
    return applied.WithContext(Position(statement->seq));
  return collecting;
}

Status Chain::Apply(std::string_view text, bool verify) {
  auto statement = Statement::Parse(text);
  if (!statement.ok()) return statement.status().WithContext(Position(state_.size));
  if (Status checked = Check(*statement); !checked.ok())
    return checked.WithContext(Position(statement->seq));
  // Every check comes before the first change: a refused statement changes nothing.
  if (Status applied = ApplyChecked(*statement, verify); !applied.ok())
    return applied.WithContext(Position(statement->seq));
  return Status::Ok();
}

Status Chain::Check(const Statement& statement) const {
  const JsonObject fields = *JsonObject::Of(statement.fields, "a trust statement's body");
  if (*fields.Text("chain", Field::kRequired) != state_.client)
    return InvalidArgumentError("the statement belongs to another client's chain");
  if (statement.seq != state_.size)
    return InvalidArgumentError("the statement is not the next one of the chain");
  const std::string prev = *fields.Text("prev", Field::kRequired);
  if (prev != (state_.size == 0 ? std::string() : HexEncode(state_.head)))
    return InvalidArgumentError("the statement does not follow the chain's last statement");
  if ((statement.kind == "genesis") != (state_.size == 0))
    return InvalidArgumentError("a chain starts with its genesis, and has one");
  return Status::Ok();
}

Status Chain::ApplyChecked(const Statement& statement, bool verify, bool collecting) {
  const JsonObject fields = *JsonObject::Of(statement.fields, "a trust statement's body");
  const int64_t at = *fields.Integer("at", Field::kRequired);
  const std::string message = std::string(kStatementDomain) + statement.body;
  const std::string& kind = statement.kind;

  // A key a statement brings into the chain (a new device) signs it too: nobody adds a key they do
  // not hold.
  std::optional<Device> new_device;
  if (kind == "genesis" || kind == "device.added" || kind == "owner.added" || kind == "recovered") {
    ASSIGN_OR_RETURN(Device device, ReadDevice(fields, "device", at));
    if (state_.OwnerOf(device.key_id) != nullptr)
      return FailedPreconditionError("that device is in the chain already");
    new_device = std::move(device);
  }

  // Every signature must be good and by a key the chain knows (or the new device).
  std::set<std::string> owners_signing;
  bool recovery_signed = false, new_device_signed = false;
  const std::string recovery_id =
      state_.recovery_key.empty() ? std::string() : access::OwnerKey{state_.recovery_key}.Id();
  for (const Statement::Signature& signature : statement.signatures) {
    Bytes key;
    const std::string* owner = state_.OwnerOf(signature.key_id);
    if (owner != nullptr) {
      key = state_.owners.at(*owner).at(signature.key_id).public_key;
    } else if (!recovery_id.empty() && signature.key_id == recovery_id) {
      key = state_.recovery_key;
    } else if (new_device.has_value() && signature.key_id == new_device->key_id) {
      key = new_device->public_key;
    } else {
      return UnauthenticatedError("signed by key " + signature.key_id +
                                  ", which is not in the chain");
    }
    if (verify &&
        !access::VerifyOwnerSignature(access::OwnerKey{key}, message, signature.signature))
      return UnauthenticatedError("the signature of key " + signature.key_id + " does not verify");
    if (owner != nullptr) {
      owners_signing.insert(*owner);
    } else if (signature.key_id == recovery_id) {
      recovery_signed = true;
    } else {
      new_device_signed = true;
    }
  }
  if (new_device.has_value() && !new_device_signed)
    return UnauthenticatedError("a new device must sign the statement that adds it");
  const bool threshold_met = static_cast<int>(owners_signing.size()) >= state_.threshold ||
                             (collecting && !owners_signing.empty());
  auto require_threshold = [&]() -> Status {
    if (threshold_met) return Status::Ok();
    return UnauthenticatedError("needs the signatures of " + std::to_string(state_.threshold) +
                                " owner(s); " + std::to_string(owners_signing.size()) + " signed");
  };

  if (kind == "genesis") {
    ASSIGN_OR_RETURN(std::string owner, ReadName(fields, "owner"));
    ASSIGN_OR_RETURN(Bytes recovery_key, ReadKey(fields, "recovery_key"));
    if (access::OwnerKey{recovery_key}.Id() == new_device->key_id)
      return InvalidArgumentError("the recovery key must not be a device key");
    state_.recovery_key = std::move(recovery_key);
    state_.owners[owner][new_device->key_id] = *new_device;
    state_.threshold = 1;
  } else if (kind == "device.added") {
    ASSIGN_OR_RETURN(std::string owner, ReadName(fields, "owner"));
    auto it = state_.owners.find(owner);
    if (it == state_.owners.end()) return FailedPreconditionError("no such owner in the chain");
    // One of the owner's own devices links a new one; or enough owners, or the recovery key.
    if (!owners_signing.contains(owner) && !recovery_signed) RETURN_IF_ERROR(require_threshold());
    it->second[new_device->key_id] = *new_device;
  } else if (kind == "device.removed") {
    ASSIGN_OR_RETURN(std::string owner, ReadName(fields, "owner"));
    ASSIGN_OR_RETURN(std::string key_id, fields.Text("key_id", Field::kRequired));
    auto it = state_.owners.find(owner);
    if (it == state_.owners.end() || !it->second.contains(key_id))
      return FailedPreconditionError("no such device in the chain");
    if (!owners_signing.contains(owner)) RETURN_IF_ERROR(require_threshold());
    if (it->second.size() == 1)
      return FailedPreconditionError("an owner's last device is removed with the owner");
    it->second.erase(key_id);
  } else if (kind == "owner.added") {
    RETURN_IF_ERROR(require_threshold());
    ASSIGN_OR_RETURN(std::string owner, ReadName(fields, "owner"));
    if (state_.owners.contains(owner)) return FailedPreconditionError("that owner is in the chain");
    state_.owners[owner][new_device->key_id] = *new_device;
  } else if (kind == "owner.removed") {
    RETURN_IF_ERROR(require_threshold());
    ASSIGN_OR_RETURN(std::string owner, ReadName(fields, "owner"));
    if (!state_.owners.contains(owner))
      return FailedPreconditionError("no such owner in the chain");
    if (state_.owners.size() == 1)
      return FailedPreconditionError("a chain keeps one owner at least");
    if (state_.threshold > static_cast<int>(state_.owners.size()) - 1)
      return FailedPreconditionError("lower the threshold before removing that owner");
    state_.owners.erase(owner);
  } else if (kind == "threshold.set") {
    RETURN_IF_ERROR(require_threshold());
    ASSIGN_OR_RETURN(uint64_t threshold, fields.Unsigned("threshold", Field::kRequired));
    if (threshold < 1 || threshold > state_.owners.size())
      return FailedPreconditionError("the threshold must be 1 to the number of owners");
    state_.threshold = static_cast<int>(threshold);
  } else if (kind == "agent.confirmed") {
    RETURN_IF_ERROR(require_threshold());
    AgentIdentity agent;
    ASSIGN_OR_RETURN(agent.name, ReadName(fields, "name"));
    ASSIGN_OR_RETURN(agent.witness_key, fields.Text("witness_key", Field::kRequired));
    ASSIGN_OR_RETURN(agent.ssh_ca_key, fields.Text("ssh_ca_key", Field::kRequired));
    ASSIGN_OR_RETURN(agent.sealing_key, fields.Text("sealing_key", Field::kOptional));
    agent.confirmed_at = at;
    agent.seq = statement.seq;
    for (const Statement::Signature& signature : statement.signatures)
      agent.confirmed_by.push_back(signature.key_id);
    if (state_.agent.has_value() && (state_.agent->witness_key != agent.witness_key ||
                                     state_.agent->ssh_ca_key != agent.ssh_ca_key))
      state_.previous_agent = std::move(state_.agent);
    state_.agent = std::move(agent);
  } else if (kind == "policy.signed") {
    RETURN_IF_ERROR(require_threshold());
    ASSIGN_OR_RETURN(std::string policy, fields.Text("policy", Field::kRequired));
    RETURN_IF_ERROR(access::PolicyFromJson(policy).status());
    state_.policy = std::move(policy);
  } else if (kind == "resource.signed") {
    RETURN_IF_ERROR(require_threshold());
    ASSIGN_OR_RETURN(std::string resource, fields.Text("resource", Field::kRequired));
    if (resource.empty() || resource.size() > 128)
      return InvalidArgumentError("a resource needs a name of 1 to 128 characters");
    SignedResource terms;
    ASSIGN_OR_RETURN(const std::string kind_name, fields.Text("resource_kind", Field::kRequired));
    ASSIGN_OR_RETURN(terms.kind, access::ResourceKindFromName(kind_name));
    ASSIGN_OR_RETURN(const std::vector<std::string> labels,
                     fields.Texts("labels", Field::kRequired));
    for (const std::string& name : labels) {
      ASSIGN_OR_RETURN(const access::Label label, access::LabelFromName(name));
      terms.labels |= static_cast<access::LabelSet>(label);
    }
    state_.resources[resource] = terms;
  } else if (kind == "recovered") {
    if (!recovery_signed) return UnauthenticatedError("only the recovery key recovers a chain");
    ASSIGN_OR_RETURN(std::string owner, ReadName(fields, "owner"));
    ASSIGN_OR_RETURN(Bytes recovery_key, ReadKey(fields, "recovery_key"));
    if (recovery_key == state_.recovery_key)
      return InvalidArgumentError("a recovery replaces the recovery key");
    // Every device is replaced: the lost ones may be in someone else's hands.
    for (auto& [name, devices] : state_.owners) devices.clear();
    state_.owners[owner][new_device->key_id] = *new_device;
    std::erase_if(state_.owners, [](const auto& entry) { return entry.second.empty(); });
    state_.recovery_key = std::move(recovery_key);
    state_.threshold = 1;
    state_.recovered_at = at;
  }
  state_.size = statement.seq + 1;
  state_.head = Sha256::Of(AsBytes(statement.body));
  return Status::Ok();
}

std::string SignStatement(std::string_view body, std::span<const access::OwnerSigner> signers) {
  const std::string message = std::string(kStatementDomain) + std::string(body);
  Json signatures = Json::array();
  for (const access::OwnerSigner& signer : signers) {
    signatures.push_back(
        {{"key_id", signer.key().Id()}, {"signature", Base64Encode(signer.SignMessage(message))}});
  }
  return CanonicalJsonOf({{"body", std::string(body)}, {"signatures", signatures}});
}

StatusOr<std::string> AddSignature(std::string_view text, const access::OwnerSigner& signer) {
  ASSIGN_OR_RETURN(Statement statement, Statement::Parse(text));
  const std::string key_id = signer.key().Id();
  Json signatures = Json::array();
  for (const Statement::Signature& signature : statement.signatures) {
    if (signature.key_id == key_id) return InvalidArgumentError("that key signed it already");
    signatures.push_back(
        {{"key_id", signature.key_id}, {"signature", Base64Encode(signature.signature)}});
  }
  const std::string message = std::string(kStatementDomain) + statement.body;
  signatures.push_back(
      {{"key_id", key_id}, {"signature", Base64Encode(signer.SignMessage(message))}});
  return CanonicalJsonOf({{"body", statement.body}, {"signatures", signatures}});
}

StatusOr<std::string> MergeSignatures(std::string_view a, std::string_view b) {
  ASSIGN_OR_RETURN(Statement first, Statement::Parse(a));
  ASSIGN_OR_RETURN(Statement second, Statement::Parse(b));
  if (first.body != second.body)
    return InvalidArgumentError("the two statements sign different bodies");
  Json signatures = Json::array();
  std::set<std::string> seen;
  for (const Statement* statement : {&first, &second}) {
    for (const Statement::Signature& signature : statement->signatures) {
      if (!seen.insert(signature.key_id).second) continue;
      signatures.push_back(
          {{"key_id", signature.key_id}, {"signature", Base64Encode(signature.signature)}});
    }
  }
  return CanonicalJsonOf({{"body", first.body}, {"signatures", signatures}});
}

Json SummaryJson(const ChainState& state) {
  Json owners = Json::object();
  for (const auto& [owner, devices] : state.owners) {
    Json list = Json::array();
    for (const auto& [key_id, device] : devices)
      list.push_back({{"key_id", key_id}, {"name", device.name}, {"added_at", device.added_at}});
    owners[owner] = list;
  }
  Json out = {{"size", state.size},
              {"head", state.size == 0 ? std::string() : HexEncode(state.head)},
              {"threshold", state.threshold},
              {"owners", owners},
              {"recovered_at", state.recovered_at},
              {"policy_signed", !state.policy.empty()},
              {"resources_signed", state.resources.size()}};
  if (state.agent.has_value()) {
    out["agent"] = {{"name", state.agent->name},
                    {"witness_key", state.agent->witness_key},
                    {"ssh_ca_key", state.agent->ssh_ca_key},
                    {"confirmed_at", state.agent->confirmed_at}};
  }
  return out;
}

std::string SafetyCode(std::string_view owner_key_id, std::string_view witness_key,
                       std::string_view ssh_ca_key, std::string_view sealing_key) {
  Sha256 hash;
  // v1 for an agent without a sealing key (as agents enrolled before credential custody), v2 with.
  hash.Update(std::string_view(sealing_key.empty() ? "quartet-safety-code/v1\n"
                                                   : "quartet-safety-code/v2\n"));
  for (std::string_view part : {owner_key_id, witness_key, ssh_ca_key})
    hash.Update(part).Update(static_cast<uint8_t>('\n'));
  if (!sealing_key.empty()) hash.Update(sealing_key).Update(static_cast<uint8_t>('\n'));
  const Hash digest = hash.Finish();
  const uint64_t value = ReadBigEndian64(digest.data()) % 1'000'000'000'000ULL;
  char text[16];
  std::snprintf(text, sizeof(text), "%04llu-%04llu-%04llu",
                static_cast<unsigned long long>(value / 100'000'000ULL),
                static_cast<unsigned long long>(value / 10'000ULL % 10'000ULL),
                static_cast<unsigned long long>(value % 10'000ULL));
  return text;
}

Json DeviceJson(const access::OwnerKey& key, std::string_view name) {
  return {{"key_id", key.Id()},
          {"public_key", Base64Encode(key.public_key)},
          {"name", std::string(name)}};
}

}  // namespace quartet::trust
