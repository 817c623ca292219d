// The only server file that includes Boost.Beast (slow to compile: keep it that way).
#include "server/http_server.h"

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <utility>  // before asio: Boost 1.74 with g++ 12 in C++20 mode needs it
#include <vector>

#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>

namespace quartet::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto kIdleTimeout = std::chrono::seconds(60);
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);

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
    return Status::Ok();
  }

  uint16_t port() const override { return port_; }

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
    for (;;) {
      beast::error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(
          asio::make_strand(io_), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (stopping_ || ec == asio::error::operation_aborted) co_return;
        continue;
      }
      auto executor = socket.get_executor();
      asio::co_spawn(executor, Session(std::move(socket)), asio::detached);
    }
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

  asio::awaitable<void> Session(tcp::socket socket) {
    beast::error_code ec;
    socket.set_option(tcp::no_delay(true), ec);
    std::string remote;
    if (auto endpoint = socket.remote_endpoint(ec); !ec) remote = endpoint.address().to_string();
    beast::tcp_stream stream(std::move(socket));
    if (!tls_) {
      co_await Serve(stream, remote);
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> secure(std::move(stream), *tls_);
    beast::get_lowest_layer(secure).expires_after(kHandshakeTimeout);
    co_await secure.async_handshake(asio::ssl::stream_base::server,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;  // not TLS, or a client that does not trust the certificate
    co_await Serve(secure, remote);
    beast::get_lowest_layer(secure).expires_after(kHandshakeTimeout);
    co_await secure.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  }

  // Requests and answers on one connection until it closes, fails or idles out.
  template <typename Stream>
  asio::awaitable<void> Serve(Stream& stream, const std::string& remote) {
    beast::error_code ec;
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(16 * 1024);
      parser.body_limit(options_.max_body_bytes);
      beast::get_lowest_layer(stream).expires_after(kIdleTimeout);
      co_await http::async_read(stream, buffer, parser,
                                asio::redirect_error(asio::use_awaitable, ec));
      if (ec == http::error::body_limit) {
        co_await Write(stream, HttpResponse::Text(413, "request body too large"),
                       /*keep_alive=*/false, /*head=*/false);
        break;
      }
      if (ec == http::error::header_limit) {
        co_await Write(stream, HttpResponse::Text(431, "request header fields too large"),
                       /*keep_alive=*/false, /*head=*/false);
        break;
      }
      // A request the parser refuses gets a 400 before the connection closes; one that stopped
      // (closed, idle, reset) gets nothing.
      if (ec && ec.category() == http::make_error_code(http::error::bad_method).category() &&
          ec != http::error::end_of_stream && ec != http::error::partial_message) {
        co_await Write(stream, HttpResponse::Text(400, "malformed request: " + ec.message()),
                       /*keep_alive=*/false, /*head=*/false);
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
                         /*keep_alive=*/false, /*head=*/false);
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
      request.remote_address = remote;
      const bool keep_alive = message.keep_alive() && !stopping_;
      HttpResponse response;
      try {
        response = handler_(request);
      } catch (const std::exception& e) {
        spdlog::error("handler failed on {} {}: {}", request.method, request.target, e.what());
        response = HttpResponse::Text(500, "internal error");
      }
      const bool ok = co_await Write(stream, response, keep_alive, request.method == "HEAD");
      --in_flight_;
      if (!ok || !keep_alive) break;
    }
  }

  template <typename Stream>
  asio::awaitable<bool> Write(Stream& stream, const HttpResponse& response, bool keep_alive,
                              bool head) {
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
    beast::get_lowest_layer(stream).expires_after(kIdleTimeout);
    co_await http::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
    co_return !ec;
  }

  const HttpServerOptions options_;
  const HttpHandler handler_;
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
