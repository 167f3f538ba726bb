#include "xmpp/sasl/scram_crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <stringprep.h>

namespace herald::xmpp::sasl {
namespace {

const EVP_MD* md(Hash hash) {
  switch (hash) {
    case Hash::sha1:
      return EVP_sha1();
    case Hash::sha256:
      return EVP_sha256();
    case Hash::sha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}

}  // namespace

size_t digest_size(Hash hash) {
  return size_t(EVP_MD_get_size(md(hash)));
}

std::string digest(Hash hash, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out, &n, md(hash), nullptr);
  return std::string(reinterpret_cast<char*>(out), n);
}

std::string hmac(Hash hash, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(md(hash), key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &n);
  return std::string(reinterpret_cast<char*>(out), n);
}

std::string hi(Hash hash, std::string_view password, std::string_view salt, uint32_t iterations) {
  std::string out(digest_size(hash), '\0');
  PKCS5_PBKDF2_HMAC(password.data(), int(password.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()), int(salt.size()),
                    int(iterations), md(hash), int(out.size()),
                    reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::optional<std::string> saslprep(std::string_view text, bool stored) {
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  char* out = nullptr;
  std::string in(text);
  int rc = stringprep_profile(in.c_str(), &out, "SASLprep",
                              stored ? STRINGPREP_NO_UNASSIGNED : Stringprep_profile_flags(0));
  if (rc != STRINGPREP_OK) return std::nullopt;
  std::string prepared(out);
  free(out);
  return prepared;
}

}  // namespace herald::xmpp::sasl
