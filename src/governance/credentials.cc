#include "governance/credentials.h"

#include <algorithm>

#include "base/utf8.h"
#include "governance/event.h"
#include "vault/rotation_target.h"

namespace quartet::governance {
namespace {

constexpr size_t kMaxCiphertext = vault::kMaxSecretSize * 2 + 256;  // base64 and JSON around it

bool IsOneLine(std::string_view text, size_t longest) {
  return text.size() <= longest && IsValidUtf8(text) &&
         std::none_of(text.begin(), text.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

std::string StateOf(const CredentialInfo& info) {
  if (info.revealed_version != info.version || info.revealed_at == 0) return "current";
  if (info.rotate.empty()) return "rotate by hand";
  return info.rotation_error.empty() ? "rotation due" : "rotation failed";
}

CredentialInfo InfoFromRow(store::Statement& select) {
  CredentialInfo info;
  info.resource = std::string(select.ColumnText(0));
  info.name = std::string(select.ColumnText(1));
  info.username = std::string(select.ColumnText(2));
  info.exclusive = select.ColumnInt(3) != 0;
  info.rotate = std::string(select.ColumnText(4));
  info.version = static_cast<uint64_t>(select.ColumnInt(5));
  info.commitment = std::string(select.ColumnText(6));
  info.sealed_to = std::string(select.ColumnText(7));
  info.stored_by = std::string(select.ColumnText(8));
  info.stored_at = select.ColumnInt(9);
  info.revealed_version = static_cast<uint64_t>(select.ColumnInt(10));
  info.revealed_to = std::string(select.ColumnText(11));
  info.revealed_grant = std::string(select.ColumnText(12));
  info.revealed_at = select.ColumnInt(13);
  info.rotated_at = select.ColumnInt(14);
  info.rotation_error = std::string(select.ColumnText(15));
  info.rotation_failed_at = select.ColumnInt(16);
  info.state = StateOf(info);
  return info;
}

constexpr std::string_view kInfoColumns =
    "resource, name, username, exclusive, rotate, version, commitment, sealed_to, stored_by, "
    "stored_at, revealed_version, revealed_to, revealed_grant, revealed_at, rotated_at, "
    "rotation_error, rotation_failed_at";

}  // namespace

namespace {

Status CheckSealedForm(const vault::SealedCredential& sealed, const std::string& commitment) {
  if (commitment.size() != 64 || !HexDecode(commitment).ok())
    return InvalidArgumentError("a credential's commitment is 64 hex digits");
  if (sealed.ciphertext.size() < vault::kHpkeTagSize + 1 ||
      sealed.ciphertext.size() > kMaxCiphertext)
    return InvalidArgumentError("the sealed credential has an impossible length");
  return Status::Ok();
}

}  // namespace

// Sealed to the agent the owners signed into the chain: anything else, the agent could not open
// (and whoever holds that other key could).
Status Credentials::CheckSealedToTheChainsAgent(ChangeScope& scope, const std::string& client,
                                                const vault::SealedCredential& sealed) {
  ASSIGN_OR_RETURN(const trust::Chain chain, trust_.Load(scope.db, client));
  const auto& agent = chain.state().agent;
  if (!agent.has_value() || agent->sealing_key.empty())
    return FailedPreconditionError(
        "the client's owners have not confirmed an agent with a sealing key in its trust chain: "
        "no credential can be stored for it yet");
  if (sealed.sealed_to != agent->sealing_key)
    return FailedPreconditionError(
        "the credential is sealed to another key than the agent the client's trust chain "
        "confirms (" +
        agent->sealing_key + ")");
  return Status::Ok();
}

Status CheckRotationTarget(std::string_view target) {
  if (target.empty()) return Status::Ok();
  return vault::ParseRotationTarget(target).status();
}

StatusOr<CredentialInfo> Credentials::Store(const Actor& actor, const std::string& client,
                                            const CredentialVersion& version) {
  const int64_t now = committer_.clock().NowUnixSeconds();
  CredentialInfo stored;
  RETURN_IF_ERROR(committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    // Who asks comes first: one who may not learns nothing of what a good request would be.
    RETURN_IF_ERROR(VisibleTechnicianIn(scope.db, actor, client).status());
    if (!(actor.role == Role::kOwner && actor.client == client) &&
        actor.role != Role::kProviderAdmin)
      return Forbidden("only the client's owners and the provider's admins store its credentials");
    if (!IsOneLine(version.name, 64) || version.name.empty())
      return InvalidArgumentError("a credential needs a name of 1 to 64 characters on one line");
    if (!IsOneLine(version.username, 256))
      return InvalidArgumentError("a username is at most 256 characters on one line");
    RETURN_IF_ERROR(CheckRotationTarget(version.rotate));
    RETURN_IF_ERROR(CheckSealedForm(version.sealed, version.commitment));
    ASSIGN_OR_RETURN(auto resource,
                     scope.db.Prepare("SELECT 1 FROM resources WHERE client = ? AND name = ?"));
    resource->Bind(1, client).Bind(2, version.resource);
    ASSIGN_OR_RETURN(bool known, resource->Step());
    if (!known) return NotFoundError("no resource " + version.resource + " at " + client);
    resource.Release();
    RETURN_IF_ERROR(CheckSealedToTheChainsAgent(scope, client, version.sealed));
    ASSIGN_OR_RETURN(auto current,
                     scope.db.Prepare("SELECT version FROM credentials WHERE client = ? AND "
                                      "resource = ? AND name = ?"));
    current->Bind(1, client).Bind(2, version.resource).Bind(3, version.name);
    ASSIGN_OR_RETURN(bool exists, current->Step());
    const uint64_t stored_version = exists ? static_cast<uint64_t>(current->ColumnInt(0)) : 0;
    current.Release();
    if (version.version != stored_version + 1)
      return FailedPreconditionError("credential " + version.resource + "/" + version.name +
                                     " is at version " + std::to_string(stored_version) +
                                     ": seal the secret for version " +
                                     std::to_string(stored_version + 1));
    ASSIGN_OR_RETURN(
        auto upsert,
        scope.db.Prepare(
            "INSERT INTO credentials (client, resource, name, username, exclusive, rotate, "
            "version, enc, ciphertext, sealed_to, commitment, stored_by, stored_at) VALUES (?, ?, "
            "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (client, resource, name) DO UPDATE SET "
            "username = excluded.username, exclusive = excluded.exclusive, rotate = "
            "excluded.rotate, version = excluded.version, enc = excluded.enc, ciphertext = "
            "excluded.ciphertext, sealed_to = excluded.sealed_to, commitment = "
            "excluded.commitment, stored_by = excluded.stored_by, stored_at = excluded.stored_at, "
            "rotation_error = '', rotation_failed_at = 0"));
    upsert->Bind(1, client)
        .Bind(2, version.resource)
        .Bind(3, version.name)
        .Bind(4, version.username)
        .Bind(5, int64_t{version.exclusive})
        .Bind(6, version.rotate)
        .Bind(7, static_cast<int64_t>(version.version))
        .BindBlob(8, version.sealed.enc)
        .BindBlob(9, AsBytes(version.sealed.ciphertext))
        .Bind(10, version.sealed.sealed_to)
        .Bind(11, version.commitment)
        .Bind(12, actor.user)
        .Bind(13, now);
    RETURN_IF_ERROR(upsert->Run());
    scope.events.push_back(Event("credential.stored", client, now,
                                 {{"resource", version.resource},
                                  {"name", version.name},
                                  {"version", version.version},
                                  {"username", version.username},
                                  {"exclusive", version.exclusive},
                                  {"rotate", version.rotate},
                                  {"commitment", version.commitment},
                                  {"sealed_to", version.sealed.sealed_to},
                                  {"by", actor.user}}));
    ASSIGN_OR_RETURN(auto select, scope.db.Prepare("SELECT " + std::string(kInfoColumns) +
                                                   " FROM credentials WHERE client = ? AND "
                                                   "resource = ? AND name = ?"));
    select->Bind(1, client).Bind(2, version.resource).Bind(3, version.name);
    ASSIGN_OR_RETURN(bool row, select->Step());
    if (!row) return InternalError("the credential just stored is gone");
    stored = InfoFromRow(*select);
    return Status::Ok();
  }));
  return stored;
}

StatusOr<std::vector<CredentialInfo>> Credentials::List(const Actor& actor,
                                                        const std::string& client) {
  return committer_.Read([&](store::Database& db) -> StatusOr<std::vector<CredentialInfo>> {
    RETURN_IF_ERROR(VisibleTechnicianIn(db, actor, client).status());
    ASSIGN_OR_RETURN(auto select, db.Prepare("SELECT " + std::string(kInfoColumns) +
                                             " FROM credentials WHERE client = ? ORDER BY "
                                             "resource, name"));
    select->Bind(1, client);
    std::vector<CredentialInfo> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, select->Step());
      if (!row) break;
      out.push_back(InfoFromRow(*select));
    }
    return out;
  });
}

StatusOr<std::vector<SealedCredentialVersion>> Credentials::SealedVersions(
    const std::string& client) {
  return committer_.Read(
      [&](store::Database& db) -> StatusOr<std::vector<SealedCredentialVersion>> {
        ASSIGN_OR_RETURN(
            auto select,
            db.Prepare("SELECT resource, name, version, enc, ciphertext, sealed_to, "
                       "commitment FROM credentials WHERE client = ? ORDER BY resource, "
                       "name"));
        select->Bind(1, client);
        std::vector<SealedCredentialVersion> out;
        for (;;) {
          ASSIGN_OR_RETURN(bool row, select->Step());
          if (!row) break;
          SealedCredentialVersion version;
          version.resource = std::string(select->ColumnText(0));
          version.name = std::string(select->ColumnText(1));
          version.version = static_cast<uint64_t>(select->ColumnInt(2));
          const ByteView enc = select->ColumnBlob(3);
          if (enc.size() == version.sealed.enc.size())
            std::copy(enc.begin(), enc.end(), version.sealed.enc.begin());
          const ByteView ciphertext = select->ColumnBlob(4);
          version.sealed.ciphertext.assign(ciphertext.begin(), ciphertext.end());
          version.sealed.sealed_to = std::string(select->ColumnText(5));
          version.commitment = std::string(select->ColumnText(6));
          out.push_back(std::move(version));
        }
        return out;
      });
}

Status Credentials::RecordRotation(const std::string& client, const CredentialRotation& rotation) {
  const int64_t now = committer_.clock().NowUnixSeconds();
  return committer_.Commit(client, [&](ChangeScope& scope) -> Status {
    ASSIGN_OR_RETURN(
        auto current,
        scope.db.Prepare("SELECT version, commitment, rotation_error FROM "
                         "credentials WHERE client = ? AND resource = ? AND name = ?"));
    current->Bind(1, client).Bind(2, rotation.resource).Bind(3, rotation.name);
    ASSIGN_OR_RETURN(bool exists, current->Step());
    if (!exists) return NotFoundError("no credential " + rotation.resource + "/" + rotation.name);
    const uint64_t stored_version = static_cast<uint64_t>(current->ColumnInt(0));
    const std::string stored_commitment(current->ColumnText(1));
    const std::string stored_error(current->ColumnText(2));
    current.Release();
    const std::string what = rotation.resource + "/" + rotation.name;
    if (!rotation.failure.empty()) {
      const std::string reason = rotation.failure.substr(0, 500);
      if (rotation.version != stored_version + 1)
        return FailedPreconditionError(what + " is at version " + std::to_string(stored_version));
      if (reason == stored_error) return Status::Ok();  // logged already
      ASSIGN_OR_RETURN(auto failed,
                       scope.db.Prepare("UPDATE credentials SET rotation_error = ?, "
                                        "rotation_failed_at = ? WHERE client = ? AND resource = ? "
                                        "AND name = ?"));
      failed->Bind(1, reason)
          .Bind(2, now)
          .Bind(3, client)
          .Bind(4, rotation.resource)
          .Bind(5, rotation.name);
      RETURN_IF_ERROR(failed->Run());
      scope.events.push_back(Event("credential.rotation_failed", client, now,
                                   {{"resource", rotation.resource},
                                    {"name", rotation.name},
                                    {"version", stored_version},
                                    {"grant", rotation.grant},
                                    {"reason", reason}}));
      return Status::Ok();
    }
    if (rotation.version == stored_version && rotation.commitment == stored_commitment)
      return Status::Ok();  // recorded already: the agent did not hear the answer
    if (rotation.version != stored_version + 1)
      return FailedPreconditionError(what + " is at version " + std::to_string(stored_version) +
                                     ", not " + std::to_string(rotation.version - 1));
    RETURN_IF_ERROR(CheckSealedForm(rotation.sealed, rotation.commitment));
    RETURN_IF_ERROR(CheckSealedToTheChainsAgent(scope, client, rotation.sealed));
    ASSIGN_OR_RETURN(
        auto update,
        scope.db.Prepare("UPDATE credentials SET version = ?, enc = ?, ciphertext = ?, sealed_to "
                         "= ?, commitment = ?, stored_by = 'agent', stored_at = ?, rotated_at = ?, "
                         "rotation_error = '', rotation_failed_at = 0 WHERE client = ? AND "
                         "resource = ? AND name = ?"));
    update->Bind(1, static_cast<int64_t>(rotation.version))
        .BindBlob(2, rotation.sealed.enc)
        .BindBlob(3, AsBytes(rotation.sealed.ciphertext))
        .Bind(4, rotation.sealed.sealed_to)
        .Bind(5, rotation.commitment)
        .Bind(6, now)
        .Bind(7, now)
        .Bind(8, client)
        .Bind(9, rotation.resource)
        .Bind(10, rotation.name);
    RETURN_IF_ERROR(update->Run());
    Json event = {{"resource", rotation.resource},     {"name", rotation.name},
                  {"version", rotation.version},       {"grant", rotation.grant},
                  {"commitment", rotation.commitment}, {"sealed_to", rotation.sealed.sealed_to}};
    if (!rotation.certificate_key_id.empty())
      event["certificate"] = {{"key_id", rotation.certificate_key_id},
                              {"serial", rotation.certificate_serial}};
    scope.events.push_back(Event("credential.rotated", client, now, std::move(event)));
    return Status::Ok();
  });
}

}  // namespace quartet::governance
