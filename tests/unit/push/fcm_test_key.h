// An RSA key for FCM tests, made once per test binary (2048 bits, like
// Google's service-account keys), as PEM, plus its public half for checks.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <string>

namespace herald::push::fcm::testing {

inline std::string pem_of(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  return pem;
}

inline EVP_PKEY* test_rsa_key() {
  static EVP_PKEY* key = EVP_RSA_gen(2048);
  return key;
}

inline const std::string& test_rsa_pem() {
  static const std::string pem = pem_of(test_rsa_key());
  return pem;
}

}  // namespace herald::push::fcm::testing
