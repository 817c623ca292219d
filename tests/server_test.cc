// A real `quartet server` on a loopback port, checked with HTTP and with `quartet verify`.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "client/http_client.h"
#include "server/gzip.h"
#include "tests/raw_http.h"
#include "tests/test_util.h"

namespace quartet::testing {
namespace {

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshDirectory(std::string("server-") +
                          ::testing::UnitTest::GetInstance()->current_test_info()->name());
    data_ = dir_ + "/data";
    key_ = InitLog(data_, "acme");
    AppendEvents(data_, "acme", 0, 600);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  RunResult AppendEvents(const std::string& data, const std::string& tenant, int from, int count,
                         const std::string& flavour = "a") {
    std::string input;
    for (int i = from; i < from + count; ++i)
      input += "{\"n\":" + std::to_string(i) + ",\"f\":\"" + flavour + "\"}\n";
    auto result = AppendLines(data, tenant, input, dir_ + "/in.jsonl");
    EXPECT_EQ(result.status, 0) << result.err;
    return result;
  }
  RunResult Verify(const std::string& url, const std::string& state = "") {
    std::vector<std::string> argv = {QuartetBinary(), "verify", "--url", url, "--key", key_};
    if (!state.empty()) {
      argv.push_back("--state");
      argv.push_back(state);
    }
    return RunProcess(argv);
  }

  std::string dir_, data_, key_;
};

TEST_F(ServerTest, ServesCheckpointAndTilesWithTheSpecsHeaders) {
  RunningServer server(data_);
  client::HttpClient http(server.host(), server.port());
  auto checkpoint = http.Get("/logs/acme/checkpoint");
  ASSERT_TRUE(checkpoint.ok());
  EXPECT_EQ(checkpoint->status, 200);
  EXPECT_EQ(checkpoint->content_type, "text/plain; charset=utf-8");
  EXPECT_TRUE(checkpoint->body.starts_with("example.test/logs/acme\n600\n")) << checkpoint->body;

  auto tile = http.Get("/logs/acme/tile/0/001");
  ASSERT_TRUE(tile.ok());
  EXPECT_EQ(tile->status, 200);
  EXPECT_EQ(tile->content_type, "application/octet-stream");
  EXPECT_EQ(tile->body.size(), 8192u);
  EXPECT_EQ(http.Get("/logs/acme/tile/0/002.p/88")->body.size(), 88u * 32);
  EXPECT_EQ(http.Get("/logs/acme/tile/1/000.p/2")->body.size(), 64u);
  EXPECT_EQ(http.Get("/logs/acme/tile/entries/002.p/88")->status, 200);
  // A partial tile of an earlier, smaller tree is a prefix of today's.
  auto old_partial = http.Get("/logs/acme/tile/0/001.p/3");
  EXPECT_EQ(old_partial->status, 200);
  EXPECT_EQ(old_partial->body, tile->body.substr(0, 96));

  EXPECT_EQ(http.Get("/logs/acme/tile/0/002")->status, 404);       // not full yet
  EXPECT_EQ(http.Get("/logs/acme/tile/0/002.p/89")->status, 404);  // wider than the tree
  EXPECT_EQ(http.Get("/logs/acme/tile/0/003.p/1")->status, 404);
  EXPECT_EQ(http.Get("/logs/acme/tile/2/000.p/1")->status, 404);
  EXPECT_EQ(http.Get("/logs/acme/tile/0/0001")->status, 400);
  EXPECT_EQ(http.Get("/logs/acme/tile/0/001.p/0")->status, 400);
  EXPECT_EQ(http.Get("/logs/acme/tile/64/000")->status, 400);
  EXPECT_EQ(http.Get("/logs/acme/tile/0/x001/000")->status, 404);
  // A log of nobody's, as any other that is not open, needs a credential to say anything of it.
  EXPECT_EQ(http.Get("/logs/nobody/checkpoint")->status, 401);
  EXPECT_EQ(http.Get("/logs/../keys/acme.log.key")->status, 401);
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(ServerTest, AppendedEntriesArePublishedWithinASecond) {
  RunningServer server(data_);
  client::HttpClient http(server.host(), server.port());
  AppendEvents(data_, "acme", 600, 5);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  bool published = false;
  while (!published && std::chrono::steady_clock::now() < deadline) {
    published = http.Get("/logs/acme/checkpoint")->body.find("\n605\n") != std::string::npos;
    if (!published) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(published);
  EXPECT_EQ(Verify(server.url() + "/logs/acme").status, 0);
}

TEST_F(ServerTest, VerifyChecksTheLogAndRemembersWhatItSaw) {
  RunningServer server(data_);
  const std::string state = dir_ + "/state";
  auto first = Verify(server.url() + "/logs/acme", state);
  ASSERT_EQ(first.status, 0) << first.err;
  EXPECT_EQ(first.out, "ok: example.test/logs/acme has 600 entries, all verified\n");
  EXPECT_NE(ReadTextFile(state).find("\n600\n"), std::string::npos);

  auto wrong_key =
      RunProcess({QuartetBinary(), "verify", "--url", server.url() + "/logs/acme", "--key",
                  "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"});
  EXPECT_EQ(wrong_key.status, 1);
  EXPECT_NE(wrong_key.err.find("verification failed"), std::string::npos) << wrong_key.err;
}

TEST_F(ServerTest, VerifyRefusesRollbackAndRewrittenHistory) {
  // Snapshot the data folder at 600 entries: the snapshot shares the key but will diverge.
  const std::string fork = dir_ + "/fork";
  std::filesystem::copy(data_, fork, std::filesystem::copy_options::recursive);
  AppendEvents(data_, "acme", 600, 100);
  const std::string state = dir_ + "/state";
  {
    RunningServer honest(data_);
    ASSERT_EQ(Verify(honest.url() + "/logs/acme", state).status, 0);
  }
  {
    RunningServer rolled_back(fork);
    auto result = Verify(rolled_back.url() + "/logs/acme", state);
    EXPECT_EQ(result.status, 1);
    EXPECT_NE(result.err.find("rollback"), std::string::npos) << result.err;
  }
  AppendEvents(fork, "acme", 600, 150, "rewritten");
  {
    RunningServer rewritten(fork);
    auto result = Verify(rewritten.url() + "/logs/acme", state);
    EXPECT_EQ(result.status, 1);
    EXPECT_NE(result.err.find("history rewritten"), std::string::npos) << result.err;
    // Without the remembered state, the forked log is self-consistent: only memory catches it.
    EXPECT_EQ(Verify(rewritten.url() + "/logs/acme").status, 0);
  }
  EXPECT_NE(ReadTextFile(state).find("\n700\n"), std::string::npos)
      << "state must not move to a bad log";
}

TEST_F(ServerTest, CorruptTilesAreReportedNotServed) {
  const std::string tile = data_ + "/logs/acme/tile/0/001";
  std::string bytes = ReadTextFile(tile);
  bytes[100] ^= 0x40;
  WriteTextFile(tile, bytes);
  std::string bundle = ReadTextFile(data_ + "/logs/acme/tile/entries/000");
  bundle[10] = bundle[10] == '1' ? '2' : '1';
  WriteTextFile(data_ + "/logs/acme/tile/entries/000", bundle);

  RunningServer server(data_);
  client::HttpClient http(server.host(), server.port());
  EXPECT_EQ(http.Get("/logs/acme/tile/0/001")->status, 500);
  EXPECT_EQ(http.Get("/logs/acme/tile/entries/001")->status, 500);
  EXPECT_EQ(http.Get("/logs/acme/tile/entries/000")->status, 500);
  EXPECT_EQ(http.Get("/logs/acme/tile/0/000")->status, 200);
  auto result = Verify(server.url() + "/logs/acme");
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.err.find("HTTP 500"), std::string::npos) << result.err;
  server.Stop();
  EXPECT_NE(server.process().Stderr().find("on disk is corrupt"), std::string::npos);
}

TEST_F(ServerTest, OneServerPublishesAFolderAtATime) {
  RunningServer server(data_);
  auto second = RunProcess({QuartetBinary(), "server", "--data", data_, "--listen", "127.0.0.1:0"});
  EXPECT_EQ(second.status, 1);
  EXPECT_NE(second.err.find("another process"), std::string::npos) << second.err;
}

TEST_F(ServerTest, EntryBundlesAreGzippedForClientsThatAskForIt) {
  RunningServer server(data_);
  client::HttpClient http(server.host(), server.port());
  auto plain = http.Get("/logs/acme/tile/entries/001");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->content_encoding, "");
  auto gzipped = http.Get("/logs/acme/tile/entries/001", {{"Accept-Encoding", "gzip, identity"}});
  ASSERT_TRUE(gzipped.ok());
  EXPECT_EQ(gzipped->status, 200);
  EXPECT_EQ(gzipped->content_encoding, "gzip");
  EXPECT_LT(gzipped->body.size(), plain->body.size());
  auto inflated = server::Gunzip(gzipped->body, 1 << 20);
  ASSERT_TRUE(inflated.ok());
  EXPECT_EQ(*inflated, plain->body);
  EXPECT_EQ(
      http.Get("/logs/acme/tile/entries/001", {{"Accept-Encoding", "gzip;q=0"}})->content_encoding,
      "");
  EXPECT_EQ(http.Get("/logs/acme/tile/0/001", {{"Accept-Encoding", "gzip"}})->content_encoding, "");
}

// Sends `request` as it is on a fresh connection to 127.0.0.1:`port`; what comes back until the
// server closes it (or 5 s pass).
std::string Exchange(const std::string& port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(std::stoi(port)));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    char buffer[4096];
    for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) reply.append(buffer, n);
  }
  ::close(fd);
  return reply;
}

TEST_F(ServerTest, MalformedOrOversizedRequestsGetTheirOwnAnswers) {
  RunningServer server(data_);
  // Headers over 16 KiB: 431, not a dropped connection.
  const std::string big =
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(20 * 1024, 'a') + "\r\n\r\n";
  EXPECT_TRUE(Exchange(server.port(), big).starts_with("HTTP/1.1 431"))
      << Exchange(server.port(), big).substr(0, 80);
  // A body framed by anything but chunked coding alone: 400, whatever else the request says.
  for (const std::string framing :
       {"Transfer-Encoding: xchunked\r\nContent-Length: 2\r\n",
        "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n", "Transfer-Encoding: gzip\r\n"}) {
    const std::string reply =
        Exchange(server.port(), "POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\n" + framing +
                                    "Content-Type: application/json\r\n\r\n{}");
    EXPECT_TRUE(reply.starts_with("HTTP/1.1 400")) << framing << ": " << reply.substr(0, 80);
  }
  // Every answer carries the security headers.
  const std::string health =
      Exchange(server.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(health.find("X-Content-Type-Options: nosniff"), std::string::npos) << health;
  EXPECT_NE(health.find("X-Frame-Options: DENY"), std::string::npos) << health;
}

TEST_F(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  RunningServer server(data_);
  client::HttpClient http(server.host(), server.port());
  for (int i = 0; i < 200; ++i) {
    auto response = http.Get("/logs/acme/tile/entries/00" + std::to_string(i % 2));
    ASSERT_TRUE(response.ok());
    ASSERT_EQ(response->status, 200);
  }
}

// HTTPS with a certificate made for "localhost": a client checks the chain (the system's CAs, or
// SSL_CERT_FILE) and the name, and refuses the server otherwise.
class HttpsTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    certificate_ = dir_ + "/cert.pem";
    key_file_ = dir_ + "/key.pem";
    RunResult made = RunProcess({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                 "ec_paramgen_curve:P-256", "-nodes", "-keyout", key_file_, "-out",
                                 certificate_, "-days", "2", "-subj", "/CN=localhost", "-addext",
                                 "subjectAltName=DNS:localhost"});
    ASSERT_EQ(made.status, 0) << made.err;
  }
  void TearDown() override {
    unsetenv("SSL_CERT_FILE");
    ServerTest::TearDown();
  }
  static StatusOr<client::HttpResult> Get(const std::string& url, const std::string& path) {
    ASSIGN_OR_RETURN(client::Url parsed, client::Url::Parse(url));
    client::HttpClient http(parsed);
    return http.Get(parsed.path + path);
  }
  std::string certificate_, key_file_;
};

TEST_F(HttpsTest, ServesALogOverTlsToClientsThatTrustItsCertificate) {
  RunningServer server(data_, {"--tls-cert", certificate_, "--tls-key", key_file_});
  ASSERT_TRUE(server.url().starts_with("https://127.0.0.1:")) << server.url();
  const std::string by_name = "https://localhost:" + server.port();

  // Not trusted yet: the system's CAs do not know this certificate.
  auto untrusted = Get(by_name, "/healthz");
  ASSERT_FALSE(untrusted.ok());
  EXPECT_NE(untrusted.status().message().find("certificate verify failed"), std::string::npos)
      << untrusted.status().ToString();

  setenv("SSL_CERT_FILE", certificate_.c_str(), 1);
  auto healthy = Get(by_name, "/healthz");
  ASSERT_TRUE(healthy.ok()) << healthy.status().ToString();
  EXPECT_EQ(healthy->status, 200);
  EXPECT_EQ(healthy->body, "ok\n");
  // Trusted, but the certificate does not name 127.0.0.1.
  auto wrong_name = Get(server.url(), "/healthz");
  ASSERT_FALSE(wrong_name.ok());
  // Plain HTTP to the TLS port gets no answer.
  EXPECT_FALSE(Get("http://127.0.0.1:" + server.port(), "/healthz").ok());

  // The whole log, checkpoint and tiles, verified through HTTPS by the CLI (which inherits
  // SSL_CERT_FILE).
  RunResult verified = Verify(by_name + "/logs/acme");
  EXPECT_EQ(verified.status, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find("600"), std::string::npos) << verified.out;
}

TEST_F(HttpsTest, AKeyThatIsNotTheCertificatesStopsTheServerAtOnce) {
  RunResult other = RunProcess({"openssl", "genpkey", "-algorithm", "ec", "-pkeyopt",
                                "ec_paramgen_curve:P-256", "-out", dir_ + "/other.pem"});
  ASSERT_EQ(other.status, 0) << other.err;
  RunResult started =
      RunProcess({QuartetBinary(), "server", "--data", data_, "--listen", "127.0.0.1:0",
                  "--tls-cert", certificate_, "--tls-key", dir_ + "/other.pem"});
  EXPECT_NE(started.status, 0);
  EXPECT_NE(started.err.find("TLS key"), std::string::npos) << started.err;
  EXPECT_NE(started.err.find("mismatch"), std::string::npos) << started.err;
}

// On a TLS server a connection that never starts its handshake is as idle as any: at the cap it
// makes room, oldest first, and the cap holds.
TEST_F(HttpsTest, AtTheCapAStalledHandshakeMakesRoom) {
  RunningServer server(
      data_, {"--tls-cert", certificate_, "--tls-key", key_file_, "--max-connections", "12"});
  std::vector<RawConnection> stalled;
  for (int i = 0; i < 12; ++i) {
    stalled.push_back(RawConnection::Open("127.0.0.2", server.port()));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::vector<RawConnection> newcomers;
  for (size_t i = 0; i < 6; ++i) {
    newcomers.push_back(RawConnection::Open("127.0.0.3", server.port()));
    EXPECT_TRUE(stalled[i].ClosedWithin(std::chrono::seconds(2))) << i;
    EXPECT_FALSE(newcomers.back().ClosedWithin(std::chrono::milliseconds(0))) << i;
  }
  for (size_t i = 6; i < stalled.size(); ++i) {
    EXPECT_FALSE(stalled[i].ClosedWithin(std::chrono::milliseconds(0))) << i;
  }
  // An honest client still gets in, in place of the oldest stalled one left.
  setenv("SSL_CERT_FILE", certificate_.c_str(), 1);
  auto healthy = Get("https://localhost:" + server.port(), "/healthz");
  ASSERT_TRUE(healthy.ok()) << healthy.status().ToString();
  EXPECT_EQ(healthy->status, 200);
  EXPECT_TRUE(stalled[6].ClosedWithin(std::chrono::seconds(2)));
}

// Connections from one address beyond its cap are closed at once; others are still served.
TEST_F(ServerTest, NoAddressHoldsMoreThanItsShareOfConnections) {
  RunningServer server(data_, {"--max-connections-per-address", "8"});
  std::vector<RawConnection> held;
  for (int i = 0; i < 8; ++i) held.push_back(RawConnection::Open("127.0.0.2", server.port()));
  RawConnection ninth = RawConnection::Open("127.0.0.2", server.port());
  EXPECT_TRUE(ninth.ClosedWithin(std::chrono::seconds(5)));
  for (auto& connection : held) EXPECT_FALSE(connection.ClosedWithin(std::chrono::milliseconds(0)));
  RawConnection other = RawConnection::Open("127.0.0.3", server.port());
  ASSERT_TRUE(other.Send(HttpRequestText("GET", "/healthz", "", "")));
  EXPECT_EQ(other.ReadResponse(std::chrono::seconds(5)), 200);
  // One that goes makes room for another from the same address.
  held.pop_back();
  EXPECT_TRUE(WaitFor(
      [&] {
        RawConnection again = RawConnection::Open("127.0.0.2", server.port());
        return again.Send(HttpRequestText("GET", "/healthz", "", "")) &&
               again.ReadResponse(std::chrono::seconds(5)) == 200;
      },
      std::chrono::seconds(5)));
}

// At the overall cap, the connection idle longest makes room; a connection in the middle of a
// request is never closed for it, and with none idle the newcomer is turned away.
TEST_F(ServerTest, AtTheCapTheLongestIdleConnectionMakesRoom) {
  RunningServer server(data_, {"--max-connections", "12"});
  std::vector<RawConnection> idle;
  for (int i = 0; i < 6; ++i) idle.push_back(RawConnection::Open("127.0.0.2", server.port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::vector<RawConnection> busy;  // each in the middle of its header
  for (int i = 0; i < 6; ++i) {
    busy.push_back(RawConnection::Open("127.0.0.3", server.port()));
    ASSERT_TRUE(busy.back().Send("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::vector<RawConnection> honest;  // idle in turn once answered, and newer than the rest
  for (size_t i = 0; i < 6; ++i) {
    honest.push_back(RawConnection::Open("127.0.0.4", server.port()));
    ASSERT_TRUE(honest.back().Send(HttpRequestText("GET", "/healthz", "", "")));
    EXPECT_EQ(honest.back().ReadResponse(std::chrono::seconds(5)), 200) << i;
    // Each newcomer took the place of the oldest idle connection, in order.
    EXPECT_TRUE(idle[i].ClosedWithin(std::chrono::seconds(2))) << i;
    if (i + 1 < idle.size()) {
      EXPECT_FALSE(idle[i + 1].ClosedWithin(std::chrono::milliseconds(0)));
    }
  }
  // With every connection busy, a newcomer is turned away.
  for (auto& connection : honest) ASSERT_TRUE(connection.Send("GET /healthz HTTP/1.1\r\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  RawConnection turned_away = RawConnection::Open("127.0.0.5", server.port());
  EXPECT_TRUE(turned_away.ClosedWithin(std::chrono::seconds(2)));
  for (auto& connection : busy) {
    EXPECT_FALSE(connection.ClosedWithin(std::chrono::milliseconds(0)));
    ASSERT_TRUE(connection.Send("\r\n"));
    EXPECT_EQ(connection.ReadResponse(std::chrono::seconds(5)), 200);
  }
}

// An address whose requests keep being refused (here: a token that does not exist) is answered
// at once 100 times, then at 20 a second; another address is not slowed.
TEST_F(ServerTest, RefusalsFromOneAddressArePaced) {
  RunningServer server(data_);
  RawConnection forger = RawConnection::Open("127.0.0.6", server.port());
  const std::string forged = HttpRequestText("GET", "/api/v1/me", "", "qt_forged");
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(forger.Send(forged));
    ASSERT_EQ(forger.ReadResponse(std::chrono::seconds(5)), 401);
  }
  const auto unpaced = std::chrono::steady_clock::now() - start;
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(forger.Send(forged));
    ASSERT_EQ(forger.ReadResponse(std::chrono::seconds(5)), 401);
  }
  const auto paced = std::chrono::steady_clock::now() - start - unpaced;
  EXPECT_GE(paced, std::chrono::milliseconds(1500));
  EXPECT_LT(unpaced, paced);
  RawConnection other = RawConnection::Open("127.0.0.7", server.port());
  const auto asked = std::chrono::steady_clock::now();
  ASSERT_TRUE(other.Send(forged));
  EXPECT_EQ(other.ReadResponse(std::chrono::seconds(5)), 401);
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::milliseconds(500));
}

// Out of file descriptors: accepting pauses instead of spinning, the open connections are served,
// and new ones are taken again once descriptors are free.
TEST_F(ServerTest, AtTheFileLimitTheServerKeepsServingWhatItHas) {
  RunningServer server(data_,
                       {"--max-connections", "1000", "--max-connections-per-address", "1000"},
                       {"prlimit", "--nofile=64:64", "--"});
  client::HttpClient honest(server.host(), server.port());
  ASSERT_EQ(honest.Get("/healthz")->status, 200);
  std::vector<RawConnection> flood;
  for (int i = 0; i < 100; ++i) flood.push_back(RawConnection::Open("127.0.0.2", server.port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const double cpu_before = CpuSeconds(server.process().pid());
  for (int i = 0; i < 20; ++i) {
    auto answer = honest.Get("/logs/acme/checkpoint");
    ASSERT_TRUE(answer.ok()) << answer.status().ToString();
    EXPECT_EQ(answer->status, 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // Two seconds of waiting connections cost next to nothing (a spinning accept loop: 2 s).
  EXPECT_LT(CpuSeconds(server.process().pid()) - cpu_before, 0.5);
  flood.clear();
  EXPECT_TRUE(WaitFor(
      [&] {
        client::HttpClient fresh(server.host(), server.port());
        auto answer = fresh.Get("/healthz");
        return answer.ok() && answer->status == 200;
      },
      std::chrono::seconds(10)));
  server.Stop();
  EXPECT_NE(server.process().Stderr().find("cannot accept connections"), std::string::npos)
      << server.process().Stderr();
}

}  // namespace
}  // namespace quartet::testing
