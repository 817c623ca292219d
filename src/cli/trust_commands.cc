// `quartet trust init | show`: the client's trust chain (docs/trust-chain.md), made and read on the
// owner's side. The server's word is never taken: `show` replays every statement itself.
#include <iostream>

#include "base/clock.h"
#include "base/file_system.h"
#include "base/random.h"
#include "cli/commands.h"
#include "trust/chain.h"

namespace quartet::cli {
namespace {

std::string Plural(size_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

StatusOr<trust::Chain> FetchTrustChain(client::ApiClient& api, const std::string& client) {
  ASSIGN_OR_RETURN(Json reply, api.Call("GET", "/clients/" + client + "/trust"));
  ASSIGN_OR_RETURN(JsonObject object, ReplyObject(reply));
  ASSIGN_OR_RETURN(std::vector<std::string> statements,
                   object.Texts("statements", Field::kRequired));
  auto chain = trust::Chain::Replay(client, statements);
  if (!chain.ok())
    return DataLossError("the server's copy of the trust chain does not check: " +
                         chain.status().message());
  return chain;
}

namespace {

void Describe(const trust::ChainState& state) {
  if (state.size == 0) {
    std::cout << "No trust chain yet: the client's owner starts it with 'quartet trust init'.\n";
    return;
  }
  std::cout << Plural(state.owners.size(), "owner", "owners") << ", "
            << Plural(state.DeviceCount(), "device", "devices") << "; a change needs "
            << Plural(static_cast<size_t>(state.threshold), "owner's signature",
                      "owners' signatures")
            << ".\n";
  for (const auto& [owner, devices] : state.owners) {
    std::cout << "  " << owner << ":";
    for (const auto& [key_id, device] : devices)
      std::cout << " " << (device.name.empty() ? "device" : device.name) << " (" << key_id << ")";
    std::cout << "\n";
  }
  if (state.agent.has_value()) {
    std::cout << "Agent " << state.agent->name << " confirmed on "
              << FormatUtc(state.agent->confirmed_at, "%Y-%m-%d") << ".\n";
  } else {
    std::cout << "No agent confirmed yet: it issues nothing until an owner confirms it.\n";
  }
  std::cout << (state.policy.empty() ? "No policy signed yet.\n"
                                     : "The policy in force is signed.\n");
  if (state.recovered_at != 0) {
    std::cout << "The recovery key was used on " << FormatUtc(state.recovered_at, "%Y-%m-%d %H:%M")
              << " UTC: every earlier device was removed.\n";
  }
  std::cout << "Chain: " << state.size << " statements, head " << HexEncode(state.head) << "\n";
}

}  // namespace

int TrustInit(const ServerOptions& options, const TrustInitArguments& args) {
  auto signer = LoadOwnerKey(args.key_file);
  if (!signer.ok()) return Fail(signer.status().message());
  auto api = ConnectApi(options);
  if (!api.ok()) return Fail(api.status().message());
  auto client = ResolveClient(*api, args.client);
  if (!client.ok()) return Fail(client.status().message());
  std::string owner = args.owner;
  if (owner.empty()) {
    auto user = ReplyText(api->Call("GET", "/me"), "user");
    if (!user.ok()) return Fail(user.status().message());
    owner = *user;
  }
  auto chain = FetchTrustChain(*api, *client);
  if (!chain.ok()) return Fail(chain.status().message());
  if (chain->state().size != 0) return Fail(*client + " has a trust chain already");
  // The recovery key is written first, readable by its owner alone: without it on paper, losing
  // every device would lose the chain.
  const access::OwnerSigner recovery = access::OwnerSigner::Generate(Random::System());
  const std::string text = "quartet-owner-key v1\n" + Base64Encode(recovery.Seed()) + "\n";
  if (Status written = WriteSecretFile(args.recovery_out, text); !written.ok())
    return Fail(written.message());
  const std::string body =
      chain->NextBody("genesis",
                      {{"owner", owner},
                       {"device", trust::DeviceJson(signer->key(), args.device_name)},
                       {"recovery_key", Base64Encode(recovery.key().public_key)}},
                      Clock::System().NowUnixSeconds());
  const std::string statement =
      trust::SignStatement(body, std::vector<access::OwnerSigner>{*signer});
  if (Status applied = chain->Apply(statement); !applied.ok()) return Fail(applied.message());
  auto submitted = api->Call("POST", "/clients/" + *client + "/trust", {{"statement", statement}});
  if (!submitted.ok())
    return Fail("the server refused the genesis: " + submitted.status().message());
  Describe(chain->state());
  std::cout << "Recovery key written to " << args.recovery_out
            << ": print it or copy it to a USB stick, keep it offline, then delete the file.\n";
  return 0;
}

int TrustShow(const ServerOptions& options, const std::string& client) {
  auto api = ConnectApi(options);
  if (!api.ok()) return Fail(api.status().message());
  auto resolved = ResolveClient(*api, client);
  if (!resolved.ok()) return Fail(resolved.status().message());
  auto chain = FetchTrustChain(*api, *resolved);
  if (!chain.ok()) return Fail(chain.status().message());
  if (options.json) {
    std::cout << CanonicalJsonOf(trust::SummaryJson(chain->state())) << "\n";
    return 0;
  }
  Describe(chain->state());
  return 0;
}

}  // namespace quartet::cli
