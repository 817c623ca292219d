// `quartet trust init | show | link | approve-link | devices | remove-device | recover | pending |
// sign | threshold`: the client's
// trust chain (docs/trust-chain.md), made and read on the owner's side. The server's word is never
// taken: every command replays every statement itself before it signs or says anything.
#include <cstdio>
#include <iostream>

#include "access/policy.h"
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

StatusOr<ChainContext> OpenChain(const ServerOptions& options, const std::string& client) {
  ASSIGN_OR_RETURN(client::ApiClient api, ConnectApi(options));
  ASSIGN_OR_RETURN(std::string resolved, ResolveClient(api, client));
  ASSIGN_OR_RETURN(trust::Chain chain, FetchTrustChain(api, resolved));
  return ChainContext{std::move(api), std::move(resolved), std::move(chain)};
}

StatusOr<bool> SubmitStatement(ChainContext& context, const std::string& statement) {
  ASSIGN_OR_RETURN(const trust::Chain::Collecting collecting,
                   context.chain.CheckCollecting(statement));
  auto submitted =
      context.api.Call("POST", "/clients/" + context.client + "/trust", {{"statement", statement}});
  if (!submitted.ok()) return submitted.status().WithContext("the server refused the statement");
  if (collecting.complete) {
    RETURN_IF_ERROR(context.chain.Apply(statement));
    return false;
  }
  // Short of owners' signatures here; the server may have had the others' already.
  ASSIGN_OR_RETURN(context.chain, FetchTrustChain(context.api, context.client));
  ASSIGN_OR_RETURN(const trust::Statement parsed, trust::Statement::Parse(statement));
  if (context.chain.state().size > parsed.seq) return false;
  const auto* pending = submitted->is_object() ? &(*submitted)["pending"] : nullptr;
  const std::string id =
      pending != nullptr && pending->contains("id") && (*pending)["id"].is_string()
          ? (*pending)["id"].get<std::string>()
          : std::string();
  std::cout << "Signed. It takes effect when " << collecting.threshold << " owners have signed it; "
            << collecting.owners.size() << " have. The others see it in the dashboard, or run:\n"
            << "  quartet trust pending\n"
            << "  quartet trust sign --key THEIR_KEY_FILE" << (id.empty() ? "" : " --id " + id)
            << "\n";
  return true;
}

namespace {

// The recovery key, written before the statement that names it is submitted, readable by its owner
// alone: without it on paper, losing every device would lose the chain.
Status WriteRecoveryKey(const std::string& path, const access::OwnerSigner& recovery) {
  return WriteSecretFile(path, "quartet-owner-key v1\n" + Base64Encode(recovery.Seed()) + "\n");
}

StatusOr<std::string> SignedInUser(client::ApiClient& api) {
  return ReplyText(api.Call("GET", "/me"), "user");
}

bool IsKeyId(std::string_view text) {
  return text.size() == 16 && text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

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

int TrustInit(const ServerOptions& options, const TrustArguments& args) {
  auto signer = LoadOwnerKey(args.key_file);
  if (!signer.ok()) return Fail(signer.status().message());
  auto api = ConnectApi(options);
  if (!api.ok()) return Fail(api.status().message());
  auto client = ResolveClient(*api, args.client);
  if (!client.ok()) return Fail(client.status().message());
  std::string owner = args.owner;
  if (owner.empty()) {
    auto user = SignedInUser(*api);
    if (!user.ok()) return Fail(user.status().message());
    owner = *user;
  }
  auto chain = FetchTrustChain(*api, *client);
  if (!chain.ok()) return Fail(chain.status().message());
  if (chain->state().size != 0) return Fail(*client + " has a trust chain already");
  const access::OwnerSigner recovery = access::OwnerSigner::Generate(Random::System());
  if (Status written = WriteRecoveryKey(args.recovery_out, recovery); !written.ok())
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
  auto context = OpenChain(options, client);
  if (!context.ok()) return Fail(context.status().message());
  if (options.json) {
    std::cout << CanonicalJsonOf(trust::SummaryJson(context->chain.state())) << "\n";
    return 0;
  }
  Describe(context->chain.state());
  return 0;
}

int TrustLink(const ServerOptions& options, const TrustArguments& args) {
  auto signer = LoadOwnerKey(args.key_file);
  if (!signer.ok()) return Fail(signer.status().message());
  auto context = OpenChain(options, args.client);
  if (!context.ok()) return Fail(context.status().message());
  const trust::ChainState& state = context->chain.state();
  if (state.size == 0) return Fail(context->client + " has no trust chain yet");
  const std::string key_id = signer->key().Id();
  if (state.OwnerOf(key_id) != nullptr) return Fail("key " + key_id + " is in the chain already");
  auto user = SignedInUser(context->api);
  if (!user.ok()) return Fail(user.status().message());
  // The new device's half: it names itself and signs alone. One of the owner's devices adds the
  // signature that makes it count; for an owner not yet in the chain, the owners who are.
  const bool new_owner = !state.owners.contains(*user);
  const std::string body = context->chain.NextBody(
      new_owner ? "owner.added" : "device.added",
      {{"owner", *user}, {"device", trust::DeviceJson(signer->key(), args.device_name)}},
      Clock::System().NowUnixSeconds());
  const std::string statement =
      trust::SignStatement(body, std::vector<access::OwnerSigner>{*signer});
  auto offered = context->api.Call("POST", "/clients/" + context->client + "/trust/links",
                                   {{"statement", statement}});
  auto code = ReplyText(offered, "code");
  if (!code.ok()) return Fail(code.status().message());
  // The code carries the key ID: the approving device takes only a link that adds this key.
  const std::string full = *code + "." + key_id;
  if (options.json) {
    std::cout << CanonicalJsonOf({{"code", full}, {"key_id", key_id}}) << "\n";
    return 0;
  }
  std::cout << full << "\n"
            << "Key ID of this device: " << key_id << "\n"
            << (new_owner
                    ? "You are not an owner in the trust chain yet: an owner who is signs you "
                      "in, within 10 minutes:\n"
                    : "On a device of yours already in the chain, within 10 minutes:\n")
            << "  quartet trust approve-link --key " << (new_owner ? "THEIR" : "YOUR")
            << "_KEY_FILE --code " << full << "\n"
            << "It shows the key ID it adds: check that it is this one.\n";
  return 0;
}

int TrustApproveLink(const ServerOptions& options, const TrustArguments& args) {
  const size_t dot = args.code.rfind('.');
  const std::string relay = args.code.substr(0, dot);
  const std::string expected = dot == std::string::npos ? "" : args.code.substr(dot + 1);
  if (dot == std::string::npos || relay.empty() || !IsKeyId(expected))
    return Fail(
        "a link code ends with '.' and the new device's key ID, as 'quartet trust link' "
        "prints it");
  auto signer = LoadOwnerKey(args.key_file);
  if (!signer.ok()) return Fail(signer.status().message());
  auto context = OpenChain(options, args.client);
  if (!context.ok()) return Fail(context.status().message());
  const std::string* owner = context->chain.state().OwnerOf(signer->key().Id());
  if (owner == nullptr)
    return Fail("key " + signer->key().Id() + " is not a device in the trust chain");
  auto statement =
      ReplyText(context->api.Call("GET", "/clients/" + context->client + "/trust/links/" + relay),
                "statement");
  if (!statement.ok()) return Fail(statement.status().message());
  // What the server relayed is checked here against the chain replayed here: the key the code
  // names, for this key's owner, following the head, signed by the new key.
  auto link = context->chain.CheckLink(*statement);
  if (!link.ok()) return Fail("the relayed link does not check: " + link.status().message());
  if (link->device.key_id != expected)
    return Fail("the relayed link adds key " + link->device.key_id + ", not " + expected +
                " as the code says: refused");
  if (!link->new_owner && link->owner != *owner)
    return Fail("the relayed link adds a device of " + link->owner + ", and your key is " + *owner +
                "'s: refused");
  auto approved = trust::AddSignature(*statement, *signer);
  if (!approved.ok()) return Fail(approved.status().message());
  std::cout << "New device's key ID: " << link->device.key_id << "\n";
  auto waiting = SubmitStatement(*context, *approved);
  if (!waiting.ok()) return Fail(waiting.status().message());
  if (*waiting) return 0;
  const std::string device = link->device.name.empty() ? "a device" : "'" + link->device.name + "'";
  if (link->new_owner) {
    std::cout << "Added " << link->owner << " as an owner, with " << device << ".\n";
  } else {
    std::cout << "Linked " << device << " for " << link->owner << ".\n";
  }
  Describe(context->chain.state());
  return 0;
}

int TrustDevices(const ServerOptions& options, const std::string& client) {
  auto context = OpenChain(options, client);
  if (!context.ok()) return Fail(context.status().message());
  const trust::ChainState& state = context->chain.state();
  if (options.json) {
    Json devices = Json::array();
    for (const auto& [owner, keys] : state.owners) {
      for (const auto& [key_id, device] : keys) {
        devices.push_back({{"owner", owner},
                           {"key_id", key_id},
                           {"name", device.name},
                           {"added_at", device.added_at}});
      }
    }
    std::cout << CanonicalJsonOf({{"devices", devices}}) << "\n";
    return 0;
  }
  if (state.size == 0) {
    Describe(state);
    return 0;
  }
  std::printf("%-16s %-16s %-20s %s\n", "OWNER", "KEY ID", "NAME", "ADDED");
  for (const auto& [owner, keys] : state.owners) {
    for (const auto& [key_id, device] : keys) {
      std::printf("%-16s %-16s %-20s %s\n", owner.c_str(), key_id.c_str(),
                  device.name.empty() ? "-" : device.name.c_str(),
                  FormatUtc(device.added_at, "%Y-%m-%d %H:%M").c_str());
    }
  }
  return 0;
}

int TrustRemoveDevice(const ServerOptions& options, const TrustArguments& args) {
  auto signer = LoadOwnerKey(args.key_file);
  if (!signer.ok()) return Fail(signer.status().message());
  auto context = OpenChain(options, args.client);
  if (!context.ok()) return Fail(context.status().message());
  const trust::ChainState& state = context->chain.state();
  if (state.OwnerOf(signer->key().Id()) == nullptr)
    return Fail("key " + signer->key().Id() + " is not a device in the trust chain");
  const std::string* owner = state.OwnerOf(args.device);
  if (owner == nullptr) return Fail("no device " + args.device + " in the trust chain");
  const std::string body =
      context->chain.NextBody("device.removed", {{"owner", *owner}, {"key_id", args.device}},
                              Clock::System().NowUnixSeconds());
  const std::string statement =
      trust::SignStatement(body, std::vector<access::OwnerSigner>{*signer});
  auto waiting = SubmitStatement(*context, statement);
  if (!waiting.ok()) return Fail(waiting.status().message());
  if (*waiting) return 0;
  std::cout << "Removed device " << args.device << ".\n";
  Describe(context->chain.state());
  return 0;
}

int TrustRecover(const ServerOptions& options, const TrustArguments& args) {
  auto recovery = LoadOwnerKey(args.recovery_key_file);
  if (!recovery.ok()) return Fail(recovery.status().message());
  auto signer = LoadOwnerKey(args.key_file);
  if (!signer.ok()) return Fail(signer.status().message());
  if (args.recovery_out == args.recovery_key_file)
    return Fail(
        "write the new recovery key to another file: the old one is needed until the "
        "server has the recovery");
  auto context = OpenChain(options, args.client);
  if (!context.ok()) return Fail(context.status().message());
  const trust::ChainState& state = context->chain.state();
  if (state.size == 0) return Fail(context->client + " has no trust chain yet");
  // Run again after a recovery that went through (say its reply was lost): nothing more to do.
  if (state.recovered_at != 0 && state.OwnerOf(signer->key().Id()) != nullptr) {
    std::cout << "The chain was recovered already with this key.\n";
    Describe(state);
    return 0;
  }
  if (recovery->key().public_key != state.recovery_key)
    return Fail("that is not the trust chain's recovery key (a recovery replaces it)");
  std::string owner = args.owner;
  if (owner.empty()) {
    auto user = SignedInUser(context->api);
    if (!user.ok()) return Fail(user.status().message());
    owner = *user;
  }
  const access::OwnerSigner next = access::OwnerSigner::Generate(Random::System());
  if (Status written = WriteRecoveryKey(args.recovery_out, next); !written.ok())
    return Fail(written.message());
  const std::string body =
      context->chain.NextBody("recovered",
                              {{"owner", owner},
                               {"device", trust::DeviceJson(signer->key(), args.device_name)},
                               {"recovery_key", Base64Encode(next.key().public_key)}},
                              Clock::System().NowUnixSeconds());
  const std::string statement =
      trust::SignStatement(body, std::vector<access::OwnerSigner>{*recovery, *signer});
  if (auto submitted = SubmitStatement(*context, statement); !submitted.ok())
    return Fail(submitted.status().message());
  Describe(context->chain.state());
  std::cout << "Every earlier device was removed. The new recovery key is in " << args.recovery_out
            << ": keep it offline, then delete the file; the old one opens nothing now.\n";
  return 0;
}

namespace {

template <typename T>
T ValueOr(StatusOr<T> value, T fallback) {
  return value.ok() ? *std::move(value) : std::move(fallback);
}

// What a statement changes, in plain words, as the chain here reads it.
std::vector<std::string> DescribeStatement(const trust::Statement& statement) {
  const JsonObject fields = *JsonObject::Of(statement.fields, "a trust statement's body");
  auto text = [&](std::string_view key) {
    return ValueOr(fields.Text(key, Field::kOptional), std::string());
  };
  const std::string& kind = statement.kind;
  if (kind == "policy.signed") {
    std::vector<std::string> lines = {"Put this policy in force:"};
    if (auto policy = access::PolicyFromJson(text("policy")); policy.ok()) {
      for (const std::string& line : policy->Describe()) lines.push_back("  " + line);
    }
    return lines;
  }
  if (kind == "resource.signed") {
    std::string held;
    for (const std::string& label :
         ValueOr(fields.Texts("labels", Field::kOptional), std::vector<std::string>()))
      held += (held.empty() ? "" : ", ") + label;
    return {"Resource " + text("resource") + " (" + text("resource_kind") + ") holds " +
            (held.empty() ? std::string("nothing sensitive") : held + " data") + "."};
  }
  if (kind == "agent.confirmed")
    return {"Confirm agent " + text("name") + " as the client's agent (witness key " +
            text("witness_key") + ")."};
  if (kind == "threshold.set") {
    const uint64_t threshold = ValueOr(fields.Unsigned("threshold", Field::kOptional), uint64_t{0});
    return {"From then on, a change needs " +
            Plural(threshold, "owner's signature", "owners' signatures") + "."};
  }
  auto device = [&] {
    auto object = fields.Object("device", Field::kOptional);
    if (!object.ok()) return std::string("a device");
    const std::string name = ValueOr(object->Text("name", Field::kOptional), std::string());
    return (name.empty() ? std::string("a device") : "'" + name + "'") + " (key " +
           ValueOr(object->Text("key_id", Field::kOptional), std::string("?")) + ")";
  };
  if (kind == "owner.added")
    return {"Add " + text("owner") + " as an owner, with " + device() + "."};
  if (kind == "owner.removed") return {"Remove " + text("owner") + " as an owner."};
  if (kind == "device.added") return {"Add " + device() + " for " + text("owner") + "."};
  if (kind == "device.removed")
    return {"Remove device " + text("key_id") + " of " + text("owner") + "."};
  return {kind};
}

struct Waiting {
  std::string id;
  std::string statement;
  std::string proposed_by;
  int64_t proposed_at = 0;
  trust::Statement parsed;
  trust::Chain::Collecting collecting;
};

// The statements waiting for signatures, each checked against the chain replayed here; those that
// do not check are left out, with a warning.
StatusOr<std::vector<Waiting>> FetchWaiting(ChainContext& context) {
  ASSIGN_OR_RETURN(Json reply,
                   context.api.Call("GET", "/clients/" + context.client + "/trust/pending"));
  ASSIGN_OR_RETURN(JsonObject object, ReplyObject(reply));
  ASSIGN_OR_RETURN(std::vector<JsonObject> pending, object.Objects("pending", Field::kRequired));
  std::vector<Waiting> out;
  for (const JsonObject& item : pending) {
    Waiting waiting;
    ASSIGN_OR_RETURN(waiting.id, item.Text("id", Field::kRequired));
    ASSIGN_OR_RETURN(waiting.statement, item.Text("statement", Field::kRequired));
    ASSIGN_OR_RETURN(waiting.proposed_by, item.Text("proposed_by", Field::kOptional));
    ASSIGN_OR_RETURN(waiting.proposed_at, item.Integer("proposed_at", Field::kOptional));
    auto parsed = trust::Statement::Parse(waiting.statement);
    auto collecting = context.chain.CheckCollecting(waiting.statement);
    if (!parsed.ok() || !collecting.ok()) {
      std::cerr << "warning: the server offers a statement " << waiting.id
                << " that does not check here: "
                << (parsed.ok() ? collecting.status() : parsed.status()).message() << "\n";
      continue;
    }
    waiting.parsed = *std::move(parsed);
    waiting.collecting = *std::move(collecting);
    out.push_back(std::move(waiting));
  }
  return out;
}

}  // namespace

int TrustPending(const ServerOptions& options, const std::string& client) {
  auto context = OpenChain(options, client);
  if (!context.ok()) return Fail(context.status().message());
  auto waiting = FetchWaiting(*context);
  if (!waiting.ok()) return Fail(waiting.status().message());
  if (options.json) {
    Json list = Json::array();
    for (const Waiting& item : *waiting) {
      list.push_back({{"id", item.id},
                      {"kind", item.parsed.kind},
                      {"proposed_by", item.proposed_by},
                      {"proposed_at", item.proposed_at},
                      {"signed_by", item.collecting.owners},
                      {"threshold", item.collecting.threshold},
                      {"description", DescribeStatement(item.parsed)}});
    }
    std::cout << CanonicalJsonOf({{"pending", list}}) << "\n";
    return 0;
  }
  if (waiting->empty()) {
    std::cout << "Nothing waits for signatures.\n";
    return 0;
  }
  for (const Waiting& item : *waiting) {
    std::string signers;
    for (const std::string& owner : item.collecting.owners)
      signers += (signers.empty() ? "" : ", ") + owner;
    std::cout << item.id << "  proposed by " << item.proposed_by << " on "
              << FormatUtc(item.proposed_at, "%Y-%m-%d %H:%M") << " UTC; signed by " << signers
              << " (" << item.collecting.owners.size() << " of " << item.collecting.threshold
              << ")\n";
    for (const std::string& line : DescribeStatement(item.parsed))
      std::cout << "  " << line << "\n";
  }
  return 0;
}

int TrustSign(const ServerOptions& options, const TrustArguments& args) {
  auto signer = LoadOwnerKey(args.key_file);
  if (!signer.ok()) return Fail(signer.status().message());
  auto context = OpenChain(options, args.client);
  if (!context.ok()) return Fail(context.status().message());
  const std::string* owner = context->chain.state().OwnerOf(signer->key().Id());
  if (owner == nullptr)
    return Fail("key " + signer->key().Id() + " is not a device in the trust chain");
  auto waiting = FetchWaiting(*context);
  if (!waiting.ok()) return Fail(waiting.status().message());
  const Waiting* chosen = nullptr;
  for (const Waiting& item : *waiting) {
    if (args.id.empty() ? waiting->size() == 1 : item.id.starts_with(args.id)) chosen = &item;
  }
  if (chosen == nullptr) {
    return Fail(waiting->empty() ? "nothing waits for signatures"
                : args.id.empty()
                    ? "several statements wait for signatures: name one with --id (quartet "
                      "trust pending lists them)"
                    : "no statement " + args.id + " waits for signatures");
  }
  if (chosen->collecting.owners.contains(*owner))
    return Fail("you (" + *owner + ") signed " + chosen->id + " already");
  std::cout << "Signing " << chosen->id << ", proposed by " << chosen->proposed_by << ":\n";
  for (const std::string& line : DescribeStatement(chosen->parsed))
    std::cout << "  " << line << "\n";
  auto signed_statement = trust::AddSignature(chosen->statement, *signer);
  if (!signed_statement.ok()) return Fail(signed_statement.status().message());
  auto still_waiting = SubmitStatement(*context, *signed_statement);
  if (!still_waiting.ok()) return Fail(still_waiting.status().message());
  if (*still_waiting) return 0;
  std::cout << "Enough owners have signed: it is in force.\n";
  Describe(context->chain.state());
  return 0;
}

int TrustThreshold(const ServerOptions& options, const TrustArguments& args) {
  auto session = OpenOwnerSigning(options, args.client, args.key_file);
  if (!session.ok()) return Fail(session.status().message());
  const trust::ChainState& state = session->chain.state();
  if (args.threshold < 1 || static_cast<size_t>(args.threshold) > state.owners.size())
    return Fail("the threshold is 1 to the number of owners in the chain (" +
                std::to_string(state.owners.size()) + ")");
  if (args.threshold == state.threshold) {
    std::cout << "A change needs " << args.threshold << " already.\n";
    return 0;
  }
  auto waiting = session->SignAndSubmit("threshold.set", {{"threshold", args.threshold}});
  if (!waiting.ok()) return Fail(waiting.status().message());
  if (*waiting) return 0;
  Describe(session->chain.state());
  return 0;
}

}  // namespace quartet::cli
