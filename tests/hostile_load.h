// Honest people at work on a real `quartet server` while, if asked, an attacker does what it can
// from loopback addresses of its own: holds thousands of idle connections, trickles headers
// (slowloris), sends waves of concurrent wrong passwords and floods grant requests with a
// technician's token. tests/hostile_load_test.cc asserts that nothing goes wrong for the honest
// side; bench/hostile_load.cc compares their latency with and without the attack.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/test_util.h"

namespace quartet::testing {

struct HostileLoadOptions {
  bool attack = true;
  std::chrono::seconds duration{14};
  int technicians = 4;          // honest ones, each asking for access once a second
  int owners = 2;               // honest readers of the client's grants, events and log
  int idle_connections = 2000;  // held open without a byte sent, from `idle_addresses` addresses
  int idle_addresses = 8;
  int one_address_connections = 300;  // from a single address, past the per-address cap
  int slowloris = 40;                 // connections that send one header byte every half second
  int wrong_passwords = 200;          // concurrent sign-ins with a wrong password, in waves
  int flood_connections = 4;          // keep-alive connections flooding grant requests
};

// A data folder with one client ("harbor"), its owner "olivia", honest technicians "tech-N" and
// a rogue one, "mallory", each related to it, and their API tokens.
struct HostileLoadPeople {
  std::string data;
  std::map<std::string, std::string> tokens;  // user → bearer token
};
HostileLoadPeople PrepareHostileLoadData(const std::string& dir, const HostileLoadOptions& options);

// Sets the client's policy so that routine requests are approved at once: each honest request
// ends in a grant, so what the server acknowledged can be counted afterwards.
void ApproveRoutineRequests(const RunningServer& server, const HostileLoadPeople& people);

struct HostileLoadReport {
  // Honest side.
  std::vector<double> honest_ms;              // each honest request's latency
  size_t honest_failures = 0;                 // requests answered wrongly or not at all
  std::vector<std::string> failure_examples;  // the first few
  std::set<std::string> acknowledged;         // grant ids answered 201, honest and attacker's
  size_t honest_grants = 0;
  // Attacker's side.
  int idle_opened = 0;
  int idle_still_open = 0;      // at the end
  int one_address_refused = 0;  // closed by the server at once
  int slowloris_opened = 0;
  int slowloris_cut = 0;
  double slowloris_longest_s = 0;  // the longest any trickling connection stayed open
  int password_401 = 0, password_429 = 0, password_other = 0;
  int flood_201 = 0, flood_429 = 0, flood_other = 0;
  int forged_401 = 0, forged_other = 0;
  long server_peak_kib = 0;

  double HonestPercentileMs(double fraction) const;
};

// Runs the honest people (and, with `options.attack`, the attacker) for `options.duration`.
HostileLoadReport RunHostileLoad(RunningServer& server, const HostileLoadPeople& people,
                                 const HostileLoadOptions& options);

}  // namespace quartet::testing
