// Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP truncation) and the RFC 4648 base32
// text authenticator apps exchange secrets in.
//
// A TOTP secret is as sensitive as a password: store it encrypted or at least access-controlled,
// show it (or its provisioning URI) once at enrolment, and never log it, a code, or a URI.
// Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/random.h"
#include "base/status.h"

namespace quartet::identity {

enum class TotpAlgorithm { kSha1, kSha256, kSha512 };

// The defaults are what every authenticator app supports; the others exist for RFC 6238's vectors
// and for hardware tokens that need them.
struct TotpParameters {
  TotpAlgorithm algorithm = TotpAlgorithm::kSha1;
  int digits = 6;           // 6 to 8 (RFC 4226 section 5.3)
  int period_seconds = 30;  // at least 1
};

// OK if `parameters` are within the bounds above, else InvalidArgument.
Status CheckTotpParameters(const TotpParameters& parameters);

// The code for the time step holding `unix_time` (floor(unix_time / period)), zero-padded to
// `digits`. Contract: non-empty key, unix_time >= 0, CheckTotpParameters(parameters).ok(); breaking
// it returns the empty string, which no valid code equals.
std::string TotpCode(ByteView key, int64_t unix_time, const TotpParameters& parameters);

// A fresh 20-byte (160-bit, RFC 4226's recommended length) secret.
Bytes NewTotpSecret(Random& random);

// RFC 4648 section 6 base32, upper case, without padding.
std::string Base32Encode(ByteView data);
// Decodes base32 as people type it: any letter case, spaces anywhere and trailing '=' padding are
// accepted. InvalidArgument for any other character, data after padding, a length no byte string
// encodes to, or non-zero unused trailing bits. Error messages never quote the input.
StatusOr<Bytes> Base32Decode(std::string_view text);

// The otpauth:// URI apps read from a QR code, for the default parameters:
//   otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER
// with issuer and account percent-encoded (everything but RFC 3986's unreserved characters). An
// empty issuer leaves out both the label's prefix and the parameter. The URI contains the secret.
std::string TotpProvisioningUri(std::string_view issuer, std::string_view account, ByteView secret);

// Checks `code` against the steps either side of `unix_time`'s and its own (±1 step of clock skew),
// comparing in constant time, and returns the step that matched. The caller stores it and passes it
// back as `last_accepted_step` (-1 before any), so each code is accepted at most once:
//  * InvalidArgument: bad parameters, an empty key, negative time, or a code that is not exactly
//    `digits` ASCII digits;
//  * Unauthenticated: no step in the window has this code;
//  * PermissionDenied: the code matched, but only steps <= last_accepted_step (a replay).
// Callers also throttle attempts (throttle.h): six digits do not survive unlimited guessing.
StatusOr<int64_t> VerifyTotp(ByteView key, std::string_view code, int64_t unix_time,
                             int64_t last_accepted_step, const TotpParameters& parameters);

}  // namespace quartet::identity
