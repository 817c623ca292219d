// The only client file that includes Boost.Beast.
#include "client/http_client.h"

#include <optional>
#include <utility>  // before asio: Boost 1.74 with g++ 12 in C++20 mode needs it

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>

namespace quartet::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

StatusOr<Url> Url::Parse(std::string_view url) {
  Url out;
  if (url.starts_with("https://")) {
    out.tls = true;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    return InvalidArgumentError("a URL must start with http:// or https://: " + std::string(url));
  }
  const std::string default_port = out.tls ? "443" : "80";
  const size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  out.path = slash == std::string_view::npos ? "" : std::string(url.substr(slash));
  while (!out.path.empty() && out.path.back() == '/') out.path.pop_back();
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidArgumentError("bad IPv6 address in URL");
    out.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    out.port = authority.starts_with(':') ? std::string(authority.substr(1)) : default_port;
  } else {
    const size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    out.port =
        colon == std::string_view::npos ? default_port : std::string(authority.substr(colon + 1));
  }
  if (out.host.empty() || out.port.empty())
    return InvalidArgumentError("bad URL: " + std::string(url));
  return out;
}

struct HttpClient::Connection {
  asio::io_context io;
  beast::tcp_stream plain{io};
  // Over TLS: the context (trusted CAs), and a stream made afresh for each connection.
  std::optional<asio::ssl::context> tls;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  bool open = false;

  beast::tcp_stream& socket() { return secure ? beast::get_lowest_layer(*secure) : plain; }
  void Close() {
    beast::error_code ec;
    socket().socket().close(ec);
    secure.reset();
    open = false;
  }
};

HttpClient::HttpClient(std::string host, std::string port)
    : host_(std::move(host)), port_(std::move(port)), connection_(std::make_unique<Connection>()) {}

HttpClient::HttpClient(const Url& url) : HttpClient(url.host, url.port) {
  tls_ = url.tls;
  if (!tls_) return;
  auto& context = connection_->tls.emplace(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
  beast::error_code ec;
  context.set_default_verify_paths(ec);  // the system's CAs, or SSL_CERT_FILE / SSL_CERT_DIR
  context.set_verify_mode(asio::ssl::verify_peer);
}

HttpClient::~HttpClient() = default;

namespace {

// One request and its response on an open connection, plain or TLS.
template <typename Stream>
void Exchange(Stream& stream, beast::flat_buffer& buffer, http::request<http::string_body>& request,
              http::response_parser<http::string_body>& parser, beast::error_code& ec) {
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
  http::write(stream, request, ec);
  if (!ec) http::read(stream, buffer, parser, ec);
}

bool IsIpAddress(const std::string& host) {
  beast::error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

Status HttpClient::Connect() {
  Connection& c = *connection_;
  beast::error_code ec;
  tcp::resolver resolver(c.io);
  auto endpoints = resolver.resolve(host_, port_, ec);
  if (ec) return UnavailableError("resolve " + host_ + ": " + ec.message());
  if (tls_) c.secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(c.io, *c.tls);
  beast::tcp_stream& socket = c.socket();
  socket.expires_after(std::chrono::seconds(30));
  socket.connect(endpoints, ec);
  if (ec) {
    c.Close();
    return UnavailableError("connect " + host_ + ":" + port_ + ": " + ec.message());
  }
  socket.socket().set_option(tcp::no_delay(true), ec);
  if (tls_) {
    // The certificate must name the host (a DNS name, or an IP address for an address).
    c.secure->set_verify_callback(asio::ssl::host_name_verification(host_));
    if (!IsIpAddress(host_)) SSL_set_tlsext_host_name(c.secure->native_handle(), host_.c_str());
    c.secure->handshake(asio::ssl::stream_base::client, ec);
    if (ec) {
      c.Close();
      return UnavailableError("TLS with " + host_ + ":" + port_ + ": " + ec.message());
    }
  }
  c.buffer.clear();
  c.open = true;
  return Status::Ok();
}

StatusOr<HttpResult> HttpClient::Request(const std::string& method, const std::string& target,
                                         const std::string& body,
                                         const std::map<std::string, std::string>& headers) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    Connection& c = *connection_;
    if (!c.open) RETURN_IF_ERROR(Connect());
    http::request<http::string_body> request(http::string_to_verb(method), target, 11);
    if (!body.empty()) {
      request.set(http::field::content_type, "application/json");
      request.body() = body;
    }
    request.prepare_payload();
    request.set(http::field::host, host_);
    request.set(http::field::user_agent, "quartet");
    request.keep_alive(true);
    for (const auto& [name, value] : headers) request.set(name, value);
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    beast::error_code ec;
    if (c.secure) {
      Exchange(*c.secure, c.buffer, request, parser, ec);
    } else {
      Exchange(c.plain, c.buffer, request, parser, ec);
    }
    if (ec) {
      // A kept-alive connection the server closed: reconnect once.
      c.Close();
      if (attempt == 0) continue;
      return UnavailableError(method + " " + target + ": " + ec.message());
    }
    auto& response = parser.get();
    HttpResult result;
    result.status = static_cast<int>(response.result_int());
    result.content_type = std::string(response[http::field::content_type]);
    result.content_encoding = std::string(response[http::field::content_encoding]);
    result.body = std::move(response.body());
    if (!response.keep_alive()) c.Close();
    return result;
  }
  return UnavailableError(method + " " + target + " failed");
}

}  // namespace quartet::client
