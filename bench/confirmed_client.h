// For the benchmarks that need a client as one is set up now: a real `quartet server` on loopback
// with client acme, its owner olivia (who starts the trust chain with her key), technician tom,
// and `quartet agent run` enrolled with her code and confirmed by its safety code.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "client/http_client.h"
#include "tests/test_util.h"

namespace quartet::bench {

class ConfirmedClient {
 public:
  // In $QUARTET_BENCH_DIR/<name> (emptied first). `resources`: {name, kind} added before the
  // server starts. The agent runs with `agent_options`.
  ConfirmedClient(const std::string& name,
                  const std::vector<std::pair<std::string, std::string>>& resources,
                  const std::vector<std::string>& agent_options = {});
  ~ConfirmedClient();

  bool ok() const { return ok_; }
  const std::string& dir() const { return dir_; }
  const std::string& data() const { return data_; }
  const std::string& owner_key() const { return owner_key_; }
  const std::string& token(const std::string& user) const { return user == "tom" ? tom_ : olivia_; }
  testing::RunningServer& server() { return *server_; }

  // `quartet` as `user` (tom or olivia) against the server.
  testing::RunResult Quartet(const std::string& user, std::vector<std::string> args,
                             const std::string& stdin_path = "");
  // One request on the keep-alive connection, as `user`.
  StatusOr<client::HttpResult> Call(const std::string& user, const std::string& method,
                                    const std::string& path, const nlohmann::json& body);
  // Waits until the agent has cosigned the whole log.
  void WaitForAgent();
  // The agent's warnings, once it has stopped: retries show in a benchmark's tail.
  void StopAgentAndReport();

 private:
  std::string dir_, data_, owner_key_, tom_, olivia_;
  std::unique_ptr<testing::RunningServer> server_;
  std::unique_ptr<testing::Subprocess> agent_;
  std::unique_ptr<client::HttpClient> http_;
  bool ok_ = false;
};

struct Percentiles {
  double p50, p95, p99;
};
Percentiles Summarise(std::vector<double> ms);

}  // namespace quartet::bench
