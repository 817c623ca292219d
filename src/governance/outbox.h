// Notifications. Owners hear of requests waiting for them and of break-glass access by e-mail (to
// the addresses set here) and by the client's webhook. Notices are queued in the same transaction
// as the events that cause them (an outbox, see Committer), so none is lost; a Notifier
// (notify/notifier.h) delivers them.
//
// Thread safety: share one per process; every method may be called from any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "access/grant.h"
#include "governance/committer.h"
#include "governance/permissions.h"

namespace quartet::governance {

// Queues `notice` for every owner of `client` with an address, and for the client's webhook, on a
// connection inside the caller's transaction.
Status QueueForOwners(store::Database& db, int64_t now, const std::string& client,
                      const OwnerNotice& notice);
// What the owners hear of `grant` as it now stands: a request waiting for them, or break-glass.
std::optional<OwnerNotice> NoticeOf(const access::Grant& grant);

class Outbox {
 public:
  explicit Outbox(Committer& committer) : committer_(committer) {}

  // People set their own address; a provider admin anyone's.
  Status SetEmail(const Actor& actor, const std::string& user, const std::string& email);
  // Sets the client's webhook URL and returns a fresh secret for checking its HMAC signatures.
  StatusOr<std::string> SetWebhook(const Actor& actor, const std::string& client,
                                   const std::string& url);

  struct Notification {
    int64_t id = 0;
    std::string client;
    std::string channel;    // "email" or "webhook"
    std::string recipient;  // an address, or the webhook URL
    std::string subject;
    std::string body;    // plain text, or the webhook's JSON
    std::string secret;  // webhook only: the HMAC key
    int attempts = 0;
  };
  StatusOr<std::vector<Notification>> DueNotifications(int limit);
  // Delivered, or failed and to be retried with backoff (given up after 20 attempts).
  Status MarkNotification(int64_t id, bool delivered);

 private:
  Committer& committer_;
};

}  // namespace quartet::governance
