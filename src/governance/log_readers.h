// Who may read a client's published log (server/log_service.h, docs/log-format.md): the client's
// owners and auditors (a session or their bearer token), its agent (its token, also while it waits
// to replace the confirmed one), and read tokens that its owners make for outside verifiers and
// auditors; everyone, once an owner published the log openly. Provider staff read only what the API
// shows them. Making and revoking a read token, and publishing or withdrawing the log, are events
// of the client's log.
//
// A log that `credential` may not read answers as a log that does not exist: nobody learns which
// clients a provider has from it.
//
// Thread safety: share one per process; every method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "governance/agent_service.h"
#include "governance/committer.h"
#include "governance/permissions.h"
#include "governance/sessions.h"

namespace quartet::governance {

class LogReaders {
 public:
  // A read token's prefix: "ql_" and 43 base64url characters.
  static constexpr std::string_view kTokenPrefix = "ql_";
  // Read tokens a client may have unrevoked and unexpired at once.
  static constexpr int64_t kMaxTokens = 100;
  // How long a positive answer of CheckRead is reused for the same credential and log.
  static constexpr std::chrono::seconds kCacheTime{2};

  LogReaders(Committer& committer, Sessions& sessions, AgentService& agents)
      : committer_(committer), sessions_(sessions), agents_(agents) {}

  // Whether `credential` (a bearer token or a session cookie's value; empty: none) may read the log
  // of `tenant`: true when the log is published openly (no credential needed), false when it is
  // readable by this credential. Unauthenticated without a credential, or with one that is unknown,
  // expired or revoked, for every tenant; NotFound for a credential that may not read this log.
  StatusOr<bool> CheckRead(std::string_view credential, const std::string& tenant)
      EXCLUDES(cache_mu_);

  struct ReadToken {
    std::string id;  // the first 16 hex digits of the token's SHA-256: names it in lists
    std::string name;
    std::string created_by;
    int64_t created_at = 0;
    int64_t expires_at = 0;
    int64_t revoked_at = 0;  // 0 while it is not
  };
  // An owner of the client makes a read token, valid until `expires_at` (at most two years from
  // now). The token text is in `token`, shown once. NotFound unless `actor` may see the client;
  // PermissionDenied unless an owner of it; InvalidArgument for a bad name or expiry;
  // FailedPrecondition with kMaxTokens live.
  struct Issued {
    std::string token;
    ReadToken info;
  };
  StatusOr<Issued> CreateToken(const Actor& actor, const std::string& client,
                               const std::string& name, int64_t expires_at);
  // The client's read tokens, newest first (never their text). Owners and auditors of the client.
  StatusOr<std::vector<ReadToken>> ListTokens(const Actor& actor, const std::string& client);
  // An owner revokes a read token (by ID): it reads nothing from now on. NotFound for an unknown ID.
  StatusOr<ReadToken> RevokeToken(const Actor& actor, const std::string& client,
                                  const std::string& id) EXCLUDES(cache_mu_);

  // An owner publishes the client's log for anyone to read (`open`), or takes that back.
  struct Visibility {
    bool open = false;
    std::string by;
    int64_t since = 0;
  };
  StatusOr<Visibility> SetVisibility(const Actor& actor, const std::string& client, bool open)
      EXCLUDES(cache_mu_);
  StatusOr<Visibility> GetVisibility(const Actor& actor, const std::string& client);

 private:
  StatusOr<bool> IsOpen(const std::string& tenant) EXCLUDES(cache_mu_);
  // Checks without the cache. OK when `credential` may read `tenant`.
  Status CheckCredential(std::string_view credential, const std::string& tenant);
  void Forget() EXCLUDES(cache_mu_);

  Committer& committer_;
  Sessions& sessions_;
  AgentService& agents_;

  Mutex cache_mu_;
  // (digest of credential, tenant) -> when the positive answer was found.
  std::map<std::pair<Hash, std::string>, std::chrono::steady_clock::time_point> readers_
      GUARDED_BY(cache_mu_);
  // tenant -> (open, when it was read).
  std::map<std::string, std::pair<bool, std::chrono::steady_clock::time_point>> open_
      GUARDED_BY(cache_mu_);
};

}  // namespace quartet::governance
