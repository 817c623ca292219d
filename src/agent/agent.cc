#include "agent/agent.h"

#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "agent/witness.h"
#include "ledger/checkpoint.h"
#include "ledger/merkle.h"
#include "ledger/tiles.h"
#include "ledger/witness.h"
#include "ssh/certificate.h"
#include "vault/credential.h"
#include "vault/rotation_target.h"
#include "vault/sealing_key.h"

namespace quartet::agent {

namespace {

Json SealedJson(const vault::SealedCredential& sealed) {
  return {{"enc", Base64Encode(sealed.enc)},
          {"ciphertext", Base64Encode(AsBytes(sealed.ciphertext))},
          {"sealed_to", sealed.sealed_to}};
}

StatusOr<vault::SealedCredential> SealedFromJson(const JsonObject& object) {
  vault::SealedCredential sealed;
  ASSIGN_OR_RETURN(const std::string enc_text, object.Text("enc", Field::kRequired));
  ASSIGN_OR_RETURN(const std::string ciphertext, object.Text("ciphertext", Field::kRequired));
  ASSIGN_OR_RETURN(sealed.sealed_to, object.Text("sealed_to", Field::kRequired));
  auto enc = Base64Decode(enc_text);
  auto bytes = Base64Decode(ciphertext);
  if (!enc.ok() || enc->size() != sealed.enc.size() || !bytes.ok())
    return DataLossError("a sealed credential is malformed");
  std::copy(enc->begin(), enc->end(), sealed.enc.begin());
  sealed.ciphertext.assign(bytes->begin(), bytes->end());
  return sealed;
}

}  // namespace

StatusOr<std::unique_ptr<Agent>> Agent::Open(AgentStore& store, AgentOptions options, Clock& clock,
                                             Random& random) {
  ASSIGN_OR_RETURN(AgentConfig config, store.Config());
  ASSIGN_OR_RETURN(ledger::NoteSigner witness_key, store.WitnessKey());
  ASSIGN_OR_RETURN(ssh::KeyPair ca, store.CertificateAuthority());
  ASSIGN_OR_RETURN(std::string token, store.Token());
  // An agent made before credential custody has none, and holds no credentials.
  auto sealing = store.SealingKey();
  if (!sealing.ok() && sealing.status().code() != StatusCode::kNotFound) return sealing.status();
  const std::string sealing_key =
      sealing.ok() ? vault::SealingKeyString(sealing->public_key) : std::string();
  ASSIGN_OR_RETURN(
      client::ApiClient api,
      client::ApiClient::Connect(options.server.empty() ? config.server : options.server, token));
  std::unique_ptr<Agent> agent(new Agent(store, std::move(config), std::move(witness_key),
                                         std::move(ca), sealing_key, std::move(api), options, clock,
                                         random));
  ASSIGN_OR_RETURN(agent->state_, store.LoadWitness());
  RETURN_IF_ERROR(store.LoadReplica(agent->replica_));
  agent->rotators_ =
      options.rotators != nullptr ? options.rotators : std::make_shared<rotation::Rotators>();
  rotation::Rotators& rotators = *agent->rotators_;
  if (rotators.postgresql == nullptr) rotators.postgresql = rotation::PostgresqlRotator();
  if (rotators.ldap == nullptr) rotators.ldap = rotation::LdapRotator();
  if (rotators.ssh == nullptr) {
    Agent* self = agent.get();
    rotators.ssh =
        rotation::SshRotator({[self](const ssh::PublicKey& key, const std::string& user) {
                                return self->CertifyForRotation(key, user);
                              },
                              store.directory() + "/rotation", store.directory() + "/known_hosts",
                              std::chrono::seconds(20)},
                             random);
  }
  return agent;
}

Replica Agent::FreshReplica() const {
  return Replica(
      config_.client, config_.founder_key_id,
      {witness_key_.VerifierKeyString(), ssh::FormatPublicKey(ca_.public_key(), ""), sealing_key_});
}

void Agent::Run(const std::atomic<bool>& stop) {
  auto backoff = std::chrono::seconds(1);
  while (!stop) {
    Status status = RunOnce(options_.poll_wait);
    if (status.ok()) {
      backoff = std::chrono::seconds(1);
      continue;
    }
    spdlog::warn("agent: {} (retrying in {} s)", status.ToString(), backoff.count());
    const auto until = std::chrono::steady_clock::now() + backoff;
    while (!stop && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    backoff = std::min(backoff * 2, std::chrono::seconds(30));
  }
}

Status Agent::RunOnce(std::chrono::seconds wait) {
  RETURN_IF_ERROR(DeliverAlarms());
  if (!cosignature_.empty()) RETURN_IF_ERROR(SendCosignature());
  const uint64_t witnessed = state_.size;
  const size_t waiting = first_seen_.size();
  const auto started = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(const Json work,
                   api_.Call("GET", "/agent/work?witnessed=" + std::to_string(state_.size) +
                                        "&wait=" + std::to_string(wait.count())));
  ASSIGN_OR_RETURN(const JsonObject reply, JsonObject::Of(work, "the server's work"));
  ASSIGN_OR_RETURN(const std::string add_checkpoint,
                   reply.Text("add_checkpoint", Field::kRequired));
  ASSIGN_OR_RETURN(const std::string cosigned, reply.Text("cosigned_checkpoint", Field::kOptional));
  ASSIGN_OR_RETURN(const std::vector<JsonObject> certificate_requests,
                   reply.Objects("certificate_requests", Field::kRequired));
  ASSIGN_OR_RETURN(const std::vector<JsonObject> reveal_requests,
                   reply.Objects("reveal_requests", Field::kOptional));
  if (!add_checkpoint.empty() && state_.halted.empty())
    RETURN_IF_ERROR(Witness(add_checkpoint, cosigned));
  const size_t requests = certificate_requests.size() + reveal_requests.size();
  for (const JsonObject& request : certificate_requests)
    RETURN_IF_ERROR(AnswerCertificateRequest(request));
  for (const JsonObject& request : reveal_requests) RETURN_IF_ERROR(AnswerRevealRequest(request));
  if (state_.halted.empty()) RETURN_IF_ERROR(Rotate());
  // The server answers at once while there is something the agent will not act on (a refused
  // log, requests it waits on): pace the polls then instead of spinning.
  const bool progressed =
      state_.size != witnessed || requests > first_seen_.size() || first_seen_.size() < waiting;
  if (!progressed && std::chrono::steady_clock::now() - started < std::chrono::milliseconds(250)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return Status::Ok();
}

Status Agent::HaltFor(const std::string& kind, const std::string& detail) {
  spdlog::error("agent: the log of {} is refused for good ({}): {}", config_.client, kind, detail);
  RETURN_IF_ERROR(store_.Halt({0, clock_.NowUnixSeconds(), kind, detail, false}));
  ASSIGN_OR_RETURN(state_, store_.LoadWitness());
  (void)DeliverAlarms();
  return FailedPreconditionError("log refused: " + kind + ": " + detail);
}

Status Agent::FetchEntries(uint64_t begin, uint64_t end, uint64_t tree_size,
                           std::vector<std::string>& out) {
  const uint64_t bundle = begin / ledger::kTileWidth;
  const uint32_t width = ledger::TileWidthInTree(ledger::kEntriesLevel, bundle, tree_size);
  const ledger::TileId id{ledger::kEntriesLevel, bundle, width};
  ASSIGN_OR_RETURN(std::string data, api_.Fetch("/logs/" + config_.client + "/" + id.Path()));
  ASSIGN_OR_RETURN(auto entries, ledger::DecodeEntryBundle(data, width));
  for (uint64_t index = begin; index < end && index < (bundle + 1) * ledger::kTileWidth; ++index) {
    out.emplace_back(entries[index - bundle * ledger::kTileWidth]);
  }
  return Status::Ok();
}

Status Agent::Witness(const std::string& body, const std::string& cosigned) {
  ASSIGN_OR_RETURN(ledger::AddCheckpointRequest request, ledger::ParseAddCheckpoint(body));
  ASSIGN_OR_RETURN(ledger::NoteVerifier log_key, ledger::NoteVerifier::Parse(config_.log_key));
  auto fetch = [&](uint64_t begin, uint64_t end, std::vector<std::string>& out) {
    return FetchEntries(begin, end, end, out);
  };
  // Before its first cosignature, the agent notes the size of the latest cosigned checkpoint, so
  // as to learn the root of its own tree there on the way.
  std::optional<ledger::Checkpoint> baseline;
  if (state_.size == 0 && !cosigned.empty()) {
    const ledger::NoteVerifier keys[] = {log_key};
    auto note = ledger::OpenNote(cosigned, keys);
    if (!note.ok())
      return UnauthenticatedError("a cosigned checkpoint the log did not sign: " +
                                  note.status().message());
    ASSIGN_OR_RETURN(baseline, ledger::Checkpoint::Parse(note->text));
  }
  auto check = CheckCheckpoint(state_, log_key, config_.origin, request, fetch, replica_,
                               baseline.has_value() ? baseline->size : 0);
  if (!check.ok() || check->outcome != WitnessOutcome::kExtends) {
    // Whatever was replayed from a checkpoint not cosigned is dropped.
    replica_ = FreshReplica();
    RETURN_IF_ERROR(store_.LoadReplica(replica_));
  }
  if (!check.ok()) return check.status();
  if (check->outcome == WitnessOutcome::kUnchanged) return Status::Ok();
  if (check->outcome != WitnessOutcome::kExtends) {
    return HaltFor(std::string(WitnessOutcomeName(check->outcome)), check->detail);
  }
  if (Status continued =
          CheckPredecessor(baseline.value_or(ledger::Checkpoint{}), cosigned, *check);
      !continued.ok()) {
    replica_ = FreshReplica();
    RETURN_IF_ERROR(store_.LoadReplica(replica_));
    return continued;
  }
  std::vector<Alarm> alarms;
  for (const std::string& violation : replica_.TakeViolations()) {
    spdlog::warn("agent: {}", violation);
    alarms.push_back({0, clock_.NowUnixSeconds(), "rule-violation", violation, false});
  }
  const std::string line =
      witness_key_.SignatureLine(check->body, static_cast<uint64_t>(clock_.NowUnixSeconds()));
  WitnessState next{check->checkpoint.size, check->checkpoint.root, std::move(check->edge),
                    request.note + line, ""};
  if (Status committed = store_.CommitWitnessed(next, replica_, alarms); !committed.ok()) {
    replica_ = FreshReplica();
    RETURN_IF_ERROR(store_.LoadReplica(replica_));
    return committed;
  }
  state_ = std::move(next);
  cosignature_ = line;
  (void)DeliverAlarms();
  return SendCosignature();
}

Status Agent::CheckPredecessor(const ledger::Checkpoint& baseline, const std::string& note,
                               const WitnessCheck& check) {
  if (state_.size != 0) return Status::Ok();
  // The agent before this one: the one the chain confirms, while the log does not show this one
  // confirmed yet, or the one this one replaced. The first agent of a client has none.
  const trust::ChainState& chain = replica_.chain();
  if (!chain.agent.has_value()) return Status::Ok();
  const bool self = chain.agent->witness_key == witness_key_.VerifierKeyString();
  if (self && !chain.previous_agent.has_value()) return Status::Ok();
  const trust::AgentIdentity& previous = self ? *chain.previous_agent : *chain.agent;
  if (note.empty())
    return FailedPreconditionError("the server shows no checkpoint cosigned by agent " +
                                   previous.name + ", which this one replaces: not cosigning");
  ASSIGN_OR_RETURN(ledger::NoteVerifier log_key, ledger::NoteVerifier::Parse(config_.log_key));
  ASSIGN_OR_RETURN(ledger::NoteVerifier previous_key,
                   ledger::NoteVerifier::Parse(previous.witness_key));
  ASSIGN_OR_RETURN(ledger::NoteVerifier own_key,
                   ledger::NoteVerifier::Parse(witness_key_.VerifierKeyString()));
  std::vector<ledger::VerifiedSignature> verified;
  const ledger::NoteVerifier keys[] = {log_key, previous_key, own_key};
  RETURN_IF_ERROR(ledger::OpenNote(note, keys, &verified).status());
  // Its own cosignature counts too: an agent whose data folder was lost starts again from it.
  const bool cosigned = std::any_of(verified.begin(), verified.end(), [&](const auto& signature) {
    return std::any_of(std::begin(keys) + 1, std::end(keys), [&](const auto& key) {
      return signature.name == key.name() && signature.key_id == key.key_id();
    });
  });
  if (!cosigned)
    return UnauthenticatedError("the checkpoint shown as the last that agent " + previous.name +
                                " cosigned does not carry its cosignature: not cosigning");
  const std::string sizes = std::to_string(baseline.size) + " (cosigned by " + previous.name + ")";
  if (baseline.size > check.checkpoint.size)
    return HaltFor("rollback", "the log is smaller than the checkpoint of size " + sizes);
  const Hash root = baseline.size == check.checkpoint.size ? check.checkpoint.root
                                                           : check.root_at.value_or(Hash{});
  if (root != baseline.root)
    return HaltFor("fork", "the log does not extend the checkpoint of size " + sizes);
  spdlog::info("agent: continues from checkpoint {} that agent {} cosigned", baseline.size,
               previous.name);
  return Status::Ok();
}

Status Agent::SendCosignature() {
  RETURN_IF_ERROR(api_.Call("POST", "/agent/cosignatures",
                            {{"size", state_.size}, {"cosignature", cosignature_}})
                      .status());
  cosignature_.clear();
  return Status::Ok();
}

Status Agent::DeliverAlarms() {
  ASSIGN_OR_RETURN(std::vector<Alarm> alarms, store_.Alarms());
  for (const Alarm& alarm : alarms) {
    if (alarm.delivered) continue;
    RETURN_IF_ERROR(
        api_.Call("POST", "/agent/alarms", {{"kind", alarm.kind}, {"detail", alarm.detail}})
            .status());
    RETURN_IF_ERROR(store_.MarkAlarmDelivered(alarm.id));
  }
  return Status::Ok();
}

namespace {

std::string NotLiveReason(const access::Grant& grant) {
  return grant.state() == access::GrantState::kApproved
             ? "the grant is outside its window"
             : "the grant is " + std::string(access::GrantStateName(grant.state()));
}

}  // namespace

Agent::GrantCheck Agent::CheckGrantFor(const std::string& id, const std::string& grant_id,
                                       const std::string& technician, int64_t now) {
  if (!state_.halted.empty())
    return {nullptr, "the agent refuses all access since the log was refused: " + state_.halted};
  // A grant the log does not show yet, or not as live yet, may be waiting in a checkpoint not
  // cosigned yet (an approval made a moment ago): the request waits a little for it.
  const GrantRecord* record = replica_.FindGrant(grant_id);
  const bool settled =
      record != nullptr && (!record->tainted.empty() || record->grant.IsLive(now) ||
                            (record->grant.state() != access::GrantState::kPending &&
                             record->grant.state() != access::GrantState::kApproved));
  if (!settled) {
    const int64_t first = first_seen_.emplace(id, now).first->second;
    if (now - first < options_.unknown_grant_patience.count()) return {};
    if (record == nullptr) return {nullptr, "the grant is not in the log"};
  }
  first_seen_.erase(id);
  if (!record->tainted.empty())
    return {nullptr, "the grant's log entries break the rules: " + record->tainted};
  if (Status may = replica_.MayIssue(); !may.ok()) return {nullptr, may.message()};
  if (record->grant.request().technician != technician)
    return {nullptr, "the grant is another technician's"};
  return {record, ""};
}

Status Agent::AnswerCertificateRequest(const JsonObject& request) {
  ASSIGN_OR_RETURN(const std::string id, request.Text("id", Field::kRequired));
  ASSIGN_OR_RETURN(const std::string grant_id, request.Text("grant", Field::kRequired));
  ASSIGN_OR_RETURN(const std::string technician, request.Text("technician", Field::kRequired));
  ASSIGN_OR_RETURN(const std::string public_key, request.Text("public_key", Field::kRequired));
  const int64_t now = clock_.NowUnixSeconds();
  auto refuse = [&](const std::string& reason) {
    spdlog::info("agent: certificate for grant {} refused: {}", grant_id, reason);
    first_seen_.erase(id);
    return api_.Call("POST", "/agent/certificates/" + id, {{"refused", reason}}).status();
  };
  const GrantCheck check = CheckGrantFor(id, grant_id, technician, now);
  if (!check.refusal.empty()) return refuse(check.refusal);
  if (check.record == nullptr) return Status::Ok();
  const GrantRecord* record = check.record;
  const access::Grant& grant = record->grant;
  const access::GrantRequest& r = grant.request();
  if (r.kind != access::ResourceKind::kSshHost || r.action != access::Action::kLogin ||
      r.login.empty()) {
    return refuse("the grant is not an SSH login");
  }
  if (!grant.IsLive(now)) return refuse(NotLiveReason(grant));
  auto subject = ssh::ParsePublicKey(public_key);
  if (!subject.ok()) return refuse("the public key is not valid: " + subject.status().message());
  // The owners approved a request that names the technician's key: that key and no other gets in.
  // Under a trust chain, an SSH login that names none is not certified.
  if (r.ssh_key.empty() && (replica_.chain().size > 0 || !config_.founder_key_id.empty()))
    return refuse("the request names no SSH key for the owners to approve");
  if (!r.ssh_key.empty() && ssh::Fingerprint(*subject) != r.ssh_key)
    return refuse("the key is not the one the request names (" + r.ssh_key + ")");
  ASSIGN_OR_RETURN(uint64_t serial, store_.NextSerial());
  ssh::CertificateTemplate tmpl;
  tmpl.subject = *subject;
  tmpl.serial = serial;
  tmpl.key_id = "grant-" + grant_id + ":" + technician;
  tmpl.principals = {r.login};
  tmpl.valid_after = static_cast<uint64_t>(grant.window_start());
  tmpl.valid_before = static_cast<uint64_t>(grant.window_end());
  tmpl.extensions = {"permit-pty"};
  ASSIGN_OR_RETURN(std::string certificate,
                   ssh::SignUserCertificate(tmpl, ca_, random_, tmpl.key_id));
  // Recorded before it leaves: the host's principals check knows every certificate that exists.
  RETURN_IF_ERROR(store_.RecordCertificate({serial, grant_id, tmpl.key_id, r.login,
                                            ssh::Fingerprint(*subject), grant.window_end(), now}));
  spdlog::info("agent: certificate {} issued for grant {} ({} as {})", serial, grant_id, technician,
               r.login);
  return api_.Call("POST", "/agent/certificates/" + id, {{"certificate", certificate}}).status();
}

Status Agent::AnswerRevealRequest(const JsonObject& request) {
  ASSIGN_OR_RETURN(const std::string id, request.Text("id", Field::kRequired));
  ASSIGN_OR_RETURN(const std::string grant_id, request.Text("grant", Field::kRequired));
  ASSIGN_OR_RETURN(const std::string technician, request.Text("technician", Field::kRequired));
  ASSIGN_OR_RETURN(const std::string resource, request.Text("resource", Field::kRequired));
  ASSIGN_OR_RETURN(const std::string name, request.Text("name", Field::kRequired));
  ASSIGN_OR_RETURN(const std::string public_key, request.Text("public_key", Field::kRequired));
  ASSIGN_OR_RETURN(const uint64_t version, request.Unsigned("version", Field::kRequired));
  ASSIGN_OR_RETURN(const JsonObject credential, request.Object("credential", Field::kRequired));
  const int64_t now = clock_.NowUnixSeconds();
  auto refuse = [&](const std::string& reason) {
    spdlog::info("agent: reveal of {}/{} for grant {} refused: {}", resource, name, grant_id,
                 reason);
    first_seen_.erase(id);
    return api_.Call("POST", "/agent/reveals/" + id, {{"refused", reason}}).status();
  };
  const GrantCheck check = CheckGrantFor(id, grant_id, technician, now);
  if (!check.refusal.empty()) return refuse(check.refusal);
  if (check.record == nullptr) return Status::Ok();
  const access::Grant& grant = check.record->grant;
  const access::GrantRequest& r = grant.request();
  if (r.action != access::Action::kRevealCredential)
    return refuse("the grant is not for revealing a credential");
  if (r.resource != resource)
    return refuse("the grant is for another resource (" + r.resource + ")");
  if (!grant.IsLive(now)) return refuse(NotLiveReason(grant));
  // The credential as the log records it, which the agent checked itself: the version stored last
  // and its commitment. One the log does not show yet waits, as a grant does.
  const CredentialRecord* record = replica_.FindCredential(resource, name);
  if (record == nullptr || record->version < version) {
    const int64_t first = first_seen_.emplace(id, now).first->second;
    if (now - first < options_.unknown_grant_patience.count()) return Status::Ok();
    return refuse("the log does not show version " + std::to_string(version) + " of " + resource +
                  "/" + name);
  }
  first_seen_.erase(id);
  if (record->version != version)
    return refuse("version " + std::to_string(version) + " is not the one the log holds (" +
                  std::to_string(record->version) + ")");
  if (record->exclusive && !record->held_by.empty() && record->held_by != grant_id)
    return refuse("the credential is exclusive and " + record->holder + " holds it (grant " +
                  record->held_by + ") until it is rotated");
  auto sealing = store_.SealingKey();
  if (!sealing.ok()) return refuse(sealing.status().message());
  // The credential as the server keeps it: sealed to this agent, for this name and version, or it
  // does not open.
  auto sealed = SealedFromJson(credential);
  if (!sealed.ok()) return refuse("the stored credential is malformed");
  const vault::CredentialName stored{config_.client, resource, name, version};
  auto opened = vault::OpenCredential(stored, *sealing, *sealed);
  if (!opened.ok())
    return refuse("the stored credential does not open: " + opened.status().message());
  vault::WipeOnExit wipe{opened->secret};
  if (opened->commitment != record->commitment)
    return refuse("the stored credential is not the version its log entry commits to");
  auto revealed = vault::SealReveal({stored, id}, public_key, opened->secret, random_);
  if (!revealed.ok()) return refuse(revealed.status().message());
  // Held from now on, whatever the server does with the answer.
  replica_.NoteReveal(resource, name, grant_id, technician, version);
  RETURN_IF_ERROR(SaveReplica());
  spdlog::info("agent: {}/{} version {} revealed to {} under grant {}", resource, name, version,
               technician, grant_id);
  return api_
      .Call("POST", "/agent/reveals/" + id,
            {{"version", version},
             {"sealed",
              {{"enc", Base64Encode(revealed->enc)},
               {"ciphertext", Base64Encode(AsBytes(revealed->ciphertext))}}}})
      .status();
}

StatusOr<std::string> Agent::CertifyForRotation(const ssh::PublicKey& key,
                                                const std::string& user) {
  const int64_t now = clock_.NowUnixSeconds();
  ASSIGN_OR_RETURN(uint64_t serial, store_.NextSerial());
  ssh::CertificateTemplate tmpl;
  tmpl.subject = key;
  tmpl.serial = serial;
  tmpl.key_id = "rotation:" + config_.client + ":" + user;
  tmpl.principals = {user};
  // A minute's leeway for the host's clock; a login takes seconds.
  tmpl.valid_after = static_cast<uint64_t>(now - 60);
  tmpl.valid_before = static_cast<uint64_t>(now + 180);
  ASSIGN_OR_RETURN(std::string certificate,
                   ssh::SignUserCertificate(tmpl, ca_, random_, tmpl.key_id));
  rotation_certificate_ = {
      serial, "", tmpl.key_id, user, ssh::Fingerprint(key), static_cast<int64_t>(tmpl.valid_before),
      now};
  RETURN_IF_ERROR(store_.RecordCertificate(rotation_certificate_));
  return certificate;
}

Status Agent::Rotate() {
  if (sealing_key_.empty()) return Status::Ok();
  const int64_t now = clock_.NowUnixSeconds();
  ASSIGN_OR_RETURN(std::vector<PendingRotation> pending, store_.Rotations());
  std::set<std::pair<std::string, std::string>> begun;
  for (const PendingRotation& rotation : pending) begun.insert({rotation.resource, rotation.name});
  for (const auto& [resource, name] : replica_.RotationsDue(now)) {
    if (begun.count({resource, name}) > 0) continue;
    const CredentialRecord* record = replica_.FindCredential(resource, name);
    if (record == nullptr || !vault::ParseRotationTarget(record->rotate).ok()) continue;
    // The next version exists, sealed to the agent, before anything changes on the target.
    std::string secret = rotation::NewSecret(random_);
    vault::WipeOnExit wipe{secret};
    ASSIGN_OR_RETURN(vault::SealedVersion sealed,
                     vault::SealCredential({config_.client, resource, name, record->version + 1},
                                           sealing_key_, secret, random_));
    PendingRotation rotation{resource,
                             name,
                             record->version + 1,
                             record->held_by,
                             CanonicalJsonOf(SealedJson(sealed.sealed)),
                             sealed.commitment,
                             false,
                             0,
                             0,
                             ""};
    RETURN_IF_ERROR(store_.SaveRotation(rotation));
    spdlog::info("agent: rotating {}/{} (version {} was revealed to {} under grant {})", resource,
                 name, record->version, record->holder, record->held_by);
    pending.push_back(std::move(rotation));
  }
  std::optional<Json> stored;  // the server's sealed copies, fetched once
  for (PendingRotation& rotation : pending) {
    if (rotation.next_attempt > now) continue;
    RETURN_IF_ERROR(AdvanceRotation(rotation, stored, now));
  }
  return Status::Ok();
}

Status Agent::AdvanceRotation(PendingRotation& rotation, std::optional<Json>& stored, int64_t now) {
  const CredentialRecord* record = replica_.FindCredential(rotation.resource, rotation.name);
  // The log holds this version (or a later one people stored): nothing is left to do.
  if (record == nullptr || record->version >= rotation.version)
    return store_.ForgetRotation(rotation.resource, rotation.name);
  const std::string what = rotation.resource + "/" + rotation.name;
  auto fail = [&](const std::string& why) -> Status {
    rotation.attempts += 1;
    const int64_t wait = std::min<int64_t>(
        options_.rotation_retry.count() << std::min<int64_t>(rotation.attempts - 1, 16), 3600);
    rotation.next_attempt = now + wait;
    rotation.error = why;
    spdlog::warn("agent: rotating {} failed (trying again in {} s): {}", what, wait, why);
    RETURN_IF_ERROR(store_.SaveRotation(rotation));
    return api_
        .Call("POST", "/agent/rotations",
              {{"resource", rotation.resource},
               {"name", rotation.name},
               {"version", rotation.version},
               {"grant", rotation.grant},
               {"failed", why}})
        .status();
  };
  auto target = vault::ParseRotationTarget(record->rotate);
  if (!target.ok()) return fail(target.status().message());
  ASSIGN_OR_RETURN(vault::HpkeKeyPair sealing, store_.SealingKey());
  rotation_certificate_ = {};
  if (!rotation.applied) {
    if (!stored.has_value()) {
      ASSIGN_OR_RETURN(stored, api_.Call("GET", "/agent/credentials"));
    }
    ASSIGN_OR_RETURN(const JsonObject reply, JsonObject::Of(*stored, "the stored credentials"));
    ASSIGN_OR_RETURN(const std::vector<JsonObject> credentials,
                     reply.Objects("credentials", Field::kRequired));
    // The version the log holds, as the server keeps it sealed to the agent.
    std::optional<vault::SealedCredential> current_sealed;
    for (const JsonObject& credential : credentials) {
      ASSIGN_OR_RETURN(const std::string resource, credential.Text("resource", Field::kRequired));
      ASSIGN_OR_RETURN(const std::string name, credential.Text("name", Field::kRequired));
      ASSIGN_OR_RETURN(const uint64_t version, credential.Unsigned("version", Field::kRequired));
      if (resource != rotation.resource || name != rotation.name || version != record->version)
        continue;
      ASSIGN_OR_RETURN(const JsonObject sealed, credential.Object("credential", Field::kRequired));
      auto parsed = SealedFromJson(sealed);
      if (parsed.ok()) current_sealed = std::move(*parsed);
    }
    if (!current_sealed.has_value())
      return fail("the server does not hold version " + std::to_string(record->version));
    auto current =
        vault::OpenCredential({config_.client, rotation.resource, rotation.name, record->version},
                              sealing, *current_sealed);
    if (!current.ok() || current->commitment != record->commitment)
      return fail("the server's copy of version " + std::to_string(record->version) +
                  " is not the one the log commits to");
    vault::WipeOnExit wipe_current{current->secret};
    ASSIGN_OR_RETURN(const JsonDocument next_document,
                     JsonDocument::Parse(rotation.sealed, "the next version"));
    ASSIGN_OR_RETURN(const vault::SealedCredential next_sealed,
                     SealedFromJson(next_document.root()));
    ASSIGN_OR_RETURN(
        vault::OpenedCredential next,
        vault::OpenCredential({config_.client, rotation.resource, rotation.name, rotation.version},
                              sealing, next_sealed));
    vault::WipeOnExit wipe_next{next.secret};
    if (Status rotated = rotators_->Rotate(*target, current->secret, next.secret); !rotated.ok())
      return fail(rotated.message());
    rotation.applied = true;
    rotation.error.clear();
    RETURN_IF_ERROR(store_.SaveRotation(rotation));
  }
  // Only a rotation the agent expects frees the revealed version in its replica.
  replica_.ExpectRotation(rotation.resource, rotation.name, rotation.version, rotation.commitment);
  RETURN_IF_ERROR(SaveReplica());
  ASSIGN_OR_RETURN(const JsonDocument sealed_document,
                   JsonDocument::Parse(rotation.sealed, "the next version"));
  Json body = {{"resource", rotation.resource},    {"name", rotation.name},
               {"version", rotation.version},      {"grant", rotation.grant},
               {"sealed", sealed_document.json()}, {"commitment", rotation.commitment}};
  if (rotation_certificate_.serial != 0)
    body["certificate"] = {{"key_id", rotation_certificate_.key_id},
                           {"serial", rotation_certificate_.serial}};
  RETURN_IF_ERROR(api_.Call("POST", "/agent/rotations", body).status());
  spdlog::info("agent: {} rotated to version {}", what, rotation.version);
  return store_.ForgetRotation(rotation.resource, rotation.name);
}

}  // namespace quartet::agent
