// `quartet vault put | list`: the client's credentials, sealed on this machine to the client's agent
// (governance/credentials.h, docs/credentials.md). The agent's sealing key comes from the client's
// trust chain, replayed and checked here, never from the server's word alone.
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <iterator>
#include <optional>

#include "base/clock.h"
#include "base/random.h"
#include "cli/commands.h"
#include "governance/credentials.h"
#include "vault/credential.h"
#include "vault/sealing_key.h"

namespace quartet::cli {
namespace {

// The secret as given on stdin, without the one line ending that `echo` or an editor adds.
std::string ReadSecret(std::istream& in) {
  std::string secret((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (secret.ends_with("\r\n")) {
    secret.resize(secret.size() - 2);
  } else if (secret.ends_with('\n')) {
    secret.pop_back();
  }
  return secret;
}

// The version stored now of `resource`/`name` (0: none).
StatusOr<uint64_t> StoredVersion(client::ApiClient& api, const std::string& client,
                                 const std::string& resource, const std::string& name) {
  ASSIGN_OR_RETURN(Json listed, api.Call("GET", "/clients/" + client + "/credentials"));
  ASSIGN_OR_RETURN(JsonObject reply, ReplyObject(listed));
  ASSIGN_OR_RETURN(std::vector<JsonObject> credentials,
                   reply.Objects("credentials", Field::kRequired));
  for (const JsonObject& credential : credentials) {
    ASSIGN_OR_RETURN(std::string stored_resource, credential.Text("resource", Field::kRequired));
    ASSIGN_OR_RETURN(std::string stored_name, credential.Text("name", Field::kRequired));
    if (stored_resource == resource && stored_name == name)
      return credential.Unsigned("version", Field::kRequired);
  }
  return 0;
}

std::string Rotation(const Json& credential) {
  const std::string rotate = credential["rotate"].get<std::string>();
  return rotate.empty() ? "by hand" : rotate;
}

std::string LastReveal(const Json& credential) {
  const int64_t at = credential["revealed_at"].get<int64_t>();
  if (at == 0) return "never revealed";
  return "v" + std::to_string(credential["revealed_version"].get<uint64_t>()) + " revealed to " +
         credential["revealed_to"].get<std::string>() + " " + FormatUtc(at, "%Y-%m-%d %H:%M") +
         " UTC (grant " + credential["revealed_grant"].get<std::string>() + ")";
}

// "rotated …" after a rotation; the state, and why the last rotation failed.
std::string RotationState(const Json& credential) {
  const int64_t rotated_at = credential["rotated_at"].get<int64_t>();
  std::string out = rotated_at == 0
                        ? std::string()
                        : "rotated " + FormatUtc(rotated_at, "%Y-%m-%d %H:%M") + " UTC  ";
  out += credential["state"].get<std::string>();
  const std::string error = credential.value("rotation_error", std::string());
  if (!error.empty()) out += ": " + error;
  return out;
}

}  // namespace

int VaultPut(const ServerOptions& options, const VaultArguments& args, std::istream& in) {
  if (Status target = governance::CheckRotationTarget(args.rotate); !target.ok())
    return Fail("--rotate: " + target.message());
  std::string secret = ReadSecret(in);
  vault::WipeOnExit wipe{secret};
  if (secret.empty()) return Fail("no secret on stdin: quartet vault put ... < secret-file");
  // An owner's device key, if given, shows that the chain replayed here is the owners' own.
  std::optional<OwnerSigning> owner;
  std::optional<ChainContext> plain;
  if (!args.key_file.empty()) {
    auto signing = OpenOwnerSigning(options, args.client, args.key_file);
    if (!signing.ok()) return Fail(signing.status().message());
    owner.emplace(std::move(*signing));
  } else {
    auto opened = OpenChain(options, args.client);
    if (!opened.ok()) return Fail(opened.status().message());
    plain.emplace(std::move(*opened));
  }
  ChainContext& chain = owner.has_value() ? static_cast<ChainContext&>(*owner) : *plain;
  const auto& agent = chain.chain.state().agent;
  if (!agent.has_value() || agent->sealing_key.empty())
    return Fail(chain.client +
                "'s owners have not confirmed an agent with a sealing key in its trust chain "
                "(quartet agent confirm): no credential can be sealed to it yet");
  for (int attempt = 0;; ++attempt) {
    auto stored = StoredVersion(chain.api, chain.client, args.resource, args.name);
    if (!stored.ok()) return Fail(stored.status().message());
    const vault::CredentialName credential{chain.client, args.resource, args.name, *stored + 1};
    auto sealed = vault::SealCredential(credential, agent->sealing_key, secret, Random::System());
    if (!sealed.ok()) return Fail(sealed.status().message());
    auto reply = chain.api.Call("POST", "/clients/" + chain.client + "/credentials",
                                {{"resource", args.resource},
                                 {"name", args.name},
                                 {"username", args.username},
                                 {"exclusive", args.exclusive},
                                 {"rotate", args.rotate},
                                 {"version", credential.version},
                                 {"commitment", sealed->commitment},
                                 {"sealed",
                                  {{"enc", Base64Encode(sealed->sealed.enc)},
                                   {"ciphertext", Base64Encode(AsBytes(sealed->sealed.ciphertext))},
                                   {"sealed_to", sealed->sealed.sealed_to}}}});
    // Someone stored a version in between: seal again for the next one.
    if (!reply.ok() && attempt < 2 &&
        reply.status().message().find("seal the secret for version") != std::string::npos)
      continue;
    if (!reply.ok()) return Fail(reply.status().message());
    if (options.json) {
      std::cout << CanonicalJsonOf(*reply) << "\n";
      return 0;
    }
    std::cout << "Stored " << chain.client << " " << args.resource << "/" << args.name
              << " version " << credential.version << ", sealed to the agent " << agent->name
              << " (sealing key " << agent->sealing_key
              << "). The server holds only the sealed bytes; the agent opens them for a grant it "
                 "has seen approved.\n";
    return 0;
  }
}

int Reveal(const ServerOptions& options, const RevealArguments& args) {
  auto api = ConnectApi(options);
  if (!api.ok()) return Fail(api.status().message());
  auto client = ResolveClient(*api, args.client);
  if (!client.ok()) return Fail(client.status().message());
  // The key the agent seals the secret to lives in this process alone, for this one reveal.
  vault::HpkeKeyPair one_time = vault::GenerateHpkeKeyPair(Random::System());
  struct Wipe {
    vault::HpkeKeyPair& pair;
    ~Wipe() { sodium_memzero(pair.private_key.data(), pair.private_key.size()); }
  } wipe{one_time};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(args.wait_seconds);
  auto reply = api->Call("POST", "/clients/" + *client + "/grants/" + args.grant + "/reveals",
                         {{"public_key", vault::SealingKeyString(one_time.public_key)},
                          {"name", args.name},
                          {"wait_seconds", std::min(args.wait_seconds, 20)}});
  for (;;) {
    if (!reply.ok()) return Fail(reply.status().message());
    auto answer = ReplyObject(*reply);
    if (!answer.ok()) return Fail(answer.status().message());
    auto state = answer->Text("state", Field::kRequired);
    auto id = answer->Text("id", Field::kRequired);
    if (!state.ok() || !id.ok()) return Fail("the server's reply names no request and state");
    if (*state == "revealed") {
      auto resource = answer->Text("resource", Field::kRequired);
      auto name = answer->Text("name", Field::kRequired);
      auto version = answer->Unsigned("version", Field::kRequired);
      auto sealed = answer->Object("sealed", Field::kRequired);
      if (!resource.ok() || !name.ok() || !version.ok() || !sealed.ok())
        return Fail("the server's reply is malformed");
      auto enc_text = sealed->Text("enc", Field::kRequired);
      auto ciphertext_text = sealed->Text("ciphertext", Field::kRequired);
      if (!enc_text.ok() || !ciphertext_text.ok()) return Fail("the sealed secret is malformed");
      auto enc = Base64Decode(*enc_text);
      auto ciphertext = Base64Decode(*ciphertext_text);
      if (!enc.ok() || !ciphertext.ok()) return Fail("the sealed secret is malformed");
      auto secret = vault::OpenReveal({{*client, *resource, *name, *version}, *id}, one_time, *enc,
                                      *ciphertext);
      if (!secret.ok())
        return Fail("the secret the server passed on does not open with this reveal's key: " +
                    secret.status().message());
      std::cout << *secret << "\n" << std::flush;
      sodium_memzero(secret->data(), secret->size());
      std::cerr << *resource << "/" << *name << " version " << *version
                << ": revealed by the client's agent under grant " << args.grant
                << "; the reveal is in the client's log.\n";
      return 0;
    }
    if (*state != "pending") {
      auto reason = answer->Text("reason", Field::kOptional);
      return Fail("the client's agent refused: " +
                  (reason.ok() && !reason->empty() ? *reason : std::string("no reason")));
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return Fail("the client's agent has not answered (request " + *id +
                  " waits; is the agent running?)");
    reply = api->Call("GET", "/clients/" + *client + "/reveals/" + *id + "?wait=20");
  }
}

int VaultList(const ServerOptions& options, const std::string& client_option) {
  auto api = ConnectApi(options);
  if (!api.ok()) return Fail(api.status().message());
  auto client = ResolveClient(*api, client_option);
  if (!client.ok()) return Fail(client.status().message());
  auto listed = api->Call("GET", "/clients/" + *client + "/credentials");
  if (!listed.ok()) return Fail(listed.status().message());
  if (options.json) {
    std::cout << CanonicalJsonOf(*listed) << "\n";
    return 0;
  }
  const Json& credentials = (*listed)["credentials"];
  if (credentials.empty()) {
    std::cout << "No credentials stored for " << *client << ".\n";
    return 0;
  }
  for (const Json& credential : credentials) {
    const std::string username = credential["username"].get<std::string>();
    std::cout << credential["resource"].get<std::string>() << "/"
              << credential["name"].get<std::string>()
              << (username.empty() ? "" : " (" + username + ")") << "  version "
              << credential["version"].get<uint64_t>()
              << (credential["exclusive"].get<bool>() ? "  exclusive" : "") << "  rotates "
              << Rotation(credential) << "  " << LastReveal(credential) << "  "
              << RotationState(credential) << "\n";
  }
  return 0;
}

}  // namespace quartet::cli
