// The hash functions, HMAC and PBKDF2 that SCRAM and HT run on, through
// OpenSSL 3's EVP interfaces (each algorithm fetched once per process), and
// the key schedule of RFC 5802 section 3. Internal to xmpp/sasl (and its
// tests and fuzz target); the rest of the server uses credentials.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "xmpp/sasl/credentials.h"

namespace herald::xmpp::sasl {

size_t digest_size(Hash h);  // 20, 32, 64
std::string digest(Hash h, std::string_view data);
std::string hmac(Hash h, std::string_view key, std::string_view data);
// PBKDF2 with HMAC-h and one output block (SCRAM's Hi(), RFC 5802 2.2).
std::string pbkdf2(Hash h, std::string_view password, std::string_view salt, uint32_t iterations);
// a XOR b; both of one size.
std::string xor_bytes(std::string_view a, std::string_view b);

struct ScramKeys {
  std::string client_key;  // HMAC(SaltedPassword, "Client Key")
  std::string stored_key;  // H(ClientKey)
  std::string server_key;  // HMAC(SaltedPassword, "Server Key")
};
ScramKeys scram_keys(Hash h, std::string_view salted_password);

}  // namespace herald::xmpp::sasl
