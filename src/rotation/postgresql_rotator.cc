// PostgreSQL: the role changes its own password (rotator.h).
#include <cstring>
#include <memory>

#include <libpq-fe.h>

#include "rotation/rotator.h"
#include "vault/credential.h"

namespace quartet::rotation {
namespace {

struct ConnectionCloser {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};
using Connection = std::unique_ptr<PGconn, ConnectionCloser>;

// libpq's messages end with a newline and may run over several lines.
std::string MessageOf(PGconn* connection) {
  std::string message = PQerrorMessage(connection);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  for (char& c : message)
    if (c == '\n') c = ' ';
  return message;
}

class PostgresqlRotatorImpl final : public Rotator {
 public:
  explicit PostgresqlRotatorImpl(std::chrono::seconds timeout) : timeout_(timeout) {}

  Status Rotate(const vault::RotationTarget& target, std::string_view current,
                std::string_view next) override {
    Connection connection = Connect(target, current);
    if (PQstatus(connection.get()) != CONNECTION_OK) {
      const std::string why = MessageOf(connection.get());
      // Applied before the agent could record it: the next password opens it already.
      if (PQstatus(Connect(target, next).get()) == CONNECTION_OK) return Status::Ok();
      return UnavailableError("PostgreSQL at " + target.host + ":" + std::to_string(target.port) +
                              " refused " + target.account + ": " + why);
    }
    std::string password(next);
    vault::WipeOnExit wipe_password{password};
    // The server gets a SCRAM verifier, never the password itself.
    std::unique_ptr<char, decltype(&PQfreemem)> verifier(
        PQencryptPasswordConn(connection.get(), password.c_str(), target.account.c_str(),
                              "scram-sha-256"),
        &PQfreemem);
    if (verifier == nullptr)
      return InternalError("PostgreSQL: no SCRAM verifier: " + MessageOf(connection.get()));
    std::unique_ptr<char, decltype(&PQfreemem)> literal(
        PQescapeLiteral(connection.get(), verifier.get(), std::strlen(verifier.get())), &PQfreemem);
    if (literal == nullptr) return InternalError("PostgreSQL: " + MessageOf(connection.get()));
    const std::string statement = "ALTER ROLE CURRENT_USER PASSWORD " + std::string(literal.get());
    std::unique_ptr<PGresult, decltype(&PQclear)> result(
        PQexec(connection.get(), statement.c_str()), &PQclear);
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK)
      return FailedPreconditionError("PostgreSQL did not change the password of " + target.account +
                                     ": " + MessageOf(connection.get()));
    connection.reset();
    if (PQstatus(Connect(target, next).get()) != CONNECTION_OK)
      return InternalError("PostgreSQL changed the password of " + target.account +
                           " and does not take the new one");
    return Status::Ok();
  }

 private:
  Connection Connect(const vault::RotationTarget& target, std::string_view secret) const {
    std::string password(secret);
    vault::WipeOnExit wipe{password};
    const std::string port = std::to_string(target.port);
    const std::string timeout = std::to_string(timeout_.count());
    const char* const keys[] = {
        "host", "port", "user", "password", "dbname", "connect_timeout", "application_name",
        nullptr};
    const char* const values[] = {target.host.c_str(), port.c_str(), target.account.c_str(),
                                  password.c_str(),    "postgres",   timeout.c_str(),
                                  "quartet-agent",     nullptr};
    return Connection(PQconnectdbParams(keys, values, 0));
  }

  const std::chrono::seconds timeout_;
};

}  // namespace

std::unique_ptr<Rotator> PostgresqlRotator(std::chrono::seconds timeout) {
  return std::make_unique<PostgresqlRotatorImpl>(timeout);
}

}  // namespace quartet::rotation
