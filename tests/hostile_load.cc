#include "tests/hostile_load.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "client/http_client.h"
#include "tests/raw_http.h"

namespace quartet::testing {
namespace {

using Json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr char kClient[] = "harbor";
constexpr char kHonestAddress[] = "127.0.0.1";
// The attacker's addresses, one block per kind of attack.
constexpr char kIdleBlock[] = "127.0.1.";
constexpr char kOneAddress[] = "127.0.2.1";
constexpr char kSlowAddress[] = "127.0.3.1";
constexpr char kPasswordBlock[] = "127.0.4.";
constexpr char kFloodAddress[] = "127.0.5.1";

std::string Admin(const std::string& data, std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), {QuartetBinary(), "admin", "--data", data});
  RunResult result = RunProcess(arguments);
  if (result.status != 0) throw std::runtime_error("quartet admin failed: " + result.err);
  return result.out.substr(0, result.out.find('\n'));
}

std::string GrantBody(const std::string& reason) {
  return Json{{"resource", "fileserver"},
              {"login", "admin"},
              {"reason", reason},
              {"ticket", "T-7"},
              {"duration_seconds", 900}}
      .dump();
}

// The attacker's threads run at the lowest priority: what a remote attacker spends on its own
// machines is not the server's to bear, and here both share two cores.
void AsARemoteAttacker() { (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 19); }

double Seconds(SteadyClock::duration duration) {
  return std::chrono::duration<double>(duration).count();
}

// What every thread of the run adds to the report, under one lock.
class Tally {
 public:
  explicit Tally(HostileLoadReport& report) : report_(report) {}

  void Honest(double ms, bool right, const std::string& what) {
    std::lock_guard lock(mu_);
    report_.honest_ms.push_back(ms);
    if (right) return;
    ++report_.honest_failures;
    if (report_.failure_examples.size() < 10) report_.failure_examples.push_back(what);
  }
  void Acknowledged(const std::string& id, bool honest) {
    std::lock_guard lock(mu_);
    report_.acknowledged.insert(id);
    if (honest) {
      ++report_.honest_grants;
      honest_grants_.push_back(id);
    }
  }
  // An honest grant not yet ended by its owner, if any.
  std::string TakeHonestGrant() {
    std::lock_guard lock(mu_);
    if (honest_grants_.empty()) return "";
    std::string id = honest_grants_.front();
    honest_grants_.erase(honest_grants_.begin());
    return id;
  }
  void Update(const std::function<void(HostileLoadReport&)>& change) {
    std::lock_guard lock(mu_);
    change(report_);
  }

 private:
  std::mutex mu_;
  HostileLoadReport& report_;
  std::vector<std::string> honest_grants_;
};

// One honest person's keep-alive connection; each exchange timed and checked.
class Honest {
 public:
  Honest(const RunningServer& server, std::string token, Tally& tally)
      : http_(kHonestAddress, server.port()), token_(std::move(token)), tally_(tally) {}

  // The body when the answer had status `expected`; nullopt (and a failure counted) otherwise.
  std::optional<std::string> Call(const std::string& method, const std::string& target,
                                  const std::string& body, int expected) {
    const auto start = SteadyClock::now();
    auto result = http_.Request(method, target, body, {{"Authorization", "Bearer " + token_}});
    const double ms = Seconds(SteadyClock::now() - start) * 1000;
    const bool right = result.ok() && result->status == expected;
    std::string what = method + " " + target + ": ";
    what += result.ok() ? std::to_string(result->status) + " " + result->body.substr(0, 120)
                        : result.status().ToString();
    tally_.Honest(ms, right, what);
    if (!right) return std::nullopt;
    return result->body;
  }

 private:
  client::HttpClient http_;
  const std::string token_;
  Tally& tally_;
};

void Pace(SteadyClock::time_point& next) {
  next += milliseconds(50);
  std::this_thread::sleep_until(next);
}

// A technician at work: asks for access once a second, and looks at their requests between.
void Technician(const RunningServer& server, const std::string& token,
                SteadyClock::time_point deadline, Tally& tally) {
  Honest person(server, token, tally);
  const std::string grants = std::string("/api/v1/clients/") + kClient + "/grants";
  std::string last;
  auto next_request = SteadyClock::now();
  auto next = next_request;
  for (int i = 0; SteadyClock::now() < deadline; ++i) {
    if (SteadyClock::now() >= next_request) {
      next_request += std::chrono::seconds(1);
      auto created = person.Call("POST", grants, GrantBody("patching"), 201);
      if (created) {
        Json reply = Json::parse(*created, nullptr, false);
        if (reply.is_object() && reply.contains("id") && reply["id"].is_string()) {
          last = reply["id"].get<std::string>();
          tally.Acknowledged(last, /*honest=*/true);
        }
      }
    } else if (i % 3 == 0) {
      person.Call("GET", "/api/v1/me", "", 200);
    } else if (i % 3 == 1 && !last.empty()) {
      person.Call("GET", grants + "/" + last, "", 200);
    } else {
      person.Call("GET", grants + "?limit=20", "", 200);
    }
    Pace(next);
  }
}

// An owner keeping an eye: the client's grants, its timeline, its log; and ending a technician's
// access now and then.
void Owner(const RunningServer& server, const std::string& token, SteadyClock::time_point deadline,
           Tally& tally) {
  Honest person(server, token, tally);
  const std::string client = std::string("/api/v1/clients/") + kClient;
  auto next_revoke = SteadyClock::now() + std::chrono::seconds(2);
  auto next = SteadyClock::now();
  for (int i = 0; SteadyClock::now() < deadline; ++i) {
    if (SteadyClock::now() >= next_revoke) {
      next_revoke += std::chrono::seconds(2);
      if (std::string id = tally.TakeHonestGrant(); !id.empty()) {
        person.Call("POST", client + "/grants/" + id + "/revoke",
                    Json{{"reason", "work done"}}.dump(), 200);
      }
    } else if (i % 3 == 0) {
      person.Call("GET", client + "/grants?limit=50", "", 200);
    } else if (i % 3 == 1) {
      person.Call("GET", client + "/events", "", 200);
    } else {
      person.Call("GET", std::string("/logs/") + kClient + "/checkpoint", "", 200);
    }
    Pace(next);
  }
}

// Connections that never send a byte, spread over addresses so that each stays under the
// per-address cap; and more from one address than the cap allows.
void HoldIdle(const RunningServer& server, const HostileLoadOptions& options,
              SteadyClock::time_point deadline, Tally& tally) {
  AsARemoteAttacker();
  std::vector<RawConnection> idle;
  for (int i = 0; i < options.idle_connections; ++i) {
    idle.push_back(RawConnection::Open(kIdleBlock + std::to_string(1 + i % options.idle_addresses),
                                       server.port()));
  }
  std::vector<RawConnection> crowd;
  for (int i = 0; i < options.one_address_connections; ++i)
    crowd.push_back(RawConnection::Open(kOneAddress, server.port()));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  int refused = 0;
  for (auto& connection : crowd) refused += connection.ClosedWithin(milliseconds(0)) ? 1 : 0;
  std::this_thread::sleep_until(deadline);
  int opened = 0;
  int still_open = 0;
  for (auto& connection : idle) {
    opened += connection.ok() ? 1 : 0;
    still_open += connection.ok() && !connection.ClosedWithin(milliseconds(0)) ? 1 : 0;
  }
  tally.Update([&](HostileLoadReport& report) {
    report.idle_opened = opened;
    report.idle_still_open = still_open;
    report.one_address_refused = refused;
  });
}

// Slowloris: each connection starts a request and sends one more header byte every half second,
// never finishing; a connection the server cuts is replaced.
void Slowloris(const RunningServer& server, const HostileLoadOptions& options,
               SteadyClock::time_point deadline, Tally& tally) {
  AsARemoteAttacker();
  struct Trickle {
    RawConnection connection;
    SteadyClock::time_point opened;
  };
  auto open = [&] {
    Trickle trickle{RawConnection::Open(kSlowAddress, server.port()), SteadyClock::now()};
    trickle.connection.Send("GET /api/v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    return trickle;
  };
  std::vector<Trickle> trickles;
  for (int i = 0; i < options.slowloris; ++i) trickles.push_back(open());
  int opened = options.slowloris;
  int cut = 0;
  double longest = 0;
  while (SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(500));
    for (auto& trickle : trickles) {
      const bool closed = !trickle.connection.ok() ||
                          trickle.connection.ClosedWithin(milliseconds(0)) ||
                          !trickle.connection.Send("a");
      if (!closed) continue;
      ++cut;
      longest = std::max(longest, Seconds(SteadyClock::now() - trickle.opened));
      trickle = open();
      ++opened;
    }
  }
  for (auto& trickle : trickles)
    longest = std::max(longest, Seconds(SteadyClock::now() - trickle.opened));
  tally.Update([&](HostileLoadReport& report) {
    report.slowloris_opened = opened;
    report.slowloris_cut = cut;
    report.slowloris_longest_s = longest;
  });
}

// Waves of concurrent sign-ins with wrong passwords, each from its own address: at the owner's
// account and at made-up ones.
void GuessPasswords(const RunningServer& server, const HostileLoadOptions& options,
                    SteadyClock::time_point deadline, Tally& tally) {
  AsARemoteAttacker();
  std::atomic<int> unauthorized{0}, throttled{0}, other{0};
  for (int wave = 0; SteadyClock::now() < deadline; ++wave) {
    std::vector<std::thread> guessers;
    for (int i = 0; i < options.wrong_passwords; ++i) {
      guessers.emplace_back([&, i, wave] {
        AsARemoteAttacker();
        RawConnection connection =
            RawConnection::Open(kPasswordBlock + std::to_string(1 + i % 250), server.port());
        const std::string user = i % 2 == 0 ? "olivia" : "someone-" + std::to_string(i);
        const std::string body = Json{
            {"user", user},
            {"password", "guess-" + std::to_string(wave * 1000 + i)},
            {"code", "123456"}}.dump();
        connection.Send(HttpRequestText("POST", "/api/v1/sessions", body, ""));
        const int status = connection.ReadResponse(std::chrono::seconds(60));
        (status == 401 ? unauthorized : status == 429 ? throttled : other)++;
      });
    }
    for (auto& guesser : guessers) guesser.join();
    std::this_thread::sleep_for(milliseconds(100));
  }
  tally.Update([&](HostileLoadReport& report) {
    report.password_401 = unauthorized;
    report.password_429 = throttled;
    report.password_other = other;
  });
}

// A related technician gone rogue: grant requests as fast as the server answers.
void Flood(const RunningServer& server, const std::string& token, SteadyClock::time_point deadline,
           Tally& tally) {
  AsARemoteAttacker();
  const std::string request = HttpRequestText(
      "POST", std::string("/api/v1/clients/") + kClient + "/grants", GrantBody("flood"), token);
  int created = 0, throttled = 0, other = 0;
  RawConnection connection = RawConnection::Open(kFloodAddress, server.port());
  while (SteadyClock::now() < deadline) {
    if (!connection.ok()) connection = RawConnection::Open(kFloodAddress, server.port());
    std::string body;
    const int status =
        connection.Send(request) ? connection.ReadResponse(std::chrono::seconds(10), &body) : 0;
    if (status == 201) {
      ++created;
      Json reply = Json::parse(body, nullptr, false);
      if (reply.is_object() && reply.contains("id") && reply["id"].is_string())
        tally.Acknowledged(reply["id"].get<std::string>(), /*honest=*/false);
    } else if (status == 429) {
      ++throttled;
    } else {
      ++other;
      connection.Close();
    }
  }
  tally.Update([&](HostileLoadReport& report) {
    report.flood_201 += created;
    report.flood_429 += throttled;
    report.flood_other += other;
  });
}

// Requests with a token the server never issued.
void Forge(const RunningServer& server, SteadyClock::time_point deadline, Tally& tally) {
  AsARemoteAttacker();
  const std::string request =
      HttpRequestText("GET", "/api/v1/me", "", "qt_forged0000000000000000000000000000000000");
  int refused = 0, other = 0;
  RawConnection connection = RawConnection::Open(kFloodAddress, server.port());
  while (SteadyClock::now() < deadline) {
    if (!connection.ok()) connection = RawConnection::Open(kFloodAddress, server.port());
    const int status =
        connection.Send(request) ? connection.ReadResponse(std::chrono::seconds(10)) : 0;
    (status == 401 ? refused : other)++;
    if (status != 401) connection.Close();
  }
  tally.Update([&](HostileLoadReport& report) {
    report.forged_401 = refused;
    report.forged_other = other;
  });
}

}  // namespace

HostileLoadPeople PrepareHostileLoadData(const std::string& dir,
                                         const HostileLoadOptions& options) {
  HostileLoadPeople people;
  people.data = dir + "/data";
  const std::string& data = people.data;
  Admin(data, {"client", "add", "--tenant", kClient, "--name", "Harbor Dental"});
  Admin(data, {"user", "add", "--name", "olivia", "--role", "owner", "--client", kClient});
  Admin(data,
        {"resource", "add", "--client", kClient, "--name", "fileserver", "--kind", "ssh-host"});
  std::vector<std::string> technicians = {"mallory"};
  for (int i = 1; i <= options.technicians; ++i) technicians.push_back("tech-" + std::to_string(i));
  for (const auto& technician : technicians) {
    Admin(data, {"user", "add", "--name", technician, "--role", "technician"});
    Admin(data, {"relate", "--client", kClient, "--technician", technician});
  }
  technicians.push_back("olivia");
  for (const auto& user : technicians)
    people.tokens[user] = Admin(data, {"token", "create", "--user", user});
  return people;
}

void ApproveRoutineRequests(const RunningServer& server, const HostileLoadPeople& people) {
  client::HttpClient http(server.host(), server.port());
  const Json policy = {{"rules", Json::array({{{"name", "routine"}, {"effect", "approve"}}})},
                       {"fallback", "ask-owners"},
                       {"time_zone", "UTC"}};
  auto set =
      http.Request("PUT", std::string("/api/v1/clients/") + kClient + "/policy", policy.dump(),
                   {{"Authorization", "Bearer " + people.tokens.at("olivia")}});
  if (!set.ok() || set->status != 200) {
    throw std::runtime_error("cannot set the policy: " +
                             (set.ok() ? set->body : set.status().ToString()));
  }
}

double HostileLoadReport::HonestPercentileMs(double fraction) const {
  if (honest_ms.empty()) return 0;
  std::vector<double> sorted = honest_ms;
  std::sort(sorted.begin(), sorted.end());
  const size_t rank = static_cast<size_t>(std::ceil(fraction * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

HostileLoadReport RunHostileLoad(RunningServer& server, const HostileLoadPeople& people,
                                 const HostileLoadOptions& options) {
  HostileLoadReport report;
  Tally tally(report);
  const auto deadline = SteadyClock::now() + options.duration;
  std::vector<std::thread> threads;
  if (options.attack) {
    threads.emplace_back([&] { HoldIdle(server, options, deadline, tally); });
    threads.emplace_back([&] { Slowloris(server, options, deadline, tally); });
    if (options.wrong_passwords > 0)
      threads.emplace_back([&] { GuessPasswords(server, options, deadline, tally); });
    for (int i = 0; i < options.flood_connections; ++i)
      threads.emplace_back([&] { Flood(server, people.tokens.at("mallory"), deadline, tally); });
    if (options.flood_connections > 0)
      threads.emplace_back([&] { Forge(server, deadline, tally); });
    // The honest start once the attack is under way.
    std::this_thread::sleep_for(milliseconds(500));
  }
  for (int i = 1; i <= options.technicians; ++i) {
    threads.emplace_back([&, i] {
      Technician(server, people.tokens.at("tech-" + std::to_string(i)), deadline, tally);
    });
  }
  for (int i = 0; i < options.owners; ++i)
    threads.emplace_back([&] { Owner(server, people.tokens.at("olivia"), deadline, tally); });
  for (auto& thread : threads) thread.join();
  report.server_peak_kib = PeakResidentKib(server.process().pid());
  return report;
}

}  // namespace quartet::testing
