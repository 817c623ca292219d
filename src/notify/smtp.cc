#include "notify/smtp.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"

namespace quartet::notify {
namespace {

class Connection {
 public:
  Connection(int fd, int timeout_ms) : fd_(fd), timeout_ms_(timeout_ms) {}
  ~Connection() { ::close(fd_); }

  Status Send(const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return UnavailableError("SMTP relay closed the connection");
      sent += static_cast<size_t>(n);
    }
    return Status::Ok();
  }

  // Reads one reply (possibly multi-line) and checks its code's first digit.
  Status Expect(char first_digit) {
    for (;;) {
      std::string line;
      RETURN_IF_ERROR(ReadLine(line));
      if (line.size() < 3) return UnavailableError("malformed SMTP reply");
      if (line.size() > 3 && line[3] == '-') continue;
      if (line[0] != first_digit) return UnavailableError("SMTP relay refused: " + line);
      return Status::Ok();
    }
  }

 private:
  Status ReadLine(std::string& line) {
    for (;;) {
      const size_t newline = buffer_.find("\r\n");
      if (newline != std::string::npos) {
        line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 2);
        return Status::Ok();
      }
      pollfd fd{fd_, POLLIN, 0};
      if (::poll(&fd, 1, timeout_ms_) <= 0) return UnavailableError("SMTP relay timed out");
      char chunk[1024];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return UnavailableError("SMTP relay closed the connection");
      buffer_.append(chunk, static_cast<size_t>(n));
      if (buffer_.size() > 64 * 1024) return UnavailableError("SMTP reply too long");
    }
  }

  int fd_;
  int timeout_ms_;
  std::string buffer_;
};

bool IsSafeHeaderValue(const std::string& value) {
  return value.find_first_of("\r\n") == std::string::npos;
}

bool IsSafeAddress(const std::string& address) {
  return !address.empty() && address.size() <= 254 && address.find('@') != std::string::npos &&
         address.find_first_of("\r\n<> ,") == std::string::npos;
}

StatusOr<int> Connect(const SmtpRelay& relay) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  if (::getaddrinfo(relay.host.c_str(), std::to_string(relay.port).c_str(), &hints, &result) != 0) {
    return UnavailableError("cannot resolve SMTP relay " + relay.host);
  }
  int fd = -1;
  for (addrinfo* it = result; it != nullptr && fd < 0; it = it->ai_next) {
    fd = ::socket(it->ai_family, it->ai_socktype | SOCK_CLOEXEC, it->ai_protocol);
    if (fd >= 0 && ::connect(fd, it->ai_addr, it->ai_addrlen) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(result);
  if (fd < 0)
    return UnavailableError("cannot connect to SMTP relay " + relay.host + ":" +
                            std::to_string(relay.port));
  return fd;
}

// Lines starting with a dot are doubled (RFC 5321 section 4.5.2); bare newlines become CRLF.
std::string DotStuff(const std::string& body) {
  std::string out;
  bool line_start = true;
  for (char c : body) {
    if (line_start && c == '.') out += '.';
    if (c == '\n') {
      out += "\r\n";
      line_start = true;
      continue;
    }
    if (c != '\r') out += c;
    line_start = false;
  }
  if (!out.ends_with("\r\n")) out += "\r\n";
  return out;
}

}  // namespace

Status SendEmail(const SmtpRelay& relay, const Email& email, int64_t unix_time) {
  if (email.to.empty()) return InvalidArgumentError("an email needs a recipient");
  for (const std::string& to : email.to) {
    if (!IsSafeAddress(to)) return InvalidArgumentError("malformed recipient address");
  }
  if (!IsSafeAddress(relay.from)) return InvalidArgumentError("malformed sender address");
  if (!IsSafeHeaderValue(email.subject))
    return InvalidArgumentError("the subject must be one line");
  ASSIGN_OR_RETURN(int fd, Connect(relay));
  Connection connection(fd, relay.timeout_seconds * 1000);
  RETURN_IF_ERROR(connection.Expect('2'));
  RETURN_IF_ERROR(connection.Send("EHLO quartet\r\n"));
  RETURN_IF_ERROR(connection.Expect('2'));
  RETURN_IF_ERROR(connection.Send("MAIL FROM:<" + relay.from + ">\r\n"));
  RETURN_IF_ERROR(connection.Expect('2'));
  for (const std::string& to : email.to) {
    RETURN_IF_ERROR(connection.Send("RCPT TO:<" + to + ">\r\n"));
    RETURN_IF_ERROR(connection.Expect('2'));
  }
  RETURN_IF_ERROR(connection.Send("DATA\r\n"));
  RETURN_IF_ERROR(connection.Expect('3'));
  std::string to_header;
  for (const std::string& to : email.to) to_header += (to_header.empty() ? "" : ", ") + to;
  std::string message = "From: Quartet <" + relay.from + ">\r\nTo: " + to_header +
                        "\r\nSubject: " + email.subject +
                        "\r\nDate: " + FormatUtc(unix_time, "%a, %d %b %Y %H:%M:%S +0000") +
                        "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
                        DotStuff(email.body) + ".\r\n";
  RETURN_IF_ERROR(connection.Send(message));
  RETURN_IF_ERROR(connection.Expect('2'));
  (void)connection.Send("QUIT\r\n");
  return Status::Ok();
}

}  // namespace quartet::notify
