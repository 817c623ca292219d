#include "ssh/certificate.h"

#include <sodium.h>

#include <algorithm>

#include "ssh/wire.h"

namespace quartet::ssh {
namespace {

constexpr size_t kNonceSize = 32;

using NamedValues = std::vector<std::pair<std::string, std::string>>;

bool HasNul(std::string_view text) { return text.find('\0') != std::string_view::npos; }

// Sorts by name (byte order, as strcmp) and refuses empty, repeated or NUL-holding names.
StatusOr<NamedValues> SortedNames(NamedValues values, std::string_view what) {
  std::sort(values.begin(), values.end());
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i].first.empty() || HasNul(values[i].first) || HasNul(values[i].second)) {
      return InvalidArgumentError(std::string(what) +
                                  " names and values must be non-empty text without NUL bytes");
    }
    if (i > 0 && values[i].first == values[i - 1].first) {
      return InvalidArgumentError("repeated " + std::string(what) + " \"" + values[i].first + "\"");
    }
  }
  return values;
}

Bytes EncodeNamedValues(const NamedValues& values) {
  Bytes out;
  for (const auto& [name, value] : values) {
    PutString(out, name);
    if (value.empty()) {
      PutString(out, "");
    } else {
      Bytes nested;
      PutString(nested, value);
      PutString(out, nested);
    }
  }
  return out;
}

StatusOr<NamedValues> DecodeNamedValues(ByteView data, std::string_view what) {
  WireReader reader(data);
  NamedValues out;
  while (!reader.empty()) {
    ASSIGN_OR_RETURN(std::string name, reader.ReadText());
    if (!out.empty() && name <= out.back().first) {
      return InvalidArgumentError(std::string(what) + " are not in strictly increasing name order");
    }
    ASSIGN_OR_RETURN(const ByteView value_data, reader.ReadString());
    std::string value;
    if (!value_data.empty()) {
      WireReader value_reader(value_data);
      ASSIGN_OR_RETURN(value, value_reader.ReadText());
      RETURN_IF_ERROR(value_reader.ExpectEnd(std::string(what) + " value"));
    }
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

StatusOr<Certificate> ParseCertificateBlob(ByteView blob) {
  WireReader reader(blob);
  Certificate cert;
  RETURN_IF_ERROR(reader.ExpectString(kEd25519CertType, "the certificate type"));
  ASSIGN_OR_RETURN(const ByteView nonce, reader.ReadString());
  cert.nonce.assign(nonce.begin(), nonce.end());
  ASSIGN_OR_RETURN(const ByteView subject, reader.ReadString());
  ASSIGN_OR_RETURN(cert.subject, PublicKey::FromBytes(subject));
  ASSIGN_OR_RETURN(cert.serial, reader.ReadUint64());
  ASSIGN_OR_RETURN(cert.type, reader.ReadUint32());
  if (cert.type != kUserCertificate && cert.type != kHostCertificate) {
    return InvalidArgumentError("unknown certificate type " + std::to_string(cert.type));
  }
  ASSIGN_OR_RETURN(cert.key_id, reader.ReadText());
  ASSIGN_OR_RETURN(const ByteView principals, reader.ReadString());
  for (WireReader principal_reader(principals); !principal_reader.empty();) {
    ASSIGN_OR_RETURN(std::string principal, principal_reader.ReadText());
    cert.principals.push_back(std::move(principal));
  }
  ASSIGN_OR_RETURN(cert.valid_after, reader.ReadUint64());
  ASSIGN_OR_RETURN(cert.valid_before, reader.ReadUint64());
  ASSIGN_OR_RETURN(const ByteView critical_options, reader.ReadString());
  ASSIGN_OR_RETURN(cert.critical_options, DecodeNamedValues(critical_options, "critical options"));
  ASSIGN_OR_RETURN(const ByteView extensions, reader.ReadString());
  ASSIGN_OR_RETURN(cert.extensions, DecodeNamedValues(extensions, "extensions"));
  RETURN_IF_ERROR(reader.ReadString());  // reserved
  ASSIGN_OR_RETURN(const ByteView ca_blob, reader.ReadString());
  ASSIGN_OR_RETURN(cert.ca, ParsePublicKeyBlob(ca_blob));
  const ByteView signed_part = reader.consumed();
  ASSIGN_OR_RETURN(const ByteView signature_blob, reader.ReadString());
  RETURN_IF_ERROR(reader.ExpectEnd("the certificate"));

  WireReader signature_reader(signature_blob);
  RETURN_IF_ERROR(signature_reader.ExpectString(kEd25519KeyType, "the signature type"));
  ASSIGN_OR_RETURN(const ByteView signature, signature_reader.ReadString());
  RETURN_IF_ERROR(signature_reader.ExpectEnd("the signature"));
  if (signature.size() != crypto_sign_BYTES) {
    return InvalidArgumentError("an Ed25519 signature is 64 bytes");
  }
  if (crypto_sign_verify_detached(signature.data(), signed_part.data(), signed_part.size(),
                                  cert.ca.bytes.data()) != 0) {
    return UnauthenticatedError("the certificate's signature does not verify with its CA key");
  }
  return cert;
}

}  // namespace

StatusOr<std::string> SignUserCertificate(const CertificateTemplate& t, const KeyPair& ca,
                                          Random& random, std::string_view comment) {
  if (t.principals.empty()) {
    return InvalidArgumentError("a certificate needs at least one principal");
  }
  for (const std::string& principal : t.principals) {
    if (principal.empty() || HasNul(principal)) {
      return InvalidArgumentError("a principal must be non-empty text without NUL bytes");
    }
  }
  if (t.key_id.empty() || HasNul(t.key_id)) {
    return InvalidArgumentError("a certificate's key id must be non-empty text without NUL bytes");
  }
  if (t.valid_after >= t.valid_before) {
    return InvalidArgumentError("valid_after must be before valid_before");
  }
  ASSIGN_OR_RETURN(const NamedValues critical_options,
                   SortedNames(t.critical_options, "critical option"));
  NamedValues flags;
  for (const std::string& name : t.extensions) flags.emplace_back(name, "");
  ASSIGN_OR_RETURN(const NamedValues extensions, SortedNames(std::move(flags), "extension"));

  Bytes nonce(kNonceSize);
  random.Fill(nonce);
  Bytes principals;
  for (const std::string& principal : t.principals) PutString(principals, principal);

  Bytes blob;
  PutString(blob, kEd25519CertType);
  PutString(blob, nonce);
  PutString(blob, ByteView(t.subject.bytes));
  PutUint64(blob, t.serial);
  PutUint32(blob, kUserCertificate);
  PutString(blob, t.key_id);
  PutString(blob, principals);
  PutUint64(blob, t.valid_after);
  PutUint64(blob, t.valid_before);
  PutString(blob, EncodeNamedValues(critical_options));
  PutString(blob, EncodeNamedValues(extensions));
  PutString(blob, "");  // reserved
  PutString(blob, PublicKeyBlob(ca.public_key()));
  Bytes signature;
  PutString(signature, kEd25519KeyType);
  PutString(signature, ca.SignRaw(blob));
  PutString(blob, signature);
  return FormatKeyLine(kEd25519CertType, blob, comment);
}

StatusOr<Certificate> ParseCertificate(std::string_view line) {
  ASSIGN_OR_RETURN(KeyLine parsed, ParseKeyLine(line));
  if (parsed.type != kEd25519CertType) {
    return InvalidArgumentError("unsupported certificate type \"" + parsed.type + "\": only " +
                                std::string(kEd25519CertType));
  }
  ASSIGN_OR_RETURN(Certificate cert, ParseCertificateBlob(parsed.blob));
  cert.comment = std::move(parsed.comment);
  return cert;
}

}  // namespace quartet::ssh
