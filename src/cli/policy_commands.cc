// `quartet policy show | sign` and `quartet resource sign`: what the owners sign into the client's
// trust chain besides its keys. Once the client has a chain, the policy in force is the one its
// owners signed there, and a resource holds what they signed (everything, until they do); `show`
// replays the chain itself rather than take the server's word.
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
    if (!policy.ok()) return InvalidArgumentError(args.file + ": " + policy.status().message());
    return policy;
  }
  ASSIGN_OR_RETURN(Json reply, api.Call("GET", "/clients/" + client + "/policy/proposals"));
  ASSIGN_OR_RETURN(JsonObject object, ReplyObject(reply));
  ASSIGN_OR_RETURN(std::vector<JsonObject> proposals,
                   object.Objects("proposals", Field::kRequired));
  for (const JsonObject& proposal : proposals) {
    ASSIGN_OR_RETURN(std::string id, proposal.Text("id", Field::kRequired));
    if (id != args.proposal) continue;
    ASSIGN_OR_RETURN(JsonObject policy, proposal.Object("policy", Field::kRequired));
    return access::PolicyFromJson(CanonicalJsonOf(policy.json()));
  }
  return NotFoundError("no open proposal " + args.proposal + " for " + client);
}

}  // namespace

StatusOr<OwnerSigning> OpenOwnerSigning(const ServerOptions& options, const std::string& client,
                                        const std::string& key_file) {
  ASSIGN_OR_RETURN(access::OwnerSigner signer, LoadOwnerKey(key_file));
  ASSIGN_OR_RETURN(ChainContext context, OpenChain(options, client));
  const std::string& tenant = context.client;
  const trust::ChainState& state = context.chain.state();
  if (state.size == 0)
    return FailedPreconditionError(tenant +
                                   " has no trust chain yet: start it with 'quartet trust init'");
  if (state.OwnerOf(signer.key().Id()) == nullptr)
    return PermissionDeniedError("the key " + signer.key().Id() + " is not an owner's device in " +
                                 tenant + "'s trust chain");
  return OwnerSigning{{std::move(context)}, std::move(signer)};
}

StatusOr<bool> OwnerSigning::SignAndSubmit(std::string_view kind, Json fields) {
  return SubmitStatement(
      *this, trust::SignStatement(
                 chain.NextBody(kind, std::move(fields), Clock::System().NowUnixSeconds()),
                 std::vector<access::OwnerSigner>{signer}));
}

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
  auto session = OpenOwnerSigning(options, args.client, args.key_file);
  if (!session.ok()) return Fail(session.status().message());
  auto policy = PolicyToSign(session->api, session->client, args);
  if (!policy.ok()) return Fail(policy.status().message());
  const std::string text = access::ToJson(*policy);
  if (text == session->chain.state().policy) {
    std::cout << "This policy is in force already.\n";
    return 0;
  }
  auto waiting = session->SignAndSubmit("policy.signed", {{"policy", text}});
  if (!waiting.ok()) return Fail(waiting.status().message());
  std::cout << (*waiting ? "Once they have, from then on:\n" : "Signed. From now on:\n");
  PrintDescription(*policy);
  return 0;
}

int ResourceSign(const ServerOptions& options, const ResourceSignArguments& args) {
  // The names, checked here: the chain refuses a label it does not know.
  std::vector<std::string> names;
  for (const std::string& name : args.labels) {
    if (name == "none") continue;
    if (auto label = access::LabelFromName(name); !label.ok())
      return Fail(label.status().message());
    names.push_back(name);
  }
  auto session = OpenOwnerSigning(options, args.client, args.key_file);
  if (!session.ok()) return Fail(session.status().message());
  // The kind is the one the provider recorded unless the owner says otherwise.
  std::string kind = args.kind;
  if (kind.empty()) {
    auto described = session->api.Call("GET", "/clients/" + session->client);
    if (!described.ok()) return Fail(described.status().message());
    auto reply = ReplyObject(*described);
    if (!reply.ok()) return Fail(reply.status().message());
    auto resources = reply->Objects("resources", Field::kRequired);
    if (!resources.ok()) return Fail(resources.status().message());
    for (const JsonObject& resource : *resources) {
      auto name = resource.Text("name", Field::kRequired);
      auto resource_kind = resource.Text("kind", Field::kRequired);
      if (!name.ok() || !resource_kind.ok()) return Fail("the server lists a malformed resource");
      if (*name == args.resource) kind = *resource_kind;
    }
    if (kind.empty())
      return Fail("the server lists no resource " + args.resource + " for " + session->client +
                  ": name its kind with --kind");
  }
  if (auto parsed = access::ResourceKindFromName(kind); !parsed.ok())
    return Fail(parsed.status().message());
  auto waiting = session->SignAndSubmit(
      "resource.signed", {{"resource", args.resource}, {"resource_kind", kind}, {"labels", names}});
  if (!waiting.ok()) return Fail(waiting.status().message());
  std::string held;
  for (const std::string& name : names) held += (held.empty() ? "" : ", ") + name;
  std::cout << (*waiting ? "Once they have: " : "Signed: ") << args.resource << " (" << kind
            << ") holds " << (held.empty() ? std::string("nothing sensitive") : held + " data")
            << ".\n";
  return 0;
}

}  // namespace quartet::cli
