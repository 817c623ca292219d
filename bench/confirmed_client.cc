#include "bench/confirmed_client.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>

namespace quartet::bench {

using Json = nlohmann::json;
using testing::QuartetBinary;
using testing::RunProcess;

Percentiles Summarise(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))];
  };
  return {at(0.50), at(0.95), at(0.99)};
}

ConfirmedClient::ConfirmedClient(const std::string& name,
                                 const std::vector<std::pair<std::string, std::string>>& resources,
                                 const std::vector<std::string>& agent_options) {
  const char* root = std::getenv("QUARTET_BENCH_DIR");
  dir_ = std::string(root != nullptr ? root : ".") + "/" + name;
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  data_ = dir_ + "/server";
  auto admin = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {QuartetBinary(), "admin", "--data", data_};
    argv.insert(argv.end(), args.begin(), args.end());
    auto result = RunProcess(argv);
    if (result.status != 0) std::fprintf(stderr, "%s\n", result.err.c_str());
    return result;
  };
  admin({"client", "add", "--tenant", "acme", "--name", "Acme"});
  for (const auto& [resource, kind] : resources)
    admin({"resource", "add", "--client", "acme", "--name", resource, "--kind", kind});
  admin({"user", "add", "--name", "tom", "--role", "technician"});
  admin({"user", "add", "--name", "olivia", "--role", "owner", "--client", "acme"});
  admin({"relate", "--client", "acme", "--technician", "tom"});
  auto token = [&](const char* user) {
    const std::string out = admin({"token", "create", "--user", user}).out;
    return out.substr(0, out.find('\n'));
  };
  tom_ = token("tom");
  olivia_ = token("olivia");
  server_ = std::make_unique<testing::RunningServer>(data_);
  http_ = std::make_unique<client::HttpClient>(server_->host(), server_->port());
  // As a real client does it: the owner's trust chain, the resources signed, the agent enrolled
  // with a code naming her key and confirmed by its safety code.
  owner_key_ = dir_ + "/olivia.key";
  Quartet("olivia", {"owner-key", "create", "--out", owner_key_});
  Quartet("olivia", {"trust", "init", "--key", owner_key_, "--recovery-out", dir_ + "/recovery"});
  for (const auto& [resource, kind] : resources)
    Quartet("olivia",
            {"resource", "sign", "--key", owner_key_, "--resource", resource, "--labels", "none"});
  const std::string code = Quartet("olivia", {"agent", "invite", "--key", owner_key_}).out;
  const std::string enrolled =
      RunProcess({QuartetBinary(), "agent", "enrol", "--server", server_->url(), "--code",
                  code.substr(0, code.find('\n')), "--data", dir_ + "/agent"})
          .out;
  const size_t safety = enrolled.rfind("safety code: ");
  if (safety == std::string::npos) {
    std::fprintf(stderr, "enrolment printed no safety code\n");
    return;
  }
  Quartet("olivia", {"agent", "confirm", "--key", owner_key_, "--safety-code",
                     enrolled.substr(safety + 13, 14)});
  std::vector<std::string> argv = {QuartetBinary(), "agent", "run", "--data", dir_ + "/agent"};
  argv.insert(argv.end(), agent_options.begin(), agent_options.end());
  agent_ = std::make_unique<testing::Subprocess>(testing::Subprocess::Start(argv));
  ok_ = true;
}

ConfirmedClient::~ConfirmedClient() {
  if (agent_ != nullptr) {
    agent_->Signal(SIGTERM);
    agent_->Wait();
  }
  if (server_ != nullptr) server_->Stop();
  std::filesystem::remove_all(dir_);
}

testing::RunResult ConfirmedClient::Quartet(const std::string& user, std::vector<std::string> args,
                                            const std::string& stdin_path) {
  std::vector<std::string> argv = {QuartetBinary(), "--server", server_->url(), "--token",
                                   token(user)};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, stdin_path);
}

StatusOr<client::HttpResult> ConfirmedClient::Call(const std::string& user,
                                                   const std::string& method,
                                                   const std::string& path, const Json& body) {
  return http_->Request(method, "/api/v1" + path, body.is_null() ? "" : body.dump(),
                        {{"Authorization", "Bearer " + token(user)}});
}

void ConfirmedClient::WaitForAgent() {
  for (int i = 0; i < 400; ++i) {
    auto view = Call("olivia", "GET", "/clients/acme/agent", Json());
    if (view.ok()) {
      const Json v = Json::parse(view->body);
      if (v["witnessed_size"].get<uint64_t>() > 0 && v["witnessed_size"] == v["log_size"]) return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void ConfirmedClient::StopAgentAndReport() {
  if (agent_ == nullptr) return;
  agent_->Signal(SIGTERM);
  agent_->Wait();
  const std::string log = agent_->Stderr();
  for (size_t at = log.find("[warning]"); at != std::string::npos;
       at = log.find("[warning]", at + 1)) {
    std::fprintf(stderr, "agent: %s\n", log.substr(at, log.find('\n', at) - at).c_str());
  }
  agent_.reset();
}

}  // namespace quartet::bench
