// The `quartet` command line: parsing only (the one file that includes CLI11).
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
  using namespace quartet::cli;
  CLI::App app{"Quartet: verifiable, just-in-time access for IT service providers"};
  app.require_subcommand(1);
  int result = 0;

  auto* log = app.add_subcommand("log", "a client's verifiable log");
  log->require_subcommand(1);
  std::string data, tenant, listen = "127.0.0.1:8080", url, key;
  std::optional<std::string> origin, state;
  uint64_t index = 0;

  auto* init = log->add_subcommand("init", "create a client's log and its signing key");
  init->add_option("--data", data, "data folder")->required();
  init->add_option("--tenant", tenant, "client slug")->required();
  init->add_option("--origin", origin, "checkpoint origin (default <host>/logs/<tenant>)");
  init->callback([&] { result = LogInit(data, tenant, origin); });

  auto* append = log->add_subcommand("append", "append JSON events from stdin, one object a line");
  append->add_option("--data", data, "data folder")->required();
  append->add_option("--tenant", tenant, "client slug")->required();
  append->callback([&] { result = LogAppend(data, tenant, std::cin); });

  auto* key_command = log->add_subcommand("key", "print the log's C2SP verifier key");
  key_command->add_option("--data", data, "data folder")->required();
  key_command->add_option("--tenant", tenant, "client slug")->required();
  key_command->callback([&] { result = LogKey(data, tenant); });

  auto* proof = log->add_subcommand("proof", "print a C2SP tlog-proof receipt for one entry");
  proof->add_option("--data", data, "data folder")->required();
  proof->add_option("--tenant", tenant, "client slug")->required();
  proof->add_option("--index", index, "entry index")->required();
  proof->callback([&] { result = LogProof(data, tenant, index); });

  auto* server = app.add_subcommand("server", "serve the API and publish every log");
  server->add_option("--data", data, "data folder")->required();
  server->add_option("--listen", listen, "HOST:PORT (port 0 picks one)");
  server->callback([&] { result = Server(data, listen); });

  auto* demo = app.add_subcommand("demo", "create demo clients and logs, then serve them");
  demo->add_option("--data", data, "data folder")->required();
  demo->add_option("--listen", listen, "HOST:PORT (port 0 picks one)");
  demo->callback([&] { result = Demo(data, listen); });

  auto* verify = app.add_subcommand("verify", "verify a published log end to end");
  verify->add_option("--url", url, "the log's prefix, e.g. http://host/logs/acme")->required();
  verify->add_option("--key", key, "the log's C2SP verifier key")->required();
  verify->add_option("--state", state, "file keeping the last verified checkpoint");
  verify->callback([&] { result = Verify(url, key, state); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return result;
}
