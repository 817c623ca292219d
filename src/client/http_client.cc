// The only client file that includes Boost.Beast.
#include <utility>  // before asio: Boost 1.74 with g++ 12 in C++20 mode needs it
#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include "client/http_client.h"

namespace quartet::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

StatusOr<Url> Url::Parse(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return InvalidArgumentError("only http:// URLs are supported: " + std::string(url));
  url.remove_prefix(kScheme.size());
  const size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  Url out;
  out.path = slash == std::string_view::npos ? "" : std::string(url.substr(slash));
  while (!out.path.empty() && out.path.back() == '/') out.path.pop_back();
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidArgumentError("bad IPv6 address in URL");
    out.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    out.port = authority.starts_with(':') ? std::string(authority.substr(1)) : "80";
  } else {
    const size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    out.port = colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1));
  }
  if (out.host.empty() || out.port.empty()) return InvalidArgumentError("bad URL: " + std::string(url));
  return out;
}

struct HttpClient::Connection {
  asio::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  bool open = false;
};

HttpClient::HttpClient(std::string host, std::string port)
    : host_(std::move(host)), port_(std::move(port)), connection_(std::make_unique<Connection>()) {}

HttpClient::~HttpClient() = default;

StatusOr<HttpResult> HttpClient::Request(const std::string& method, const std::string& target, const std::string& body,
                                         const std::map<std::string, std::string>& headers) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    beast::error_code ec;
    Connection& c = *connection_;
    if (!c.open) {
      tcp::resolver resolver(c.io);
      auto endpoints = resolver.resolve(host_, port_, ec);
      if (ec) return UnavailableError("resolve " + host_ + ": " + ec.message());
      c.stream.expires_after(std::chrono::seconds(30));
      c.stream.connect(endpoints, ec);
      if (ec) return UnavailableError("connect " + host_ + ":" + port_ + ": " + ec.message());
      c.stream.socket().set_option(tcp::no_delay(true), ec);
      c.buffer.clear();
      c.open = true;
    }
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
    c.stream.expires_after(std::chrono::seconds(30));
    http::write(c.stream, request, ec);
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    if (!ec) http::read(c.stream, c.buffer, parser, ec);
    if (ec) {
      // A kept-alive connection the server closed: reconnect once.
      c.stream.close();
      c.open = false;
      if (attempt == 0) continue;
      return UnavailableError(method + " " + target + ": " + ec.message());
    }
    auto& response = parser.get();
    HttpResult result;
    result.status = static_cast<int>(response.result_int());
    result.content_type = std::string(response[http::field::content_type]);
    result.content_encoding = std::string(response[http::field::content_encoding]);
    result.body = std::move(response.body());
    if (!response.keep_alive()) {
      c.stream.close();
      c.open = false;
    }
    return result;
  }
  return UnavailableError("GET " + target + " failed");
}

}  // namespace quartet::client
