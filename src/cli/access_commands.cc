// The client side of the access API: `quartet request | grants | approve | deny | end | revoke |
// breakglass | owner-key`, talking to a server with a bearer token.
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <iostream>

#include <nlohmann/json.hpp>

#include "access/approval.h"
#include "base/clock.h"
#include "base/file_system.h"
#include "base/json.h"
#include "base/random.h"
#include "cli/commands.h"
#include "client/api_client.h"

namespace quartet::cli {
namespace {

using Json = nlohmann::json;

std::string FormatTime(int64_t unix_seconds) {
  return unix_seconds == 0 ? "-" : FormatUtc(unix_seconds, "%Y-%m-%d %H:%M");
}

Status PrintGrantLine(const Json& value) {
  ASSIGN_OR_RETURN(JsonObject g, ReplyObject(value));
  ASSIGN_OR_RETURN(std::string id, g.Text("id", Field::kRequired));
  ASSIGN_OR_RETURN(std::string state, g.Text("state", Field::kRequired));
  ASSIGN_OR_RETURN(std::string technician, g.Text("technician", Field::kRequired));
  ASSIGN_OR_RETURN(std::string resource, g.Text("resource", Field::kRequired));
  ASSIGN_OR_RETURN(std::string login, g.Text("login", Field::kOptional));
  ASSIGN_OR_RETURN(bool live, g.Boolean("live", Field::kOptional));
  ASSIGN_OR_RETURN(int64_t window_start, g.Integer("window_start", Field::kOptional));
  ASSIGN_OR_RETURN(int64_t window_end, g.Integer("window_end", Field::kOptional));
  ASSIGN_OR_RETURN(std::string reason, g.Text("reason", Field::kOptional));
  const std::string window = live ? "until " + FormatTime(window_end) : FormatTime(window_start);
  std::printf("%-27s %-9s %-14s %-16s %-10s %-17s %s\n", id.c_str(), state.c_str(),
              technician.c_str(), resource.c_str(), login.c_str(), window.c_str(), reason.c_str());
  return Status::Ok();
}

Status PrintGrants(const Json& grants, bool json) {
  if (json) {
    std::cout << CanonicalJsonOf(grants) << "\n";
    return Status::Ok();
  }
  std::printf("%-27s %-9s %-14s %-16s %-10s %-17s %s\n", "ID", "STATE", "TECHNICIAN", "RESOURCE",
              "LOGIN", "WINDOW", "REASON");
  for (const Json& g : grants) RETURN_IF_ERROR(PrintGrantLine(g));
  return Status::Ok();
}

// One grant as the server returned it after `verb`.
Status PrintGrant(const Json& value, bool json, const char* verb) {
  if (json) {
    std::cout << CanonicalJsonOf(value) << "\n";
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(JsonObject grant, ReplyObject(value));
  ASSIGN_OR_RETURN(std::string id, grant.Text("id", Field::kRequired));
  ASSIGN_OR_RETURN(std::string state, grant.Text("state", Field::kRequired));
  ASSIGN_OR_RETURN(bool live, grant.Boolean("live", Field::kOptional));
  ASSIGN_OR_RETURN(int64_t window_end, grant.Integer("window_end", Field::kOptional));
  std::cout << verb << " " << id << ": " << state
            << (live ? ", open until " + FormatTime(window_end) + " UTC" : "") << "\n";
  return Status::Ok();
}

int Report(const StatusOr<Json>& result, bool json, const char* verb) {
  if (!result.ok()) return Fail(result.status().message());
  if (Status printed = PrintGrant(*result, json, verb); !printed.ok())
    return Fail(printed.message());
  return 0;
}

}  // namespace

StatusOr<client::ApiClient> ConnectApi(const ServerOptions& options) {
  if (options.server.empty())
    return InvalidArgumentError("no server: pass --server or set QUARTET_SERVER");
  if (options.token.empty())
    return InvalidArgumentError("no token: pass --token or set QUARTET_TOKEN");
  return client::ApiClient::Connect(options.server, options.token);
}

StatusOr<access::OwnerSigner> LoadOwnerKey(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, FileSystem::Posix().ReadFile(path));
  constexpr std::string_view kHeader = "quartet-owner-key v1\n";
  if (!text.starts_with(kHeader)) return InvalidArgumentError(path + " is not a Quartet owner key");
  std::string_view encoded = std::string_view(text).substr(kHeader.size());
  while (!encoded.empty() && encoded.back() == '\n') encoded.remove_suffix(1);
  ASSIGN_OR_RETURN(Bytes seed, Base64Decode(encoded));
  return access::OwnerSigner::FromSeed(seed);
}

// The client a command is about: given, or the signed-in owner's own.
StatusOr<std::string> ResolveClient(client::ApiClient& api, const std::string& client) {
  if (!client.empty()) return client;
  ASSIGN_OR_RETURN(Json me, api.Call("GET", "/me"));
  ASSIGN_OR_RETURN(JsonObject reply, ReplyObject(me));
  ASSIGN_OR_RETURN(std::string own, reply.Text("client", Field::kOptional));
  if (own.empty()) return InvalidArgumentError("say which client with --client");
  return own;
}

StatusOr<int64_t> ParseDuration(std::string_view text) {
  int64_t total = 0;
  int64_t number = -1;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      number = (number < 0 ? 0 : number) * 10 + (c - '0');
      if (number > 1000000) return InvalidArgumentError("duration too long");
      continue;
    }
    const int64_t unit = c == 's' ? 1 : c == 'm' ? 60 : c == 'h' ? 3600 : c == 'd' ? 86400 : 0;
    if (unit == 0 || number < 0)
      return InvalidArgumentError("durations look like 30m, 2h or 1h30m");
    total += number * unit;
    number = -1;
  }
  if (number >= 0 || total <= 0)
    return InvalidArgumentError("durations look like 30m, 2h or 1h30m");
  return total;
}

int RequestAccess(const ServerOptions& options, const AccessArguments& args) {
  auto api = ConnectApi(options);
  if (!api.ok()) return Fail(api.status().message());
  auto duration = ParseDuration(args.duration);
  if (!duration.ok()) return Fail(duration.status().message());
  Json body = {{"resource", args.resource},    {"action", args.action},
               {"login", args.login},          {"reason", args.reason},
               {"ticket", args.ticket},        {"duration_seconds", *duration},
               {"breakglass", args.breakglass}};
  // A login names the technician's SSH key: for an SSH host, the owners approve that key and the
  // agent certifies it alone (other resources ignore it).
  if (args.action == "login") {
    auto key = TechnicianSshKey(args.ssh_key_file);
    if (!key.ok()) return Fail(key.status().message());
    body["ssh_key"] = ssh::FormatPublicKey(key->public_key(), "");
  }
  return Report(api->Call("POST", "/clients/" + args.client + "/grants", body), options.json,
                args.breakglass ? "break-glass grant" : "grant");
}

int ListGrants(const ServerOptions& options, const std::string& client, const std::string& state,
               int limit) {
  auto api = ConnectApi(options);
  if (!api.ok()) return Fail(api.status().message());
  auto resolved = ResolveClient(*api, client);
  if (!resolved.ok()) return Fail(resolved.status().message());
  std::string path = "/clients/" + *resolved + "/grants?limit=" + std::to_string(limit);
  if (!state.empty()) path += "&state=" + state;
  auto grants = api->Call("GET", path);
  if (!grants.ok()) return Fail(grants.status().message());
  auto reply = JsonObject::Of(*grants, "the server's reply");
  if (!reply.ok()) return Fail(reply.status().message());
  auto list = reply->Array("grants", Field::kRequired);
  if (!list.ok()) return Fail(list.status().message());
  if (Status printed = PrintGrants(**list, options.json); !printed.ok())
    return Fail(printed.message());
  return 0;
}

int DecideGrant(const ServerOptions& options, const std::string& client, const std::string& id,
                bool approve, const std::string& key_file, const std::string& comment) {
  auto signer = LoadOwnerKey(key_file);
  if (!signer.ok()) return Fail(signer.status().message());
  auto api = ConnectApi(options);
  if (!api.ok()) return Fail(api.status().message());
  auto resolved = ResolveClient(*api, client);
  if (!resolved.ok()) return Fail(resolved.status().message());
  auto grant = api->Call("GET", "/clients/" + *resolved + "/grants/" + id);
  if (!grant.ok()) return Fail(grant.status().message());
  // The owner signs the request exactly as the server recorded it in the log.
  auto reply = ReplyObject(*grant);
  if (!reply.ok()) return Fail(reply.status().message());
  auto request = reply->Text("request", Field::kRequired);
  if (!request.ok()) return Fail(request.status().message());
  const auto decision = approve ? access::OwnerDecision::kApprove : access::OwnerDecision::kDeny;
  Json body = {{"key_id", signer->key().Id()},
               {"signature", Base64Encode(signer->Sign(decision, *request))},
               {"comment", comment}};
  return Report(
      api->Call("POST",
                "/clients/" + *resolved + "/grants/" + id + (approve ? "/approve" : "/deny"), body),
      options.json, approve ? "approved" : "denied");
}

int GrantAction(const ServerOptions& options, const std::string& client, const std::string& id,
                const std::string& verb, const std::string& reason) {
  auto api = ConnectApi(options);
  if (!api.ok()) return Fail(api.status().message());
  auto resolved = ResolveClient(*api, client);
  if (!resolved.ok()) return Fail(resolved.status().message());
  Json body = Json::object();
  if (verb == "revoke") body["reason"] = reason;
  return Report(api->Call("POST", "/clients/" + *resolved + "/grants/" + id + "/" + verb, body),
                options.json, verb == "end" ? "ended" : "revoked");
}

namespace {

// One line of `in`; typed at a terminal, after `prompt` and, when `secret`, without echo.
std::string ReadLine(std::istream& in, const char* prompt, bool secret) {
  const bool terminal = ::isatty(STDIN_FILENO);
  std::string line;
  if (terminal) std::cerr << prompt << std::flush;
  termios saved{};
  if (terminal && secret && ::tcgetattr(STDIN_FILENO, &saved) == 0) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::getline(in, line);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << "\n";
  } else {
    std::getline(in, line);
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

int Login(const ServerOptions& options, const std::string& user, std::istream& in) {
  if (options.server.empty()) return Fail("no server: pass --server or set QUARTET_SERVER");
  auto url = client::Url::Parse(options.server);
  if (!url.ok()) return Fail(url.status().message());
  // The password, then the TOTP code if the account has one, one a line (from a pipe, or typed:
  // run as `quartet login --user U` and type them; they are not echoed when stdin is a terminal).
  const std::string password = ReadLine(in, "password: ", /*secret=*/true);
  const std::string code = ReadLine(in, "code (empty if none): ", /*secret=*/false);
  client::HttpClient http(*url);
  const Json body = {{"user", user}, {"password", password}, {"code", code}};
  auto result = http.Request("POST", url->path + "/api/v1/sessions", CanonicalJsonOf(body));
  if (!result.ok()) return Fail(result.status().message());
  const StatusOr<Json> reply = ParseJson(result->body, "the server's reply");
  if (result->status != 201) {
    auto error = ReplyText(reply, "error");
    return Fail(error.ok() ? *error : "HTTP " + std::to_string(result->status));
  }
  auto token = ReplyText(reply, "token");
  if (!token.ok()) return Fail(token.status().message());
  // The token alone on standard output, for QUARTET_TOKEN=$(quartet login ...).
  std::cout << *token << "\n";
  return 0;
}

int InvitationAccept(const ServerOptions& options, const std::string& code, std::istream& in) {
  if (options.server.empty()) return Fail("no server: pass --server or set QUARTET_SERVER");
  auto url = client::Url::Parse(options.server);
  if (!url.ok()) return Fail(url.status().message());
  // The password they choose, twice when typed (one line from a pipe).
  const std::string password = ReadLine(in, "choose a password (12 characters or more): ", true);
  if (::isatty(STDIN_FILENO) && ReadLine(in, "the same again: ", true) != password)
    return Fail("the two passwords differ; nothing was changed");
  client::HttpClient http(*url);
  auto result = http.Request("POST", url->path + "/api/v1/invitations",
                             CanonicalJsonOf({{"code", code}, {"password", password}}));
  if (!result.ok()) return Fail(result.status().message());
  const StatusOr<Json> reply = ParseJson(result->body, "the server's reply");
  if (result->status != 200) {
    auto error = ReplyText(reply, "error");
    return Fail(error.ok() ? *error : "HTTP " + std::to_string(result->status));
  }
  auto user = ReplyText(reply, "user");
  auto uri = ReplyText(reply, "totp_uri");
  if (!user.ok() || !uri.ok()) return Fail("the server's reply is malformed");
  std::cout << "Welcome, " << *user << ". Your password is set.\n"
            << "Add this second factor to an authenticator app now; it is shown once:\n"
            << *uri << "\n";
  return 0;
}

int OwnerKeyCreate(const std::string& out) {
  const access::OwnerSigner signer = access::OwnerSigner::Generate(Random::System());
  const std::string text = "quartet-owner-key v1\n" + Base64Encode(signer.Seed()) + "\n";
  // Readable by its owner alone, and never replaced silently.
  if (Status written = WriteSecretFile(out, text); !written.ok()) {
    return Fail(written.message() +
                (written.code() == StatusCode::kAlreadyExists ? " (it must not exist yet)" : ""));
  }
  std::cout << "owner key " << signer.key().Id() << " written to " << out << "\n";
  return 0;
}

int OwnerKeyRegister(const ServerOptions& options, const std::string& key_file) {
  auto signer = LoadOwnerKey(key_file);
  if (!signer.ok()) return Fail(signer.status().message());
  auto api = ConnectApi(options);
  if (!api.ok()) return Fail(api.status().message());
  auto result =
      api->Call("POST", "/owner-keys", {{"public_key", Base64Encode(signer->key().public_key)}});
  if (!result.ok()) return Fail(result.status().message());
  auto key_id = ReplyText(result, "key_id");
  if (!key_id.ok()) return Fail(key_id.status().message());
  std::cout << "registered owner key " << *key_id << "\n";
  return 0;
}

}  // namespace quartet::cli
