// A grant: a technician's request for just-in-time, scoped, time-limited access to one client
// resource, and everything decided about it. A pure state machine: each change returns the
// canonical log events it produced (catalogue: docs/events.md), which the caller commits in the same
// transaction as the new state. The caller authenticates people and checks their roles; this checks
// states, windows and owner signatures.
//
//   Open ──policy approves──────────────────────────► approved (window from now or not_before)
//     ├──policy asks owners──► pending ──N approvals─► approved
//     │                          ├──an owner denies──► denied
//     │                          ├──12 h unanswered──► expired
//     │                          └──revoked──────────► revoked
//     ├──policy denies───────► denied
//     └──break-glass─────────► approved at once, flagged until an owner reviews it
//   approved ──technician ends──► ended;  ──owner or provider admin revokes──► revoked
//   approved grants also end by themselves when their window closes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "access/approval.h"
#include "access/local_time.h"
#include "access/policy.h"
#include "base/status.h"

namespace quartet::access {

inline constexpr int64_t kRequestLifetimeSeconds = 12 * 3600;

struct GrantRequest {
  std::string id;                 // unique, assigned by the caller
  std::string client;             // the client's tenant slug
  std::string technician;         // provider staff user name
  Role role = Role::kTechnician;  // a provider role
  std::string resource;           // resource name within the client
  ResourceKind kind = ResourceKind::kSshHost;
  LabelSet labels = 0;
  Action action = Action::kLogin;
  std::string login;  // the account to log in as (required for kLogin)
  // For an SSH login, the fingerprint ("SHA256:…", as ssh-keygen -l prints it) of the technician's
  // key: the only key the client's agent certifies for the grant. Empty if the request names none
  // (requests made before it was part of the request).
  std::string ssh_key;
  std::string reason;  // required
  std::string ticket;  // optional ticket reference
  int64_t duration_seconds = 0;
  int64_t requested_at = 0;  // Unix seconds
  int64_t not_before = 0;    // a scheduled start; 0 for "as soon as approved"
  bool breakglass = false;
};

// The request as owners sign it: canonical JSON of every term of the request.
std::string CanonicalRequest(const GrantRequest& request);
// Parses a canonical request back (from the store or from a log entry). InvalidArgument if it is
// malformed or not canonical.
StatusOr<GrantRequest> ParseCanonicalRequest(std::string_view canonical);

enum class GrantState : uint8_t { kPending, kApproved, kDenied, kEnded, kRevoked, kExpired };
std::string_view GrantStateName(GrantState state);

enum class BreakglassReview : uint8_t { kAcknowledged, kDisputed };

struct OwnerVote {
  std::string owner;
  std::string key_id;
  Bytes signature;
  int64_t at = 0;
};

// Everything that changes about a grant after it is opened, for storing and restoring it.
struct GrantProgress {
  GrantState state = GrantState::kPending;
  int approvals_required = 0;
  std::vector<OwnerVote> approvals;
  int64_t window_start = 0;
  int64_t window_end = 0;
  bool awaits_review = false;
};

// The progress as JSON, for storing it, and back. DataLoss for malformed text.
std::string ProgressToJson(const GrantProgress& progress);
StatusOr<GrantProgress> ProgressFromJson(std::string_view text);

class Grant {
 public:
  // A grant as stored: its request and its progress. `canonical` is CanonicalRequest(request) when
  // the caller has it at hand (as stored, or from the log); it is made from `request` otherwise.
  static Grant Restore(GrantRequest request, GrantProgress progress, std::string canonical = {});
  GrantProgress progress() const {
    return {state_, approvals_required_, approvals_, window_start_, window_end_, awaits_review_};
  }

  // Validates the request and applies the policy (break-glass skips it, up to the policy's longest
  // grant). InvalidArgument for a malformed request. Appends the events to `events`.
  static StatusOr<Grant> Open(GrantRequest request, const Policy& policy, LocalTime local_time,
                              std::vector<std::string>& events);

  // An owner's signed approval. FailedPrecondition unless pending (an unanswered request past its
  // lifetime expires first) or if this owner already approved; Unauthenticated for a bad signature.
  Status Approve(const std::string& owner, const OwnerKey& key, ByteView signature,
                 const std::string& comment, int64_t now, std::vector<std::string>& events);
  // An owner's signed denial, with the same checks.
  Status Deny(const std::string& owner, const OwnerKey& key, ByteView signature,
              const std::string& comment, int64_t now, std::vector<std::string>& events);
  // The technician ends the grant early. PermissionDenied for anyone else.
  Status End(const std::string& by, int64_t now, std::vector<std::string>& events);
  // An owner or a provider admin revokes a pending or approved grant (the caller checks who).
  Status Revoke(const std::string& by, const std::string& reason, int64_t now,
                std::vector<std::string>& events);
  // Expires a pending request past its lifetime; does nothing otherwise.
  void ExpireIfStale(int64_t now, std::vector<std::string>& events);
  // An owner acknowledges or disputes a break-glass grant. FailedPrecondition unless it awaits review.
  Status Review(const std::string& owner, BreakglassReview verdict, const std::string& comment,
                int64_t now, std::vector<std::string>& events);

  const GrantRequest& request() const { return request_; }
  // CanonicalRequest(request()), made once: the text owners sign and the log and store keep.
  const std::string& canonical_request() const { return canonical_; }
  GrantState state() const { return state_; }
  int approvals_required() const { return approvals_required_; }
  const std::vector<OwnerVote>& approvals() const { return approvals_; }
  int64_t window_start() const { return window_start_; }
  int64_t window_end() const { return window_end_; }
  bool awaits_review() const { return awaits_review_; }
  // Approved, not ended or revoked, and `now` inside the window: the door may open.
  bool IsLive(int64_t now) const;

 private:
  Grant(GrantRequest request, std::string canonical)
      : request_(std::move(request)), canonical_(std::move(canonical)) {}
  void Activate(int64_t now, std::vector<std::string>& events);
  Status CheckOpenForVotes(const std::string& owner, int64_t now, std::vector<std::string>& events);

  GrantRequest request_;
  std::string canonical_;
  GrantState state_ = GrantState::kPending;
  int approvals_required_ = 0;
  std::vector<OwnerVote> approvals_;
  int64_t window_start_ = 0;
  int64_t window_end_ = 0;
  bool awaits_review_ = false;
};

}  // namespace quartet::access
