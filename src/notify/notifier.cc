#include "notify/notifier.h"

#include <chrono>

#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

#include "client/http_client.h"

namespace quartet::notify {

std::string WebhookSignature(std::string_view secret, std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &size);
  return "sha256=" + HexEncode(ByteView(mac, size));
}

Status Notifier::Deliver(const governance::Outbox::Notification& notification) {
  if (notification.channel == "email") {
    if (!relay_.has_value()) return UnavailableError("no SMTP relay configured");
    return SendEmail(*relay_, {{notification.recipient}, notification.subject, notification.body},
                     clock_.NowUnixSeconds());
  }
  ASSIGN_OR_RETURN(client::Url url, client::Url::Parse(notification.recipient));
  client::HttpClient http(url);
  ASSIGN_OR_RETURN(client::HttpResult result,
                   http.Request("POST", url.path.empty() ? "/" : url.path, notification.body,
                                {{"X-Quartet-Signature",
                                  WebhookSignature(notification.secret, notification.body)},
                                 {"X-Quartet-Event", notification.subject}}));
  if (result.status < 200 || result.status >= 300) {
    return UnavailableError("webhook answered HTTP " + std::to_string(result.status));
  }
  return Status::Ok();
}

StatusOr<int> Notifier::DeliverDue() {
  ASSIGN_OR_RETURN(auto due, outbox_.DueNotifications(50));
  int delivered = 0;
  for (const auto& notification : due) {
    Status status = Deliver(notification);
    if (!status.ok()) {
      // The recipient is not secret, the body may be: log only where it was going and why it failed.
      spdlog::warn("notification {} ({} to {}) not delivered: {}", notification.id,
                   notification.channel, notification.recipient, status.message());
    }
    RETURN_IF_ERROR(outbox_.MarkNotification(notification.id, status.ok()));
    if (status.ok()) ++delivered;
  }
  return delivered;
}

void Notifier::Start() {
  worker_ = std::thread([this] {
    while (!stopping_) {
      if (auto delivered = DeliverDue(); !delivered.ok())
        spdlog::error("notifications: {}", delivered.status().ToString());
      for (int i = 0; i < 5 && !stopping_; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
}

void Notifier::Stop() {
  stopping_ = true;
  if (worker_.joinable()) worker_.join();
}

}  // namespace quartet::notify
