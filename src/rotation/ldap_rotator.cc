// LDAP: the account binds and changes its password with the password modify extended operation,
// RFC 3062 (rotator.h).
#include <ldap.h>

#include <memory>

#include "rotation/rotator.h"
#include "vault/credential.h"

namespace quartet::rotation {
namespace {

struct LdapCloser {
  void operator()(LDAP* ld) const { ldap_unbind_ext_s(ld, nullptr, nullptr); }
};
using Ldap = std::unique_ptr<LDAP, LdapCloser>;

berval BervalOf(std::string& text) { return {text.size(), text.data()}; }

class LdapRotatorImpl final : public Rotator {
 public:
  explicit LdapRotatorImpl(std::chrono::seconds timeout) : timeout_(timeout) {}

  Status Rotate(const vault::RotationTarget& target, std::string_view current,
                std::string_view next) override {
    std::string old_password(current);
    std::string new_password(next);
    vault::WipeOnExit wipe_old{old_password};
    vault::WipeOnExit wipe_new{new_password};
    Ldap ld;
    int code = Bind(target, old_password, ld);
    if (code == LDAP_INVALID_CREDENTIALS) {
      // Applied before the agent could record it: the next password opens it already.
      Ldap already;
      if (Bind(target, new_password, already) == LDAP_SUCCESS) return Status::Ok();
    }
    if (code != LDAP_SUCCESS)
      return UnavailableError("LDAP at " + target.host + ":" + std::to_string(target.port) +
                              " refused " + target.account + ": " + ldap_err2string(code));
    std::string dn = target.account;
    berval user = BervalOf(dn);
    berval old_value = BervalOf(old_password);
    berval new_value = BervalOf(new_password);
    berval generated{0, nullptr};  // a password the server made up: none, as one is given
    code = ldap_passwd_s(ld.get(), &user, &old_value, &new_value, &generated, nullptr, nullptr);
    if (generated.bv_val != nullptr) ber_memfree(generated.bv_val);
    if (code != LDAP_SUCCESS)
      return FailedPreconditionError("LDAP did not change the password of " + target.account +
                                     ": " + ldap_err2string(code));
    ld.reset();
    Ldap check;
    if (Bind(target, new_password, check) != LDAP_SUCCESS)
      return InternalError("LDAP changed the password of " + target.account +
                           " and does not take the new one");
    return Status::Ok();
  }

 private:
  // A simple bind as the target's DN; the LDAP result code.
  int Bind(const vault::RotationTarget& target, std::string& password, Ldap& out) const {
    const bool v6 = target.host.find(':') != std::string::npos;
    const std::string uri = "ldap://" + (v6 ? "[" + target.host + "]" : target.host) + ":" +
                            std::to_string(target.port);
    LDAP* raw = nullptr;
    int code = ldap_initialize(&raw, uri.c_str());
    if (code != LDAP_SUCCESS) return code;
    out.reset(raw);
    const int version = LDAP_VERSION3;
    ldap_set_option(raw, LDAP_OPT_PROTOCOL_VERSION, &version);
    ldap_set_option(raw, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
    const timeval timeout{static_cast<time_t>(timeout_.count()), 0};
    ldap_set_option(raw, LDAP_OPT_NETWORK_TIMEOUT, &timeout);
    ldap_set_option(raw, LDAP_OPT_TIMEOUT, &timeout);
    berval credential = BervalOf(password);
    return ldap_sasl_bind_s(raw, target.account.c_str(), LDAP_SASL_SIMPLE, &credential, nullptr,
                            nullptr, nullptr);
  }

  const std::chrono::seconds timeout_;
};

}  // namespace

std::unique_ptr<Rotator> LdapRotator(std::chrono::seconds timeout) {
  return std::make_unique<LdapRotatorImpl>(timeout);
}

}  // namespace quartet::rotation
