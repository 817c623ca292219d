// A small SMTP client (RFC 5321) for notifications: one message per connection to a configured relay
// (typically on the same host or network), without TLS or authentication of its own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace quartet::notify {

struct SmtpRelay {
  std::string host = "127.0.0.1";
  uint16_t port = 25;
  std::string from = "quartet@localhost";
  int timeout_seconds = 10;
};

struct Email {
  std::vector<std::string> to;
  std::string subject;
  std::string body;  // plain text
};

// Sends `email` through `relay`. Unavailable when the relay cannot be reached or refuses; the caller
// retries. InvalidArgument for addresses or a subject with line breaks (header injection).
Status SendEmail(const SmtpRelay& relay, const Email& email, int64_t unix_time);

}  // namespace quartet::notify
