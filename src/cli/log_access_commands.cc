// `quartet log token create | list | revoke` and `quartet log visibility`: who reads a client's
// published log besides its owners, auditors and agent (governance/log_readers.h).
#include <cstdio>
#include <iostream>

#include "base/clock.h"
#include "cli/commands.h"

namespace quartet::cli {
namespace {

std::string Status(const Json& token) {
  if (token["revoked_at"].get<int64_t>() != 0)
    return "revoked " + FormatUtc(token["revoked_at"].get<int64_t>(), "%Y-%m-%d");
  if (token["expires_at"].get<int64_t>() <= Clock::System().NowUnixSeconds()) return "expired";
  return "until " + FormatUtc(token["expires_at"].get<int64_t>(), "%Y-%m-%d");
}

}  // namespace

int LogTokenCreate(const ServerOptions& options, const LogTokenArguments& args) {
  auto duration = ParseDuration(args.expires);
  if (!duration.ok()) return Fail("--expires: " + duration.status().message() + " (e.g. 90d)");
  auto api = ConnectApi(options);
  if (!api.ok()) return Fail(api.status().message());
  auto client = ResolveClient(*api, args.client);
  if (!client.ok()) return Fail(client.status().message());
  auto made = api->Call(
      "POST", "/clients/" + *client + "/log/tokens",
      {{"name", args.name}, {"expires_at", Clock::System().NowUnixSeconds() + *duration}});
  if (!made.ok()) return Fail(made.status().message());
  if (options.json) {
    std::cout << CanonicalJsonOf(*made) << "\n";
    return 0;
  }
  std::cout << (*made)["token"].get<std::string>() << "\n";
  std::cerr << "A read token for " << *client << "'s log (ID " << (*made)["id"].get<std::string>()
            << "), valid " << Status(*made)
            << ", shown once. Whoever holds it reads every entry: give it only to the verifier or "
               "auditor it is for. They check the log with\n  quartet verify --url <server>/logs/"
            << *client << " --key <log key> --token <token>\n";
  return 0;
}

int LogTokenList(const ServerOptions& options, const std::string& client_option) {
  auto api = ConnectApi(options);
  if (!api.ok()) return Fail(api.status().message());
  auto client = ResolveClient(*api, client_option);
  if (!client.ok()) return Fail(client.status().message());
  auto listed = api->Call("GET", "/clients/" + *client + "/log/tokens");
  if (!listed.ok()) return Fail(listed.status().message());
  if (options.json) {
    std::cout << CanonicalJsonOf(*listed) << "\n";
    return 0;
  }
  const Json& tokens = (*listed)["tokens"];
  if (tokens.empty()) {
    std::cout << "No read tokens: only the client's owners, auditors and agent read its log.\n";
    return 0;
  }
  std::printf("%-16s %-24s %-12s %-12s %s\n", "ID", "NAME", "BY", "MADE", "STATE");
  for (const Json& token : tokens) {
    std::printf(
        "%-16s %-24s %-12s %-12s %s\n", token["id"].get<std::string>().c_str(),
        token["name"].get<std::string>().empty() ? "-" : token["name"].get<std::string>().c_str(),
        token["created_by"].get<std::string>().c_str(),
        FormatUtc(token["created_at"].get<int64_t>(), "%Y-%m-%d").c_str(), Status(token).c_str());
  }
  return 0;
}

int LogTokenRevoke(const ServerOptions& options, const LogTokenArguments& args) {
  auto api = ConnectApi(options);
  if (!api.ok()) return Fail(api.status().message());
  auto client = ResolveClient(*api, args.client);
  if (!client.ok()) return Fail(client.status().message());
  auto revoked = api->Call("DELETE", "/clients/" + *client + "/log/tokens/" + args.id);
  if (!revoked.ok()) return Fail(revoked.status().message());
  std::cout << "Read token " << args.id << " revoked: it reads nothing from now on.\n";
  return 0;
}

int LogVisibility(const ServerOptions& options, const LogTokenArguments& args) {
  auto api = ConnectApi(options);
  if (!api.ok()) return Fail(api.status().message());
  auto client = ResolveClient(*api, args.client);
  if (!client.ok()) return Fail(client.status().message());
  const std::string path = "/clients/" + *client + "/log/visibility";
  StatusOr<Json> visibility = InvalidArgumentError("say 'open' or 'private'");
  if (args.visibility.empty()) {
    visibility = api->Call("GET", path);
  } else if (args.visibility == "open" || args.visibility == "private") {
    visibility = api->Call("PUT", path, {{"open", args.visibility == "open"}});
  }
  if (!visibility.ok()) return Fail(visibility.status().message());
  if (options.json) {
    std::cout << CanonicalJsonOf(*visibility) << "\n";
    return 0;
  }
  if ((*visibility)["open"].get<bool>()) {
    std::cout << *client << "'s log is open: anyone can read every entry (published by "
              << (*visibility)["by"].get<std::string>() << " on "
              << FormatUtc((*visibility)["since"].get<int64_t>(), "%Y-%m-%d") << ").\n";
  } else {
    std::cout << *client
              << "'s log is private: its owners, auditors, agent and read tokens read it.\n";
  }
  return 0;
}

}  // namespace quartet::cli
