#include "notify/notifier.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "base/mutex.h"
#include "base/temp_directory_testing.h"
#include "governance/access_service.h"
#include "server/http_server.h"
#include "tests/subprocess.h"

namespace quartet::notify {
namespace {

uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t size = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

bool CanConnect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

// Debian's aiosmtpd on a loopback port, printing every message it receives.
class SmtpServer {
 public:
  SmtpServer()
      : port_(FreePort()),
        process_(testing::Subprocess::Start({"/usr/bin/python3", "-u", "-m", "aiosmtpd", "-n", "-l",
                                             "127.0.0.1:" + std::to_string(port_), "-c",
                                             "aiosmtpd.handlers.Debugging", "stdout"})) {
    for (int i = 0; i < 100 && !CanConnect(port_); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ~SmtpServer() {
    process_.Signal(SIGTERM);
    process_.Wait();
  }
  uint16_t port() const { return port_; }
  // Everything printed until a line equal to `until` appears (or 10 s pass).
  std::string ReadUntil(const std::string& until) {
    std::string out;
    while (auto line = process_.ReadLine(std::chrono::seconds(10))) {
      out += *line + "\n";
      if (*line == until) break;
    }
    return out;
  }

 private:
  uint16_t port_;
  testing::Subprocess process_;
};

class NotifierTest : public ::testing::Test {
 protected:
  TempDirectory temp_{"quartet-notify"};
  void SetUp() override {
    directory_ = temp_.path();
    folder_ = std::move(*store::DataFolder::Open(directory_.string()));
    service_ = std::move(*governance::AccessService::Open(*folder_, clock_, random_));
    const governance::Actor admin{"local-admin", governance::Role::kProviderAdmin, ""};
    ASSERT_TRUE(service_->directory().CreateClient(admin, "acme", "Acme", "UTC").ok());
    ASSERT_TRUE(
        service_->directory().AddUser(admin, "ana", governance::Role::kTechnician, "").ok());
    ASSERT_TRUE(
        service_->directory().AddUser(admin, "olivia", governance::Role::kOwner, "acme").ok());
    ASSERT_TRUE(service_->outbox().SetEmail(admin, "olivia", "olivia@acme.example").ok());
    ASSERT_TRUE(service_->directory()
                    .AddResource(admin, "acme", "mail", access::ResourceKind::kMailbox,
                                 static_cast<access::LabelSet>(access::Label::kEmail))
                    .ok());
    ASSERT_TRUE(service_->directory().Relate(admin, "acme", "ana").ok());
    ana_ = *service_->sessions().FindActor("ana");
  }
  void TearDown() override {
    service_.reset();
    folder_.reset();
  }
  void RequestMail() {
    auto grant = service_->grants().RequestAccess(
        ana_, {"acme", "mail", access::Action::kOpenMailbox, "", "Trace a phishing email", "T-9",
               1800, 0, false, ""});
    ASSERT_TRUE(grant.ok()) << grant.status().ToString();
    ASSERT_EQ(grant->progress.state, access::GrantState::kPending);
  }

  std::filesystem::path directory_;
  FakeClock clock_{std::chrono::system_clock::time_point(std::chrono::seconds(1782900000))};
  FakeRandom random_{4};
  std::unique_ptr<store::DataFolder> folder_;
  std::unique_ptr<governance::AccessService> service_;
  governance::Actor ana_;
};

TEST_F(NotifierTest, OwnersGetAnEmailAndTheClientsWebhookASignedPost) {
  SmtpServer smtp;
  Mutex mu;
  std::vector<server::HttpRequest> received;
  auto receiver = server::HttpServer::Start({"127.0.0.1", 0, 1, 1 << 20, nullptr},
                                            [&](const server::HttpRequest& request) {
                                              MutexLock lock(mu);
                                              received.push_back(request);
                                              return server::HttpResponse::Text(200, "ok");
                                            });
  ASSERT_TRUE(receiver.ok());
  std::thread serving([&] { (*receiver)->Run(false); });
  auto secret = service_->outbox().SetWebhook(
      {"olivia", governance::Role::kOwner, "acme"}, "acme",
      "http://127.0.0.1:" + std::to_string((*receiver)->port()) + "/quartet");
  ASSERT_TRUE(secret.ok());

  RequestMail();
  Notifier notifier(service_->outbox(),
                    SmtpRelay{"127.0.0.1", smtp.port(), "quartet@provider.example", 10}, clock_);
  auto delivered = notifier.DeliverDue();
  ASSERT_TRUE(delivered.ok()) << delivered.status().ToString();
  EXPECT_EQ(*delivered, 2);
  EXPECT_TRUE(service_->outbox().DueNotifications(10)->empty());

  const std::string mail = smtp.ReadUntil("------------ END MESSAGE ------------");
  EXPECT_NE(mail.find("Subject: [Quartet] ana asks for access to mail"), std::string::npos) << mail;
  EXPECT_NE(mail.find("olivia@acme.example"), std::string::npos);
  EXPECT_NE(mail.find("Trace a phishing email"), std::string::npos);

  (*receiver)->Stop();
  serving.join();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].target, "/quartet");
  EXPECT_EQ(received[0].headers["x-quartet-signature"],
            WebhookSignature(*secret, received[0].body));
  EXPECT_NE(received[0].body.find("\"event\":\"approval.requested\""), std::string::npos);
}

TEST_F(NotifierTest, UndeliveredNotificationsWaitAndAreRetried) {
  RequestMail();
  const uint16_t closed = FreePort();  // nothing listens there
  Notifier notifier(service_->outbox(),
                    SmtpRelay{"127.0.0.1", closed, "quartet@provider.example", 2}, clock_);
  EXPECT_EQ(*notifier.DeliverDue(), 0);
  EXPECT_TRUE(service_->outbox().DueNotifications(10)->empty()) << "backing off";
  clock_.Advance(std::chrono::seconds(10));
  auto due = service_->outbox().DueNotifications(10);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(due->front().attempts, 1);
  // Without a relay at all, e-mail waits in the outbox.
  Notifier unconfigured(service_->outbox(), std::nullopt, clock_);
  EXPECT_EQ(*unconfigured.DeliverDue(), 0);
}

TEST(SmtpTest, RefusesHeaderInjection) {
  EXPECT_EQ(SendEmail({}, {{"a@b.example"}, "hello\r\nBcc: evil@x.example", "body"}, 0).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SendEmail({}, {{"a@b.example>\r\nRCPT TO:<evil@x.example"}, "hi", "body"}, 0).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SendEmail({}, {{}, "hi", "body"}, 0).code(), StatusCode::kInvalidArgument);
}

TEST(WebhookTest, SignatureIsHmacSha256OfTheBody) {
  // RFC 4231 test case 2.
  EXPECT_EQ(WebhookSignature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace quartet::notify
