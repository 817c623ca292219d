#include <sys/resource.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "base/clock.h"
#include "base/random.h"
#include "cli/commands.h"
#include "governance/access_service.h"
#include "notify/notifier.h"
#include "server/api_service.h"
#include "server/http_server.h"
#include "server/log_service.h"
#include "server/web_service.h"
#include "store/data_folder.h"

namespace quartet::cli {
namespace {

StatusOr<server::HttpServerOptions> ParseListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return InvalidArgumentError("--listen must be HOST:PORT");
  server::HttpServerOptions options;
  options.host = listen.substr(0, colon);
  if (options.host.size() >= 2 && options.host.front() == '[' && options.host.back() == ']') {
    options.host = options.host.substr(1, options.host.size() - 2);
  }
  auto port = ParseDecimal(listen.substr(colon + 1));
  if (!port.ok() || *port > 65535) return InvalidArgumentError("bad port in --listen");
  options.port = static_cast<uint16_t>(*port);
  return options;
}

// Open connections need file descriptors: take all the system lets this process have (the soft
// limit up to the hard one), as servers commonly do; the connection cap follows from it.
void RaiseFileLimit() {
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur >= files.rlim_max) return;
  files.rlim_cur = files.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &files) != 0)
    spdlog::warn("cannot raise the file-descriptor limit: {}", std::strerror(errno));
}

std::string HostForUrl(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

int Serve(store::DataFolder& folder, const std::string& listen, const MailOptions& mail,
          const TlsFiles& tls, const std::function<void(const std::string& base_url)>& on_ready,
          const ServerLimits& limits) {
  auto options = ParseListen(listen);
  if (!options.ok()) return Fail(options.status().message());
  options->tls_certificate_file = tls.certificate;
  options->tls_key_file = tls.key;
  // Standard output is for what the user asked for (the address); the server's log goes to stderr.
  spdlog::set_default_logger(spdlog::stderr_color_mt("quartet"));
  auto governance = governance::AccessService::Open(folder, Clock::System(), Random::System());
  if (!governance.ok()) return Fail(governance.status().message());
  server::LogService logs(folder, {});
  auto agents = governance::AgentService::Open(
      (*governance)->committer(), (*governance)->permissions(), (*governance)->grants(),
      (*governance)->trust(),
      [&logs](const std::string& tenant) -> StatusOr<std::optional<ledger::StoredCheckpoint>> {
        auto served = logs.ServedCheckpoint(tenant);
        if (served.status().code() == StatusCode::kNotFound)
          return std::optional<ledger::StoredCheckpoint>();
        RETURN_IF_ERROR(served.status());
        return std::optional<ledger::StoredCheckpoint>(*served);
      });
  if (!agents.ok()) return Fail(agents.status().message());
  auto events = governance::EventIndex::Open(folder);
  if (!events.ok()) return Fail(events.status().message());
  // A log is its client's: only its owners, auditors, agent and read tokens read it.
  governance::LogReaders readers((*governance)->committer(), (*governance)->sessions(), **agents);
  logs.SetAuthorizer([&readers](std::string_view credential, const std::string& tenant) {
    return readers.CheckRead(credential, tenant);
  });
  if (!limits.requests)
    spdlog::warn("access requests and proposals are not rate-limited (--no-request-limits)");
  server::ApiService api(**governance, **agents, **events, readers, folder, Clock::System(),
                         limits.requests);
  const server::WebService web;
  std::optional<notify::SmtpRelay> relay;
  if (!mail.smtp.empty()) {
    auto relay_address = ParseListen(mail.smtp);
    if (!relay_address.ok()) return Fail("--smtp must be HOST:PORT");
    relay = notify::SmtpRelay{relay_address->host, relay_address->port, mail.from, 10};
  }
  notify::Notifier notifier((*governance)->outbox(), relay, Clock::System());
  notifier.Start();
  if (Status started = logs.StartPublishing(); !started.ok()) {
    return Fail("cannot publish the logs of " + folder.path() + ": " + started.message());
  }
  // Unanswered requests lapse after 12 hours; the sweep records it in each client's log.
  std::atomic<bool> stopping{false};
  std::thread sweeper([&] {
    while (!stopping) {
      if (auto expired = (*governance)->grants().ExpireStale(); !expired.ok()) {
        spdlog::error("expiring requests: {}", expired.status().ToString());
      }
      // The timeline's index follows the logs in the background, so that pages rarely wait for it.
      if (Status indexed = (*events)->CatchUpAll(stopping); !indexed.ok()) {
        spdlog::error("indexing events: {}", indexed.ToString());
      }
      for (int i = 0; i < 100 && !stopping; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  // Handlers block while their change commits with others (group commit), so more threads than
  // cores let commits batch; agents' long polls hold up to 40 more (governance/agent_service.cc).
  options->threads = 56;
  RaiseFileLimit();
  options->max_connections = limits.connections;
  if (limits.connections_per_address > 0)
    options->max_connections_per_address = limits.connections_per_address;
  options->on_stop = [&] { (*agents)->Shutdown(); };
  auto http = server::HttpServer::Start(*options, [&](const server::HttpRequest& request) {
    if (request.target.starts_with("/logs/")) return logs.Handle(request);
    if (request.target.starts_with("/api/")) return api.Handle(request);
    if (request.target == "/healthz") return server::HttpResponse::Text(200, "ok");
    if (server::WebService::Owns(request.target)) return web.Handle(request);
    return server::HttpResponse::Text(404, "not found");
  });
  auto stop_sweeper = [&] {
    stopping = true;
    sweeper.join();
  };
  if (!http.ok()) {
    stop_sweeper();
    return Fail(http.status().message());
  }
  const std::string base_url = (tls.certificate.empty() ? "http://" : "https://") +
                               HostForUrl(options->host) + ":" + std::to_string((*http)->port());
  // The first line says where: scripts and tests read it.
  std::cout << "quartet server listening on " << base_url << std::endl;
  if (on_ready) on_ready(base_url);
  (*http)->Run(/*stop_on_signals=*/true);
  stop_sweeper();
  logs.StopPublishing();
  spdlog::info("stopped");
  return 0;
}

int Server(const std::string& data, const std::string& listen, const MailOptions& mail,
           const TlsFiles& tls, const ServerLimits& limits) {
  auto folder = store::DataFolder::Open(data);
  if (!folder.ok()) return Fail(folder.status().message());
  return Serve(**folder, listen, mail, tls, nullptr, limits);
}

}  // namespace quartet::cli
