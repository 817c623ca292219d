#include "access/grant.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "base/json.h"
#include "base/utf8.h"

namespace quartet::access {
namespace {

constexpr size_t kMaxName = 128;
constexpr size_t kMaxReason = 1000;
constexpr size_t kMaxTicket = 100;
constexpr int64_t kMaxScheduleAhead = 7 * 86400;

// Well-formed UTF-8 without control characters: text that canonical JSON writes as it is.
bool IsPrintable(std::string_view text) {
  return IsValidUtf8(text) && std::none_of(text.begin(), text.end(), [](char c) {
           return static_cast<unsigned char>(c) < 0x20;
         });
}

// POSIX-style account names: they become SSH certificate principals.
bool IsValidLogin(std::string_view login) {
  if (login.empty() || login.size() > 64) return false;
  if (!(std::islower(static_cast<unsigned char>(login[0])) || login[0] == '_')) return false;
  return std::all_of(login.begin(), login.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

Status ValidateName(std::string_view value, std::string_view what) {
  if (value.empty() || value.size() > kMaxName || !IsPrintable(value)) {
    return InvalidArgumentError(std::string(what) + " must be 1 to 128 printable characters");
  }
  return Status::Ok();
}

Status Validate(const GrantRequest& request) {
  RETURN_IF_ERROR(ValidateName(request.id, "the grant id"));
  RETURN_IF_ERROR(ValidateName(request.client, "the client"));
  RETURN_IF_ERROR(ValidateName(request.technician, "the technician"));
  RETURN_IF_ERROR(ValidateName(request.resource, "the resource"));
  if (request.reason.empty() || request.reason.size() > kMaxReason ||
      !IsPrintable(request.reason)) {
    return InvalidArgumentError("a reason is required (at most 1,000 characters)");
  }
  if (request.ticket.size() > kMaxTicket || !IsPrintable(request.ticket)) {
    return InvalidArgumentError("the ticket reference must be at most 100 printable characters");
  }
  if (request.action == Action::kLogin && !IsValidLogin(request.login)) {
    return InvalidArgumentError("logging in needs an account name such as 'admin' or 'svc_backup'");
  }
  if (!request.login.empty() && !IsValidLogin(request.login))
    return InvalidArgumentError("malformed account name");
  if (!request.ssh_key.empty()) {
    if (request.kind != ResourceKind::kSshHost || request.action != Action::kLogin)
      return InvalidArgumentError("only an SSH login names an SSH key");
    // "SHA256:" and the unpadded base64 of 32 bytes.
    constexpr std::string_view kPrefix = "SHA256:";
    const std::string_view key = request.ssh_key;
    if (!key.starts_with(kPrefix) || key.size() != kPrefix.size() + 43 ||
        key.substr(kPrefix.size())
                .find_first_not_of(
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") !=
            std::string_view::npos) {
      return InvalidArgumentError("the SSH key must be named by its SHA256 fingerprint");
    }
  }
  if (request.requested_at < kEarliestTime || request.requested_at > kLatestTime)
    return InvalidArgumentError("the time of the request is out of range");
  if (request.duration_seconds <= 0) return InvalidArgumentError("a grant needs a duration");
  if (request.not_before != 0 && (request.not_before < request.requested_at ||
                                  request.not_before > request.requested_at + kMaxScheduleAhead)) {
    return InvalidArgumentError("a scheduled start must be within the next 7 days");
  }
  return Status::Ok();
}

Status ValidateComment(const std::string& comment) {
  if (comment.size() > kMaxReason || !IsPrintable(comment)) {
    return InvalidArgumentError("a comment must be at most 1,000 printable characters");
  }
  return Status::Ok();
}

std::string_view EffectWord(Effect effect) {
  switch (effect) {
    case Effect::kApprove:
      return "approve";
    case Effect::kAskOwners:
      return "ask-owners";
    case Effect::kDeny:
      return "deny";
  }
  return "deny";
}

std::string MakeEvent(const GrantRequest& request, std::string_view kind, int64_t at, Json fields) {
  fields["kind"] = std::string(kind);
  fields["at"] = at;
  fields["client"] = request.client;
  fields["grant"] = request.id;
  return CanonicalJsonOf(fields);
}

}  // namespace

std::string CanonicalRequest(const GrantRequest& request) {
  Json out = {{"id", request.id},
              {"client", request.client},
              {"technician", request.technician},
              {"role", std::string(RoleName(request.role))},
              {"resource", request.resource},
              {"kind", std::string(KindName(request.kind))},
              {"labels", request.labels},
              {"action", std::string(ActionName(request.action))},
              {"login", request.login},
              {"reason", request.reason},
              {"ticket", request.ticket},
              {"duration_seconds", request.duration_seconds},
              {"requested_at", request.requested_at},
              {"not_before", request.not_before},
              {"breakglass", request.breakglass}};
  // Named only when the request has one, so that requests made before it read back as they were
  // signed.
  if (!request.ssh_key.empty()) out["ssh_key"] = request.ssh_key;
  return CanonicalJsonOf(out);
}

StatusOr<GrantRequest> ParseCanonicalRequest(std::string_view canonical) {
  ASSIGN_OR_RETURN(const JsonDocument document,
                   JsonDocument::Parse(canonical, "the grant request"));
  const JsonObject value = document.root();
  GrantRequest request;
  ASSIGN_OR_RETURN(request.id, value.Text("id", Field::kRequired));
  ASSIGN_OR_RETURN(request.client, value.Text("client", Field::kRequired));
  ASSIGN_OR_RETURN(request.technician, value.Text("technician", Field::kRequired));
  ASSIGN_OR_RETURN(request.resource, value.Text("resource", Field::kRequired));
  ASSIGN_OR_RETURN(request.login, value.Text("login", Field::kRequired));
  ASSIGN_OR_RETURN(request.reason, value.Text("reason", Field::kRequired));
  ASSIGN_OR_RETURN(request.ticket, value.Text("ticket", Field::kRequired));
  ASSIGN_OR_RETURN(request.duration_seconds, value.Integer("duration_seconds", Field::kRequired));
  ASSIGN_OR_RETURN(request.requested_at, value.Integer("requested_at", Field::kRequired));
  ASSIGN_OR_RETURN(request.not_before, value.Integer("not_before", Field::kRequired));
  ASSIGN_OR_RETURN(const int64_t labels, value.Integer("labels", Field::kRequired));
  request.labels = static_cast<LabelSet>(labels);
  ASSIGN_OR_RETURN(const std::string role, value.Text("role", Field::kRequired));
  ASSIGN_OR_RETURN(request.role, RoleFromName(role));
  if (!IsProviderRole(request.role))
    return InvalidArgumentError("a request comes from provider staff");
  ASSIGN_OR_RETURN(const std::string kind, value.Text("kind", Field::kRequired));
  ASSIGN_OR_RETURN(request.kind, ResourceKindFromName(kind));
  ASSIGN_OR_RETURN(const std::string action, value.Text("action", Field::kRequired));
  ASSIGN_OR_RETURN(request.action, ActionFromName(action));
  ASSIGN_OR_RETURN(request.breakglass, value.Boolean("breakglass", Field::kRequired));
  ASSIGN_OR_RETURN(request.ssh_key, value.Text("ssh_key", Field::kOptional));
  // Every term read back must write the very same bytes: no other field, no other spelling.
  if (CanonicalRequest(request) != canonical)
    return InvalidArgumentError("grant request is not canonical");
  return request;
}

Grant Grant::Restore(GrantRequest request, GrantProgress progress, std::string canonical) {
  if (canonical.empty()) canonical = CanonicalRequest(request);
  Grant grant(std::move(request), std::move(canonical));
  grant.state_ = progress.state;
  grant.approvals_required_ = progress.approvals_required;
  grant.approvals_ = std::move(progress.approvals);
  grant.window_start_ = progress.window_start;
  grant.window_end_ = progress.window_end;
  grant.awaits_review_ = progress.awaits_review;
  return grant;
}

std::string_view GrantStateName(GrantState state) {
  switch (state) {
    case GrantState::kPending:
      return "pending";
    case GrantState::kApproved:
      return "approved";
    case GrantState::kDenied:
      return "denied";
    case GrantState::kEnded:
      return "ended";
    case GrantState::kRevoked:
      return "revoked";
    case GrantState::kExpired:
      return "expired";
  }
  return "unknown";
}

StatusOr<Grant> Grant::Open(GrantRequest request, const Policy& policy, LocalTime local_time,
                            std::vector<std::string>& events) {
  RETURN_IF_ERROR(Validate(request));
  const AccessContext context{request.kind,       request.labels,          request.action,
                              request.role,       !request.ticket.empty(), request.duration_seconds,
                              local_time.weekday, local_time.minute_of_day};
  // Refused before anything is logged: break-glass only on the policy's terms.
  if (request.breakglass) RETURN_IF_ERROR(CheckBreakglass(policy, context));
  std::string canonical = CanonicalRequest(request);
  Grant grant(std::move(request), std::move(canonical));
  const GrantRequest& r = grant.request_;
  events.push_back(
      MakeEvent(r, "grant.requested", r.requested_at, {{"request", grant.canonical_}}));
  if (r.breakglass) {
    grant.awaits_review_ = true;
    events.push_back(
        MakeEvent(r, "grant.decided", r.requested_at,
                  {{"decision", "breakglass"}, {"rule", ""}, {"approvals_required", 0}}));
    grant.Activate(r.requested_at, events);
    return grant;
  }
  const Verdict verdict = Decide(policy, context);
  events.push_back(MakeEvent(r, "grant.decided", r.requested_at,
                             {{"decision", std::string(EffectWord(verdict.effect))},
                              {"rule", std::string(verdict.reason)},
                              {"approvals_required", verdict.approvals_required}}));
  switch (verdict.effect) {
    case Effect::kApprove:
      grant.Activate(r.requested_at, events);
      break;
    case Effect::kAskOwners:
      grant.approvals_required_ = verdict.approvals_required;
      break;
    case Effect::kDeny:
      grant.state_ = GrantState::kDenied;
      break;
  }
  return grant;
}

void Grant::Activate(int64_t now, std::vector<std::string>& events) {
  state_ = GrantState::kApproved;
  window_start_ = std::max(now, request_.not_before);
  window_end_ = window_start_ + request_.duration_seconds;
  events.push_back(MakeEvent(request_, "grant.activated", now,
                             {{"window_start", window_start_},
                              {"window_end", window_end_},
                              {"breakglass", request_.breakglass}}));
}

Status Grant::CheckOpenForVotes(const std::string& owner, int64_t now,
                                std::vector<std::string>& events) {
  // An approval's time starts the window: a window beyond kLatestTime could overflow.
  if (now < kEarliestTime || now > kLatestTime)
    return InvalidArgumentError("the time of the decision is out of range");
  ExpireIfStale(now, events);
  if (state_ != GrantState::kPending) {
    return FailedPreconditionError("the request is " + std::string(GrantStateName(state_)) +
                                   ", not pending");
  }
  for (const OwnerVote& vote : approvals_) {
    if (vote.owner == owner)
      return FailedPreconditionError("this owner has already approved the request");
  }
  return Status::Ok();
}

Status Grant::Approve(const std::string& owner, const OwnerKey& key, ByteView signature,
                      const std::string& comment, int64_t now, std::vector<std::string>& events) {
  RETURN_IF_ERROR(ValidateComment(comment));
  RETURN_IF_ERROR(CheckOpenForVotes(owner, now, events));
  RETURN_IF_ERROR(VerifyOwnerDecision(key, OwnerDecision::kApprove, canonical_, signature));
  approvals_.push_back({owner, key.Id(), Bytes(signature.begin(), signature.end()), now});
  events.push_back(MakeEvent(request_, "grant.approved", now,
                             {{"owner", owner},
                              {"key_id", key.Id()},
                              {"signature", Base64Encode(signature)},
                              {"comment", comment}}));
  if (static_cast<int>(approvals_.size()) >= approvals_required_) Activate(now, events);
  return Status::Ok();
}

Status Grant::Deny(const std::string& owner, const OwnerKey& key, ByteView signature,
                   const std::string& comment, int64_t now, std::vector<std::string>& events) {
  RETURN_IF_ERROR(ValidateComment(comment));
  RETURN_IF_ERROR(CheckOpenForVotes(owner, now, events));
  RETURN_IF_ERROR(VerifyOwnerDecision(key, OwnerDecision::kDeny, canonical_, signature));
  state_ = GrantState::kDenied;
  events.push_back(MakeEvent(request_, "grant.denied", now,
                             {{"owner", owner},
                              {"key_id", key.Id()},
                              {"signature", Base64Encode(signature)},
                              {"comment", comment}}));
  return Status::Ok();
}

Status Grant::End(const std::string& by, int64_t now, std::vector<std::string>& events) {
  if (by != request_.technician)
    return PermissionDeniedError("only the technician who asked can end a grant");
  if (state_ != GrantState::kApproved || now >= window_end_) {
    return FailedPreconditionError("the grant is not open");
  }
  state_ = GrantState::kEnded;
  window_end_ = std::max(window_start_, now);
  events.push_back(MakeEvent(request_, "grant.ended", now, {{"by", by}}));
  return Status::Ok();
}

Status Grant::Revoke(const std::string& by, const std::string& reason, int64_t now,
                     std::vector<std::string>& events) {
  RETURN_IF_ERROR(ValidateComment(reason));
  ExpireIfStale(now, events);
  const bool open =
      state_ == GrantState::kPending || (state_ == GrantState::kApproved && now < window_end_);
  if (!open) return FailedPreconditionError("the grant is not open");
  if (state_ == GrantState::kApproved) window_end_ = std::max(window_start_, now);
  state_ = GrantState::kRevoked;
  events.push_back(MakeEvent(request_, "grant.revoked", now, {{"by", by}, {"reason", reason}}));
  return Status::Ok();
}

void Grant::ExpireIfStale(int64_t now, std::vector<std::string>& events) {
  if (state_ != GrantState::kPending || now < request_.requested_at + kRequestLifetimeSeconds)
    return;
  state_ = GrantState::kExpired;
  events.push_back(MakeEvent(request_, "grant.expired",
                             request_.requested_at + kRequestLifetimeSeconds, Json::object()));
}

Status Grant::Review(const std::string& owner, BreakglassReview verdict, const std::string& comment,
                     int64_t now, std::vector<std::string>& events) {
  RETURN_IF_ERROR(ValidateComment(comment));
  if (!awaits_review_)
    return FailedPreconditionError("this grant does not await a break-glass review");
  awaits_review_ = false;
  events.push_back(MakeEvent(
      request_, "breakglass.reviewed", now,
      {{"owner", owner},
       {"verdict", verdict == BreakglassReview::kAcknowledged ? "acknowledged" : "disputed"},
       {"comment", comment}}));
  return Status::Ok();
}

std::string ProgressToJson(const GrantProgress& progress) {
  Json approvals = Json::array();
  for (const OwnerVote& vote : progress.approvals) {
    approvals.push_back({{"owner", vote.owner},
                         {"key_id", vote.key_id},
                         {"signature", Base64Encode(vote.signature)},
                         {"at", vote.at}});
  }
  return CanonicalJsonOf(Json{{"state", std::string(GrantStateName(progress.state))},
                              {"approvals_required", progress.approvals_required},
                              {"approvals", approvals},
                              {"window_start", progress.window_start},
                              {"window_end", progress.window_end},
                              {"awaits_review", progress.awaits_review}});
}

namespace {

StatusOr<GrantProgress> ReadProgress(const JsonObject& value) {
  GrantProgress progress;
  ASSIGN_OR_RETURN(const std::string state, value.Text("state", Field::kRequired));
  bool known = false;
  for (GrantState candidate : {GrantState::kPending, GrantState::kApproved, GrantState::kDenied,
                               GrantState::kEnded, GrantState::kRevoked, GrantState::kExpired}) {
    if (GrantStateName(candidate) == state) {
      progress.state = candidate;
      known = true;
    }
  }
  if (!known) return InvalidArgumentError("an unknown state '" + state + "'");
  ASSIGN_OR_RETURN(const int64_t required, value.Integer("approvals_required", Field::kRequired));
  if (required < 0 || required > std::numeric_limits<int>::max())
    return InvalidArgumentError("approvals_required out of range");
  progress.approvals_required = static_cast<int>(required);
  ASSIGN_OR_RETURN(progress.window_start, value.Integer("window_start", Field::kRequired));
  ASSIGN_OR_RETURN(progress.window_end, value.Integer("window_end", Field::kRequired));
  ASSIGN_OR_RETURN(progress.awaits_review, value.Boolean("awaits_review", Field::kRequired));
  ASSIGN_OR_RETURN(const std::vector<JsonObject> votes,
                   value.Objects("approvals", Field::kRequired));
  for (const JsonObject& vote : votes) {
    OwnerVote out;
    ASSIGN_OR_RETURN(out.owner, vote.Text("owner", Field::kRequired));
    ASSIGN_OR_RETURN(out.key_id, vote.Text("key_id", Field::kRequired));
    ASSIGN_OR_RETURN(const std::string signature, vote.Text("signature", Field::kRequired));
    ASSIGN_OR_RETURN(out.signature, Base64Decode(signature));
    ASSIGN_OR_RETURN(out.at, vote.Integer("at", Field::kRequired));
    progress.approvals.push_back(std::move(out));
  }
  return progress;
}

}  // namespace

StatusOr<GrantProgress> ProgressFromJson(std::string_view text) {
  StatusOr<JsonDocument> document = JsonDocument::Parse(text, "the grant's progress");
  StatusOr<GrantProgress> progress =
      document.ok() ? ReadProgress(document->root()) : StatusOr<GrantProgress>(document.status());
  if (!progress.ok())
    return DataLossError("stored grant progress is malformed: " + progress.status().message());
  return progress;
}

bool Grant::IsLive(int64_t now) const {
  return state_ == GrantState::kApproved && now >= window_start_ && now < window_end_;
}

}  // namespace quartet::access
