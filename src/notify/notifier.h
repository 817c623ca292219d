// Delivers the governance service's queued notifications: e-mail through an SMTP relay, and webhooks
// as an HTTP POST of JSON signed with HMAC-SHA256 ("X-Quartet-Signature: sha256=<hex>" over the
// body, keyed with the client's webhook secret). Failures are retried with backoff.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <thread>

#include "base/clock.h"
#include "governance/outbox.h"
#include "notify/smtp.h"

namespace quartet::notify {

// "sha256=" + lowercase hex of HMAC-SHA256(secret, body).
std::string WebhookSignature(std::string_view secret, std::string_view body);

class Notifier {
 public:
  // Without a relay, e-mails wait in the outbox (and are sent once a relay is configured).
  Notifier(governance::Outbox& outbox, std::optional<SmtpRelay> relay, Clock& clock)
      : outbox_(outbox), relay_(std::move(relay)), clock_(clock) {}
  ~Notifier() { Stop(); }

  // Delivers what is due now. Returns how many were delivered.
  StatusOr<int> DeliverDue();
  // Delivers in the background, about every half second, until Stop().
  void Start();
  void Stop();

 private:
  Status Deliver(const governance::Outbox::Notification& notification);

  governance::Outbox& outbox_;
  const std::optional<SmtpRelay> relay_;
  Clock& clock_;
  std::atomic<bool> stopping_{false};
  std::thread worker_;
};

}  // namespace quartet::notify
