// The only server file that includes Boost.Beast (slow to compile: keep it that way).
#include "server/http_server.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <list>
#include <memory>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>  // before asio: Boost 1.74 with g++ 12 in C++20 mode needs it
#include <vector>

#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>

#include "base/mutex.h"
#include "base/thread_annotations.h"

namespace quartet::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
constexpr auto kAcceptPause = std::chrono::milliseconds(100);
constexpr size_t kFirstRead = 4096;
// Refusals (a malformed request, no credential, too many requests) an address may draw at once,
// and how many a second are forgiven after. Past them, each of its connections waits before its
// next request is read: a flood of requests that can only be refused slows to this pace instead
// of taking the server's time. At most kLongestPause per request; at most kPacedAddresses tracked.
constexpr double kRefusalBurst = 100;
constexpr double kRefusalsPerSecond = 20;
constexpr auto kLongestPause = std::chrono::milliseconds(1000);
constexpr size_t kPacedAddresses = 65536;

bool IsRefusal(int status) {
  return status == 400 || status == 401 || status == 413 || status == 429 || status == 431;
}

// Whether an accept failed for want of a file descriptor or kernel memory: it would fail again at
// once, so accepting pauses.
bool OutOfResources(const beast::error_code& ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
         ec == asio::error::no_memory ||
         (ec.category() == asio::error::get_system_category() && ec.value() == ENFILE);
}

// At most one warning a minute about one kind of trouble, with how often it happened meanwhile.
class OccasionalWarning {
 public:
  // Counts one occurrence; true when it is time to warn, with the count since the last warning.
  bool Count(uint64_t& occurrences) {
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    const uint64_t seen = ++count_;
    int64_t last = last_.load();
    if (last != 0 && now - last < 60) return false;
    if (!last_.compare_exchange_strong(last, now)) return false;
    occurrences = seen;
    count_ -= seen;
    return true;
  }

 private:
  std::atomic<int64_t> last_{0};
  std::atomic<uint64_t> count_{0};
};

// One open connection as the caps see it. `socket` and `evicted` belong to the connection's strand;
// `idle` and `idle_position` to the server's lock.
struct Connection {
  Connection(asio::any_io_executor strand, std::string from)
      : executor(std::move(strand)), address(std::move(from)) {}
  asio::any_io_executor executor;
  const std::string address;
  tcp::socket* socket = nullptr;
  bool waiting = true;  // for the first byte of a request (or of its TLS handshake)
  bool evicted = false;
  bool idle = false;
  std::list<std::shared_ptr<Connection>>::iterator idle_position;
};

// An address's refusals as a token bucket that may go into debt (down to -kRefusalBurst).
struct Refusals {
  double tokens = kRefusalBurst;
  std::chrono::steady_clock::time_point at;

  double TokensAt(std::chrono::steady_clock::time_point now) const {
    const double forgiven = std::chrono::duration<double>(now - at).count() * kRefusalsPerSecond;
    return std::min(kRefusalBurst, tokens + forgiven);
  }
  void Refill(std::chrono::steady_clock::time_point now) {
    tokens = TokensAt(now);
    at = now;
  }
};

class BeastHttpServer final : public HttpServer {
 public:
  BeastHttpServer(HttpServerOptions options, HttpHandler handler)
      : options_(std::move(options)), handler_(std::move(handler)), acceptor_(io_), signals_(io_) {}

  Status Listen() {
    if (!options_.tls_certificate_file.empty() || !options_.tls_key_file.empty())
      RETURN_IF_ERROR(LoadTls());
    beast::error_code ec;
    auto address = asio::ip::make_address(options_.host, ec);
    if (ec) return InvalidArgumentError("bad listen address '" + options_.host + "'");
    tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return UnavailableError("listen on " + options_.host + ":" + std::to_string(options_.port) +
                              ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    max_connections_ = options_.max_connections;
    if (max_connections_ == 0) {
      rlimit files{};
      size_t limit = 1024;
      if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY)
        limit = static_cast<size_t>(files.rlim_cur);
      max_connections_ = std::max<size_t>(16, limit - limit / 4);
    }
    return Status::Ok();
  }

  uint16_t port() const override { return port_; }
  size_t max_connections() const override { return max_connections_; }

  void Run(bool stop_on_signals) override {
    if (stop_on_signals) {
      signals_.add(SIGTERM);
      signals_.add(SIGINT);
      signals_.async_wait([this](const beast::error_code& ec, int) {
        if (!ec) Stop();
      });
    }
    asio::co_spawn(io_, Accept(), asio::detached);
    std::vector<std::thread> threads;
    for (int i = 1; i < options_.threads; ++i) threads.emplace_back([this] { io_.run(); });
    io_.run();
    for (auto& thread : threads) thread.join();
  }

  void Stop() override {
    asio::post(io_, [this] {
      if (stopping_.exchange(true)) return;
      if (options_.on_stop) options_.on_stop();
      beast::error_code ec;
      acceptor_.close(ec);
      signals_.cancel(ec);
      // Let requests being answered finish, then stop idle keep-alive connections with the loop.
      std::thread([this] {
        for (int i = 0; i < 500 && in_flight_.load() > 0; ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        io_.stop();
      }).detach();
    });
  }

 private:
  asio::awaitable<void> Accept() {
    asio::steady_timer pause(io_);
    for (;;) {
      beast::error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(
          asio::make_strand(io_), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (stopping_ || ec == asio::error::operation_aborted) co_return;
        if (OutOfResources(ec)) {
          // Retrying at once would spin: the connection waits in the backlog until a descriptor
          // is free, and the open connections are served meanwhile.
          if (uint64_t times = 0; out_of_files_.Count(times)) {
            spdlog::warn("cannot accept connections ({}, {} times): pausing {} ms each time",
                         ec.message(), times, kAcceptPause.count());
          }
          pause.expires_after(kAcceptPause);
          co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        continue;
      }
      std::string remote;
      if (auto endpoint = socket.remote_endpoint(ec); !ec) remote = endpoint.address().to_string();
      auto executor = socket.get_executor();
      auto connection = Admit(executor, remote);
      if (!connection) {
        if (uint64_t times = 0; refused_.Count(times)) {
          spdlog::warn("refused {} connections over the caps ({} open at most, {} per address)",
                       times, max_connections_, options_.max_connections_per_address);
        }
        continue;  // closed as `socket` goes
      }
      asio::co_spawn(executor, Session(std::move(socket), std::move(connection)), asio::detached);
    }
  }

  // Counts a new connection from `address` against the caps: nullptr when it must be refused. At
  // the overall cap the connection idle longest is closed to make room.
  std::shared_ptr<Connection> Admit(asio::any_io_executor executor, const std::string& address)
      EXCLUDES(mu_) {
    std::shared_ptr<Connection> victim, connection;
    {
      MutexLock lock(mu_);
      auto from_address = per_address_.try_emplace(address, 0).first;
      const bool over = from_address->second >= options_.max_connections_per_address ||
                        (open_ >= max_connections_ && idle_.empty());
      if (over) {
        if (from_address->second == 0) per_address_.erase(from_address);
        return nullptr;
      }
      if (open_ >= max_connections_) {
        victim = idle_.front();
        SetIdleLocked(victim, false);
      }
      ++from_address->second;
      ++open_;
      // Idle from the moment it is accepted, so that connections that send nothing go in the order
      // they came, whichever thread starts their session first.
      connection = std::make_shared<Connection>(std::move(executor), address);
      SetIdleLocked(connection, true);
    }
    if (victim) {
      asio::post(victim->executor, [victim] {
        // Unless a request began meanwhile: then it stays, over the cap for a moment. A session
        // that has not begun yet ends as it begins.
        if (!victim->waiting) return;
        victim->evicted = true;
        beast::error_code ignored;
        if (victim->socket) victim->socket->cancel(ignored);
      });
    }
    return connection;
  }

  void Release(const std::shared_ptr<Connection>& connection) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    SetIdleLocked(connection, false);
    auto from_address = per_address_.find(connection->address);
    if (from_address != per_address_.end() && --from_address->second == 0)
      per_address_.erase(from_address);
    --open_;
  }

  // Counts a refusal against `address`.
  void Refused(const std::string& address) EXCLUDES(mu_) {
    const auto now = std::chrono::steady_clock::now();
    MutexLock lock(mu_);
    auto found = refusals_.find(address);
    if (found == refusals_.end()) {
      if (refusals_.size() >= kPacedAddresses) {
        std::erase_if(refusals_, [&](const auto& entry) {
          return entry.second.TokensAt(now) >= kRefusalBurst;
        });
        if (refusals_.size() >= kPacedAddresses) return;
      }
      found = refusals_.emplace(address, Refusals{kRefusalBurst, now}).first;
    }
    found->second.Refill(now);
    found->second.tokens = std::max(-kRefusalBurst, found->second.tokens - 1);
  }

  // How long a connection from `address` waits before its next request is read.
  std::chrono::milliseconds PauseFor(const std::string& address) EXCLUDES(mu_) {
    const auto now = std::chrono::steady_clock::now();
    MutexLock lock(mu_);
    auto found = refusals_.find(address);
    if (found == refusals_.end()) return {};
    found->second.Refill(now);
    if (found->second.tokens >= kRefusalBurst) {
      refusals_.erase(found);
      return {};
    }
    if (found->second.tokens >= 1) return {};
    const double seconds = (1 - found->second.tokens) / kRefusalsPerSecond;
    return std::min(kLongestPause, std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000)));
  }

  // Idle: waiting for the first byte of its next request, and so the first to go at the cap.
  void SetIdle(const std::shared_ptr<Connection>& connection, bool idle) EXCLUDES(mu_) {
    MutexLock lock(mu_);
    SetIdleLocked(connection, idle);
  }
  void SetIdleLocked(const std::shared_ptr<Connection>& connection, bool idle) REQUIRES(mu_) {
    if (idle == connection->idle) return;
    if (idle) {
      connection->idle_position = idle_.insert(idle_.end(), connection);
    } else {
      idle_.erase(connection->idle_position);
    }
    connection->idle = idle;
  }

  Status LoadTls() {
    if (options_.tls_certificate_file.empty() || options_.tls_key_file.empty()) {
      return InvalidArgumentError("TLS needs both a certificate file and a key file");
    }
    auto& context = tls_.emplace(asio::ssl::context::tls_server);
    SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
    context.set_options(asio::ssl::context::default_workarounds |
                        asio::ssl::context::single_dh_use);
    beast::error_code ec;
    context.use_certificate_chain_file(options_.tls_certificate_file, ec);
    if (ec)
      return InvalidArgumentError("TLS certificate " + options_.tls_certificate_file + ": " +
                                  ec.message());
    context.use_private_key_file(options_.tls_key_file, asio::ssl::context::pem, ec);
    if (ec) return InvalidArgumentError("TLS key " + options_.tls_key_file + ": " + ec.message());
    if (SSL_CTX_check_private_key(context.native_handle()) != 1) {
      return InvalidArgumentError("the TLS key does not match the certificate");
    }
    return Status::Ok();
  }

  asio::awaitable<void> Session(tcp::socket socket, std::shared_ptr<Connection> connection) {
    // Counted against the caps until the connection ends, however it ends.
    struct Counted {
      BeastHttpServer* server;
      std::shared_ptr<Connection> connection;
      ~Counted() {
        connection->socket = nullptr;
        server->Release(connection);
      }
    } counted{this, connection};
    beast::error_code ec;
    socket.set_option(tcp::no_delay(true), ec);
    beast::tcp_stream stream(std::move(socket));
    connection->socket = &stream.socket();
    if (connection->evicted) co_return;  // made room before it began
    if (!tls_) {
      co_await Serve(stream, connection);
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> secure(std::move(stream), *tls_);
    connection->socket = &beast::get_lowest_layer(secure).socket();
    beast::get_lowest_layer(secure).expires_after(kHandshakeTimeout);
    co_await secure.async_handshake(asio::ssl::stream_base::server,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;  // not TLS, or a client that does not trust the certificate
    co_await Serve(secure, connection);
    if (connection->evicted) co_return;
    beast::get_lowest_layer(secure).expires_after(kHandshakeTimeout);
    co_await secure.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  }

  // Requests and answers on one connection until it closes, fails or idles out.
  template <typename Stream>
  asio::awaitable<void> Serve(Stream& stream, const std::shared_ptr<Connection>& connection) {
    beast::error_code ec;
    beast::flat_buffer buffer;
    auto& lowest = beast::get_lowest_layer(stream);
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(16 * 1024);
      parser.body_limit(options_.max_body_bytes);
      if (const auto pause = PauseFor(connection->address); pause.count() > 0) {
        asio::steady_timer timer(stream.get_executor());
        timer.expires_after(pause);
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (stopping_) break;
      }
      if (connection->evicted) break;  // made room while it paused
      // Between requests the connection is idle: it waits for a first byte, and may be closed to
      // make room. Then the header, then the body, each against its own clock.
      if (buffer.size() == 0) {
        SetIdle(connection, true);
        connection->waiting = true;
        lowest.expires_after(options_.idle_timeout);
        const size_t got = co_await stream.async_read_some(
            buffer.prepare(kFirstRead), asio::redirect_error(asio::use_awaitable, ec));
        connection->waiting = false;
        SetIdle(connection, false);
        if (ec) break;
        buffer.commit(got);
      }
      lowest.expires_after(options_.header_timeout);
      co_await http::async_read_header(stream, buffer, parser,
                                       asio::redirect_error(asio::use_awaitable, ec));
      if (!ec && !parser.is_done()) {
        lowest.expires_after(options_.body_timeout);
        co_await http::async_read(stream, buffer, parser,
                                  asio::redirect_error(asio::use_awaitable, ec));
      }
      if (ec == http::error::body_limit) {
        co_await Write(stream, HttpResponse::Text(413, "request body too large"),
                       /*keep_alive=*/false, /*head=*/false, connection->address);
        break;
      }
      if (ec == http::error::header_limit) {
        co_await Write(stream, HttpResponse::Text(431, "request header fields too large"),
                       /*keep_alive=*/false, /*head=*/false, connection->address);
        break;
      }
      // A request the parser refuses gets a 400 before the connection closes; one that stopped
      // (closed, idle, reset) gets nothing.
      if (ec && ec.category() == http::make_error_code(http::error::bad_method).category() &&
          ec != http::error::end_of_stream && ec != http::error::partial_message) {
        co_await Write(stream, HttpResponse::Text(400, "malformed request: " + ec.message()),
                       /*keep_alive=*/false, /*head=*/false, connection->address);
        break;
      }
      if (ec) break;
      auto& message = parser.get();
      // A body is framed by its length or by chunked coding, never both, never by anything else:
      // two readers of one request must not find two different requests in it (smuggling).
      if (message.count(http::field::transfer_encoding) > 0) {
        std::string coding(message[http::field::transfer_encoding]);
        for (char& c : coding) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (coding != "chunked" || message.count(http::field::transfer_encoding) != 1 ||
            message.count(http::field::content_length) > 0) {
          co_await Write(stream, HttpResponse::Text(400, "only Transfer-Encoding: chunked, alone"),
                         /*keep_alive=*/false, /*head=*/false, connection->address);
          break;
        }
      }
      ++in_flight_;
      HttpRequest request;
      request.method = std::string(message.method_string());
      request.target = std::string(message.target());
      for (const auto& field : message) {
        std::string name(field.name_string());
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        request.headers[name] = std::string(field.value());
      }
      request.body = std::move(message.body());
      request.remote_address = connection->address;
      const bool keep_alive = message.keep_alive() && !stopping_;
      HttpResponse response;
      try {
        response = handler_(request);
      } catch (const std::exception& e) {
        spdlog::error("handler failed on {} {}: {}", request.method, request.target, e.what());
        response = HttpResponse::Text(500, "internal error");
      }
      const bool ok = co_await Write(stream, response, keep_alive, request.method == "HEAD",
                                     connection->address);
      --in_flight_;
      if (!ok || !keep_alive) break;
    }
  }

  template <typename Stream>
  // Writes `response`, counting it against `address` if it is a refusal.
  asio::awaitable<bool> Write(Stream& stream, const HttpResponse& response, bool keep_alive,
                              bool head, const std::string& address) {
    if (IsRefusal(response.status)) Refused(address);
    http::response<http::span_body<const char>> out;
    out.result(static_cast<unsigned>(response.status));
    out.version(11);
    out.set(http::field::server, "quartet");
    out.set(http::field::content_type, response.content_type);
    out.set(http::field::cache_control, response.cache_control);
    // On every answer: no type sniffing, no framing by other sites, no referrer sent on.
    out.set("X-Content-Type-Options", "nosniff");
    out.set("X-Frame-Options", "DENY");
    out.set("Referrer-Policy", "no-referrer");
    for (const auto& [name, value] : response.headers) out.set(name, value);
    out.keep_alive(keep_alive);
    const std::string& body = *response.body;
    if (!head) out.body() = boost::beast::span<const char>(body.data(), body.size());
    out.content_length(body.size());
    beast::error_code ec;
    beast::get_lowest_layer(stream).expires_after(options_.idle_timeout);
    co_await http::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
    co_return !ec;
  }

  const HttpServerOptions options_;
  const HttpHandler handler_;
  size_t max_connections_ = 0;
  // Before io_: a connection still open when the server goes releases itself here as io_ ends.
  Mutex mu_;
  size_t open_ GUARDED_BY(mu_) = 0;
  std::unordered_map<std::string, size_t> per_address_ GUARDED_BY(mu_);
  std::list<std::shared_ptr<Connection>> idle_ GUARDED_BY(mu_);  // idle longest first
  std::unordered_map<std::string, Refusals> refusals_ GUARDED_BY(mu_);
  OccasionalWarning out_of_files_;
  OccasionalWarning refused_;
  asio::io_context io_;
  std::optional<asio::ssl::context> tls_;
  tcp::acceptor acceptor_;
  asio::signal_set signals_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> in_flight_{0};
};

}  // namespace

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options,
                                                        HttpHandler handler) {
  auto server = std::make_unique<BeastHttpServer>(std::move(options), std::move(handler));
  RETURN_IF_ERROR(server->Listen());
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace quartet::server
