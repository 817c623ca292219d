#include "vault/rotation_target.h"

#include <gtest/gtest.h>

namespace quartet::vault {
namespace {

TEST(RotationTargetTest, TheThreeFormsParse) {
  auto postgres = ParseRotationTarget("postgresql://books_admin@db.harbor.lan:5432");
  ASSERT_TRUE(postgres.ok()) << postgres.status().ToString();
  EXPECT_EQ(postgres->scheme, RotationTarget::Scheme::kPostgresql);
  EXPECT_EQ(postgres->account, "books_admin");
  EXPECT_EQ(postgres->host, "db.harbor.lan");
  EXPECT_EQ(postgres->port, 5432);

  auto ssh = ParseRotationTarget("ssh://root@[::1]:2222");
  ASSERT_TRUE(ssh.ok()) << ssh.status().ToString();
  EXPECT_EQ(ssh->scheme, RotationTarget::Scheme::kSsh);
  EXPECT_EQ(ssh->account, "root");
  EXPECT_EQ(ssh->host, "::1");
  EXPECT_EQ(ssh->port, 2222);

  auto ldap = ParseRotationTarget("ldap://127.0.0.1:389/uid=ana,ou=people,dc=harbor,dc=lan");
  ASSERT_TRUE(ldap.ok()) << ldap.status().ToString();
  EXPECT_EQ(ldap->scheme, RotationTarget::Scheme::kLdap);
  EXPECT_EQ(ldap->account, "uid=ana,ou=people,dc=harbor,dc=lan");
  EXPECT_EQ(ldap->host, "127.0.0.1");
  EXPECT_EQ(ldap->port, 389);
}

TEST(RotationTargetTest, AnythingElseIsRefused) {
  for (const char* bad :
       {"", "postgresql://db:5432", "postgresql://a b@db:5432", "postgresql://role@db",
        "postgresql://role@db:0", "postgresql://role@db:70000", "ssh://root@[zz]:22",
        "ssh://root@[bbbb]:22", "ssh://root@[1.2.3.4]:22", "ssh://root@:22",
        "ssh://root@host;rm:22", "ldap://host:389", "ldap://host:389/", "ldap://host:389/nodn",
        "http://host:80", "ssh://root@host:22\n"}) {
    auto parsed = ParseRotationTarget(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    if (!parsed.ok()) {
      EXPECT_NE(parsed.status().message().find("rotation target"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace quartet::vault
