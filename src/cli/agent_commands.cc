// `quartet agent …` (on the client's machine) and the owner's `quartet agent invite`.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "agent/agent.h"
#include "agent/agent_store.h"
#include "base/clock.h"
#include "base/file_system.h"
#include "base/random.h"
#include "cli/commands.h"
#include "client/api_client.h"
#include "ssh/krl.h"
#include "vault/sealing_key.h"

namespace quartet::cli {
namespace {

using Json = nlohmann::json;

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop = true; }

StatusOr<std::unique_ptr<agent::AgentStore>> OpenOrCreate(const std::string& data) {
  auto opened = agent::AgentStore::Open(data);
  if (opened.ok() || opened.status().code() != StatusCode::kNotFound) return opened;
  return agent::AgentStore::Create(data, Random::System());
}

}  // namespace

int AgentInvite(const ServerOptions& options, const std::string& client,
                const std::string& key_file) {
  // The owner's key goes into the code the agent is given: the agent then counts its confirmation
  // only when that key signed it as a device of the client's trust chain, and prefers the chain
  // founded by that key to any other, whatever the server says.
  std::string founder;
  if (!key_file.empty()) {
    auto signer = LoadOwnerKey(key_file);
    if (!signer.ok()) return Fail(signer.status().message());
    founder = signer->key().Id();
  }
  auto api = ConnectApi(options);
  if (!api.ok()) return Fail(api.status().message());
  auto tenant = ResolveClient(*api, client);
  if (!tenant.ok()) return Fail(tenant.status().message());
  auto code = api->Call("POST", "/clients/" + *tenant + "/agent/enrolment-codes");
  if (!code.ok()) return Fail(code.status().message());
  auto one_time = ReplyText(code, "code");
  if (!one_time.ok()) return Fail(one_time.status().message());
  const std::string printed = founder.empty() ? *one_time : *one_time + "." + founder;
  if (options.json) {
    Json out = *code;
    out["code"] = printed;
    std::cout << CanonicalJsonOf(out) << "\n";
  } else {
    std::cout << printed << "\n";
    std::cerr << "One-time code, valid for 24 hours. On the client's machine run:\n"
              << "  quartet agent enrol --server " << options.server
              << " --code <code> --data <folder>\n";
  }
  return 0;
}

int AgentEnrol(const std::string& server, const std::string& code, const std::string& data,
               const std::string& name) {
  auto store = OpenOrCreate(data);
  if (!store.ok()) return Fail(store.status().message());
  if ((*store)->Config().ok()) return Fail(data + " holds an enrolled agent already");
  auto witness = (*store)->WitnessKey();
  auto ca = (*store)->CertificateAuthority();
  auto sealing = (*store)->SealingKey();
  if (!witness.ok() || !ca.ok() || !sealing.ok())
    return Fail("the agent's keys in " + data + "/keys cannot be read");
  const std::string sealing_key = vault::SealingKeyString(sealing->public_key);
  // "CODE.KEYID": the server's one-time code, and the owner key that must found the trust chain.
  const size_t dot = code.find('.');
  const std::string server_code = code.substr(0, dot);
  const std::string founder = dot == std::string::npos ? "" : code.substr(dot + 1);
  if (dot != std::string::npos &&
      (founder.size() != 16 ||
       founder.find_first_not_of("0123456789abcdef") != std::string::npos)) {
    return Fail("the enrolment code is malformed: copy it again from the owner");
  }
  auto api = client::ApiClient::Connect(server, "");
  if (!api.ok()) return Fail(api.status().message());
  auto enrolled = api->Call("POST", "/agent/enrolment",
                            {{"code", server_code},
                             {"name", name},
                             {"witness_key", witness->VerifierKeyString()},
                             {"ssh_ca_key", ssh::FormatPublicKey(ca->public_key(), "")},
                             {"sealing_key", sealing_key}});
  if (!enrolled.ok()) return Fail("enrolment refused: " + enrolled.status().message());
  auto reply = ReplyObject(*enrolled);
  if (!reply.ok()) return Fail(reply.status().message());
  auto client = reply->Text("client", Field::kRequired);
  auto log_key = reply->Text("log_key", Field::kRequired);
  auto origin = reply->Text("origin", Field::kRequired);
  auto token = reply->Text("token", Field::kRequired);
  auto replaces = reply->Text("replaces", Field::kOptional);
  for (const Status& field :
       {client.status(), log_key.status(), origin.status(), token.status(), replaces.status()})
    if (!field.ok()) return Fail(field.message());
  const agent::AgentConfig config{server, *client, name, *log_key, *origin, founder};
  if (Status saved = (*store)->SaveEnrolment(config, *token); !saved.ok()) {
    return Fail(saved.message());
  }
  std::cout << "enrolled as the agent of " << config.client << "\n"
            << "witness key: " << witness->VerifierKeyString() << "\n"
            << "SSH CA:      " << ssh::FormatPublicKey(ca->public_key(), "quartet-" + config.client)
            << "\n"
            << "sealing key: " << sealing_key << "\n"
            << (founder.empty() ? "trust chain: any founder (the code named no owner key)\n"
                                : "trust chain: confirmed by owner key " + founder + " only\n")
            << (replaces->empty() ? ""
                                  : "replaces agent " + *replaces +
                                        " once the owners confirm this one; until then the "
                                        "server gives it no work\n")
            << "The owner confirms this agent with the safety code below (quartet agent confirm, "
               "or the dashboard); until then it opens no door.\n"
            << "safety code: "
            << trust::SafetyCode(founder, witness->VerifierKeyString(),
                                 ssh::FormatPublicKey(ca->public_key(), ""), sealing_key)
            << "\n";
  return 0;
}

namespace {

// The safety code typed by a person, as its twelve digits.
std::string Digits(std::string_view typed) {
  std::string digits;
  for (char c : typed)
    if (c >= '0' && c <= '9') digits += c;
  return digits;
}

}  // namespace

int AgentConfirm(const ServerOptions& options, const std::string& client,
                 const std::string& key_file, const std::string& safety_code) {
  auto session = OpenOwnerSigning(options, client, key_file);
  if (!session.ok()) return Fail(session.status().message());
  const trust::ChainState& state = session->chain.state();
  const std::string& tenant = session->client;
  const std::string key_id = session->signer.key().Id();
  auto view = session->api.Call("GET", "/clients/" + tenant + "/agent");
  if (!view.ok()) return Fail(view.status().message());
  auto agent = ReplyObject(*view);
  if (!agent.ok()) return Fail(agent.status().message());
  // The agent the server names, and the one enrolled to replace it, if any: the safety code says
  // which of them the owner means.
  std::vector<JsonObject> candidates = {*agent};
  if (const Json& replacement = agent->json()["replacement"]; replacement.is_object())
    candidates.insert(candidates.begin(), *JsonObject::Of(replacement, "the replacement"));
  const std::string typed = Digits(safety_code);
  std::optional<std::string> name, witness_key, ca_key, sealing_key;
  for (const JsonObject& candidate : candidates) {
    auto candidate_name = candidate.Text("name", Field::kRequired);
    auto candidate_witness = candidate.Text("witness_key", Field::kRequired);
    auto ca_line = candidate.Text("ssh_ca_key", Field::kRequired);
    auto candidate_sealing = candidate.Text("sealing_key", Field::kOptional);
    for (const Status& field : {candidate_name.status(), candidate_witness.status(),
                                ca_line.status(), candidate_sealing.status()})
      if (!field.ok()) return Fail(field.message());
    if (candidate_witness->empty()) continue;
    auto ca = ssh::ParsePublicKey(*ca_line);
    if (!ca.ok()) return Fail("the server names an SSH CA key that does not parse");
    const std::string candidate_ca = ssh::FormatPublicKey(*ca, "");
    // The code is made of the keys the server names: if the server swapped the agent's keys, it
    // differs from the one the agent printed. An agent enrolled with a code naming no owner key
    // made its code without one.
    // The sealing key counts in the code too: a server that swapped it would read the credentials
    // sealed to the agent.
    if (typed == Digits(trust::SafetyCode(key_id, *candidate_witness, candidate_ca,
                                          *candidate_sealing)) ||
        typed ==
            Digits(trust::SafetyCode("", *candidate_witness, candidate_ca, *candidate_sealing))) {
      name = *candidate_name;
      witness_key = *candidate_witness;
      ca_key = candidate_ca;
      sealing_key = *candidate_sealing;
      break;
    }
  }
  if (candidates.size() == 1 && !witness_key.has_value()) {
    auto enrolled = candidates[0].Text("witness_key", Field::kRequired);
    if (enrolled.ok() && enrolled->empty())
      return Fail("no agent is enrolled for " + tenant + " yet");
  }
  if (!witness_key.has_value()) {
    return Fail(
        "the safety code does not match the agent the server names. Compare it again with the "
        "code 'quartet agent enrol' printed on the client's machine, and use the owner key the "
        "enrolment code was made with; if it still differs, the agent the server shows is not "
        "the one on your premises. Nothing was signed.");
  }
  if (state.agent.has_value() && state.agent->witness_key == *witness_key &&
      state.agent->ssh_ca_key == ca_key && state.agent->sealing_key == sealing_key &&
      std::find(state.agent->confirmed_by.begin(), state.agent->confirmed_by.end(), key_id) !=
          state.agent->confirmed_by.end()) {
    std::cout << "Agent " << *name << " is confirmed already.\n";
    return 0;
  }
  Json identity = {{"name", *name}, {"witness_key", *witness_key}, {"ssh_ca_key", *ca_key}};
  if (!sealing_key->empty()) identity["sealing_key"] = *sealing_key;
  auto waiting = session->SignAndSubmit("agent.confirmed", std::move(identity));
  if (!waiting.ok()) return Fail(waiting.status().message());
  if (*waiting) return 0;
  std::cout << "Agent " << *name << " confirmed: it opens doors for approved grants from now on.\n";
  return 0;
}

int AgentRun(const std::string& data, const std::string& server, int unknown_grant_seconds,
             int rotation_retry_seconds) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("quartet-agent"));
  auto store = agent::AgentStore::Open(data);
  if (!store.ok()) return Fail(store.status().message());
  agent::AgentOptions options;
  options.server = server;
  options.unknown_grant_patience = std::chrono::seconds(unknown_grant_seconds);
  options.rotation_retry = std::chrono::seconds(rotation_retry_seconds);
  auto running = agent::Agent::Open(**store, options, Clock::System(), Random::System());
  if (!running.ok()) return Fail(running.status().message());
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  spdlog::info("agent of {} running", (*running)->replica().client());
  std::thread worker([&] { (*running)->Run(g_stop); });
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // Everything the agent knows is committed as it goes, so it stops at once rather than at the end
  // of a long poll: what a crash would leave is what it leaves.
  spdlog::info("stopped");
  spdlog::shutdown();
  std::_Exit(0);
}

int AgentCa(const std::string& data) {
  auto store = agent::AgentStore::Open(data);
  if (!store.ok()) return Fail(store.status().message());
  auto ca = (*store)->CertificateAuthority();
  if (!ca.ok()) return Fail(ca.status().message());
  auto config = (*store)->Config();
  std::cout << ssh::FormatPublicKey(ca->public_key(),
                                    config.ok() ? "quartet-" + config->client : "quartet")
            << "\n";
  return 0;
}

int AgentPrincipals(const std::string& data, const std::string& user, const std::string& key_id,
                    const std::string& serial_text) {
  // sshd runs this for every certificate login: print the principal or nothing, never fail open.
  auto serial = ParseDecimal(serial_text);
  if (!serial.ok()) return 0;
  auto store = agent::AgentStore::Open(data);
  if (!store.ok()) return Fail(store.status().message());
  auto principal = (*store)->PrincipalFor(user, key_id, *serial, Clock::System().NowUnixSeconds());
  if (!principal.ok()) return Fail(principal.status().message());
  if (principal->has_value()) std::cout << **principal << "\n";
  return 0;
}

int AgentKrl(const std::string& data, const std::string& out) {
  auto store = agent::AgentStore::Open(data);
  if (!store.ok()) return Fail(store.status().message());
  auto ca = (*store)->CertificateAuthority();
  if (!ca.ok()) return Fail(ca.status().message());
  const int64_t now = Clock::System().NowUnixSeconds();
  auto serials = (*store)->RevokedSerials(now);
  if (!serials.ok()) return Fail(serials.status().message());
  auto krl = ssh::BuildKrl(ca->public_key(), *serials, static_cast<uint64_t>(now),
                           static_cast<uint64_t>(now),
                           "quartet: certificates whose grants are no longer live");
  if (!krl.ok()) return Fail(krl.status().message());
  const std::string bytes(reinterpret_cast<const char*>(krl->data()), krl->size());
  if (Status written = WriteFileAtomically(FileSystem::Posix(), out, bytes); !written.ok()) {
    return Fail(written.message());
  }
  std::cerr << serials->size() << " certificate(s) revoked in " << out << "\n";
  return 0;
}

int AgentStatus(const std::string& data, bool json) {
  auto store = agent::AgentStore::Open(data);
  if (!store.ok()) return Fail(store.status().message());
  auto config = (*store)->Config();
  auto witness = (*store)->LoadWitness();
  auto certificates = (*store)->Certificates();
  auto alarms = (*store)->Alarms();
  if (!config.ok() || !witness.ok() || !certificates.ok() || !alarms.ok())
    return Fail("the agent's state cannot be read");
  Json alarm_list = Json::array();
  for (const auto& alarm : *alarms) {
    alarm_list.push_back({{"at", alarm.at},
                          {"kind", alarm.kind},
                          {"detail", alarm.detail},
                          {"delivered", alarm.delivered}});
  }
  auto witness_key = (*store)->WitnessKey();
  const Json out = {{"client", config->client},
                    {"server", config->server},
                    {"witness_key", witness_key.ok() ? witness_key->VerifierKeyString() : ""},
                    {"witnessed_size", witness->size},
                    {"halted", witness->halted},
                    {"certificates", certificates->size()},
                    {"alarms", alarm_list}};
  if (json) {
    std::cout << CanonicalJsonOf(out) << "\n";
    return 0;
  }
  std::cout << "client:        " << config->client << "\nserver:        " << config->server
            << "\nwitnessed:     " << witness->size << " entries\n"
            << "state:         "
            << (witness->halted.empty() ? "following the log" : "HALTED: " + witness->halted)
            << "\ncertificates:  " << certificates->size()
            << " issued\nalarms:        " << alarms->size() << "\n";
  for (const auto& alarm : *alarms) {
    std::cout << "  " << FormatUtc(alarm.at, "%Y-%m-%d %H:%M") << "  " << alarm.kind << ": "
              << alarm.detail << "\n";
  }
  return 0;
}

}  // namespace quartet::cli
