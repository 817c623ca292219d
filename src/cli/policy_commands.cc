// `quartet policy show | sign`: the client's access policy, read and signed on the owner's side.
// Once the client has a trust chain, the policy in force is the one its owners signed there; `show`
// replays the chain itself rather than take the server's word, and `sign` puts a policy (from a
// file, or a proposal of the provider's) in force with the owner's signature.
#include <fstream>
#include <iostream>
#include <sstream>

#include "access/policy.h"
#include "base/clock.h"
#include "cli/commands.h"

namespace quartet::cli {
namespace {

struct PolicyInForce {
  access::Policy policy;
  bool signed_by_owners = false;
};

StatusOr<PolicyInForce> ReadPolicyInForce(client::ApiClient& api, const std::string& client) {
  ASSIGN_OR_RETURN(const trust::Chain chain, FetchTrustChain(api, client));
  if (!chain.state().policy.empty()) {
    ASSIGN_OR_RETURN(access::Policy policy, access::PolicyFromJson(chain.state().policy));
    return PolicyInForce{std::move(policy), true};
  }
  ASSIGN_OR_RETURN(Json reply, api.Call("GET", "/clients/" + client + "/policy"));
  ASSIGN_OR_RETURN(JsonObject object, ReplyObject(reply));
  ASSIGN_OR_RETURN(JsonObject policy, object.Object("policy", Field::kRequired));
  ASSIGN_OR_RETURN(access::Policy parsed, access::PolicyFromJson(CanonicalJsonOf(policy.json())));
  return PolicyInForce{std::move(parsed), false};
}

void PrintDescription(const access::Policy& policy) {
  for (const std::string& line : policy.Describe()) std::cout << "  " << line << "\n";
}

// The policy an owner means to sign: a file of policy JSON, or an open proposal by its ID.
StatusOr<access::Policy> PolicyToSign(client::ApiClient& api, const std::string& client,
                                      const PolicySignArguments& args) {
  if (args.file.empty() == args.proposal.empty())
    return InvalidArgumentError("pass either --file or --proposal");
  if (!args.file.empty()) {
    std::ifstream in(args.file);
    if (!in) return NotFoundError("cannot read " + args.file);
    std::stringstream text;
    text << in.rdbuf();
    auto policy = access::PolicyFromJson(text.str());
    if (!policy.ok())
      return InvalidArgumentError(args.file + ": " + policy.status().message());
    return policy;
  }
  ASSIGN_OR_RETURN(Json reply, api.Call("GET", "/clients/" + client + "/policy/proposals"));
  ASSIGN_OR_RETURN(JsonObject object, ReplyObject(reply));
  ASSIGN_OR_RETURN(std::vector<JsonObject> proposals, object.Objects("proposals", Field::kRequired));
  for (const JsonObject& proposal : proposals) {
    ASSIGN_OR_RETURN(std::string id, proposal.Text("id", Field::kRequired));
    if (id != args.proposal) continue;
    ASSIGN_OR_RETURN(JsonObject policy, proposal.Object("policy", Field::kRequired));
    return access::PolicyFromJson(CanonicalJsonOf(policy.json()));
  }
  return NotFoundError("no open proposal " + args.proposal + " for " + client);
}

}  // namespace

int PolicyShow(const ServerOptions& options, const std::string& client) {
  auto api = ConnectApi(options);
  if (!api.ok()) return Fail(api.status().message());
  auto tenant = ResolveClient(*api, client);
  if (!tenant.ok()) return Fail(tenant.status().message());
  auto in_force = ReadPolicyInForce(*api, *tenant);
  if (!in_force.ok()) return Fail(in_force.status().message());
  if (options.json) {
    std::cout << CanonicalJsonOf({{"policy", access::ToJson(in_force->policy)},
                                  {"signed", in_force->signed_by_owners},
                                  {"description", in_force->policy.Describe()}})
              << "\n";
    return 0;
  }
  std::cout << (in_force->signed_by_owners
                    ? "The policy in force, signed by the owners in the trust chain (checked "
                      "here):\n"
                    : "The policy in force, as the server keeps it (not signed by the owners):\n");
  PrintDescription(in_force->policy);
  return 0;
}

int PolicySign(const ServerOptions& options, const PolicySignArguments& args) {
  auto signer = LoadOwnerKey(args.key_file);
  if (!signer.ok()) return Fail(signer.status().message());
  auto api = ConnectApi(options);
  if (!api.ok()) return Fail(api.status().message());
  auto tenant = ResolveClient(*api, args.client);
  if (!tenant.ok()) return Fail(tenant.status().message());
  auto chain = FetchTrustChain(*api, *tenant);
  if (!chain.ok()) return Fail(chain.status().message());
  const trust::ChainState& state = chain->state();
  if (state.size == 0)
    return Fail(*tenant + " has no trust chain yet: start it with 'quartet trust init' first");
  if (state.OwnerOf(signer->key().Id()) == nullptr)
    return Fail("the key " + signer->key().Id() + " is not an owner's device in " + *tenant +
                "'s trust chain");
  if (state.threshold > 1)
    return Fail("a change to " + *tenant + "'s trust chain needs " +
                std::to_string(state.threshold) + " owners' signatures; this command signs one");
  auto policy = PolicyToSign(*api, *tenant, args);
  if (!policy.ok()) return Fail(policy.status().message());
  const std::string text = access::ToJson(*policy);
  if (text == state.policy) {
    std::cout << "This policy is in force already.\n";
    return 0;
  }
  const std::string statement = trust::SignStatement(
      chain->NextBody("policy.signed", {{"policy", text}}, Clock::System().NowUnixSeconds()),
      std::vector<access::OwnerSigner>{*signer});
  if (Status applied = chain->Apply(statement); !applied.ok()) return Fail(applied.message());
  auto submitted = api->Call("POST", "/clients/" + *tenant + "/trust", {{"statement", statement}});
  if (!submitted.ok())
    return Fail("the server refused the signed policy: " + submitted.status().message());
  std::cout << "Signed. From now on:\n";
  PrintDescription(*policy);
  return 0;
}

}  // namespace quartet::cli
