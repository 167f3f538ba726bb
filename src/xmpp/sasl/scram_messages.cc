#include "xmpp/sasl/scram_messages.h"

#include <vector>

#include "base/encoding.h"
#include "xmpp/sasl/saslprep.h"

namespace herald::xmpp::sasl {
namespace {

constexpr size_t kMaxCbNameBytes = 64;

std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    parts.push_back(s.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (comma == std::string_view::npos) return parts;
    start = comma + 1;
  }
}

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "x=value" with a non-empty value: sets *value.
bool attribute(std::string_view part, char name, std::string_view* value) {
  if (part.size() < 3 || part[0] != name || part[1] != '=') return false;
  *value = part.substr(2);
  return true;
}

// Any further attribute (attr-val): a letter, '=', one or more value-chars
// (the message is already known to be UTF-8 without NUL, and parts hold no ',').
bool extension(std::string_view part) {
  return part.size() >= 3 && is_alpha(part[0]) && part[1] == '=';
}

// printable = %x21-2B / %x2D-7E
bool nonce_ok(std::string_view nonce) {
  if (nonce.empty() || nonce.size() > kMaxNonceBytes) return false;
  for (char c : nonce)
    if (c < 0x21 || c > 0x7E || c == ',') return false;
  return true;
}

bool cb_name_ok(std::string_view name) {
  if (name.empty() || name.size() > kMaxCbNameBytes) return false;
  for (char c : name)
    if (!is_alpha(c) && !is_digit(c) && c != '.' && c != '-') return false;
  return true;
}

// The checks every message shares: size, UTF-8, no NUL.
std::optional<SaslFailure> check_text(std::string_view message) {
  if (message.empty()) return malformed("empty message");
  if (message.size() > kMaxScramMessageBytes) return malformed("message too long");
  if (message.find('\0') != std::string_view::npos) return malformed("NUL in message");
  if (!is_utf8(message)) return malformed("message is not UTF-8");
  return std::nullopt;
}

std::optional<SaslFailure> decode_base64(std::string_view text, std::string* out,
                                         const char* what) {
  auto decoded = base64_decode(text);
  if (!decoded) return malformed(std::string("invalid base64 in ") + what);
  *out = std::move(*decoded);
  return std::nullopt;
}

}  // namespace

std::string encode_saslname(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (c == ',')
      out += "=2C";
    else if (c == '=')
      out += "=3D";
    else
      out.push_back(c);
  }
  return out;
}

std::optional<std::string> decode_saslname(std::string_view text) {
  if (text.empty() || !is_utf8(text)) return std::nullopt;
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ',' || c == '\0') return std::nullopt;
    if (c != '=') {
      out.push_back(c);
      continue;
    }
    std::string_view escape = text.substr(i + 1, 2);
    if (escape == "2C")
      out.push_back(',');
    else if (escape == "3D")
      out.push_back('=');
    else
      return std::nullopt;
    i += 2;
  }
  return out;
}

std::optional<SaslFailure> parse_client_first(std::string_view message, ClientFirstMessage* out) {
  if (auto f = check_text(message)) return f;
  *out = ClientFirstMessage();
  // gs2-header = gs2-cbind-flag "," [ authzid ] ","
  size_t first_comma = message.find(',');
  if (first_comma == std::string_view::npos) return malformed("no gs2 header");
  std::string_view flag = message.substr(0, first_comma);
  if (flag == "n" || flag == "y") {
    out->gs2.flag = flag[0];
  } else if (flag.substr(0, 2) == "p=" && cb_name_ok(flag.substr(2))) {
    out->gs2.flag = 'p';
    out->gs2.cb_name = std::string(flag.substr(2));
  } else {
    return malformed("invalid channel-binding flag");
  }
  size_t second_comma = message.find(',', first_comma + 1);
  if (second_comma == std::string_view::npos) return malformed("incomplete gs2 header");
  std::string_view authzid = message.substr(first_comma + 1, second_comma - first_comma - 1);
  if (!authzid.empty()) {
    std::string_view value;
    if (!attribute(authzid, 'a', &value)) return malformed("invalid authzid");
    auto decoded = decode_saslname(value);
    if (!decoded) return malformed("invalid authzid encoding");
    if (decoded->size() > kMaxAuthzidBytes) return malformed("authzid too long");
    out->gs2.authzid = std::move(*decoded);
  }
  out->gs2.text = std::string(message.substr(0, second_comma + 1));

  // client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
  std::string_view bare = message.substr(second_comma + 1);
  out->bare = std::string(bare);
  auto parts = split_commas(bare);
  std::string_view value;
  if (attribute(parts[0], 'm', &value)) return malformed("extensions-not-supported");
  if (parts.size() < 2 || !attribute(parts[0], 'n', &value)) return malformed("no username");
  auto username = decode_saslname(value);
  if (!username) return malformed("invalid username encoding");
  if (username->size() > kMaxUsernameBytes) return malformed("username too long");
  out->username = std::move(*username);
  if (!attribute(parts[1], 'r', &value) || !nonce_ok(value)) return malformed("invalid nonce");
  out->nonce = std::string(value);
  for (size_t i = 2; i < parts.size(); ++i)
    if (!extension(parts[i])) return malformed("invalid attribute");
  return std::nullopt;
}

std::optional<SaslFailure> parse_server_first(std::string_view message, ServerFirstMessage* out) {
  if (auto f = check_text(message)) return f;
  *out = ServerFirstMessage();
  // server-first-message = [reserved-mext ","] nonce "," salt "," iteration-count ["," extensions]
  auto parts = split_commas(message);
  std::string_view value;
  if (attribute(parts[0], 'm', &value)) return malformed("extensions-not-supported");
  if (parts.size() < 3) return malformed("incomplete server-first-message");
  if (!attribute(parts[0], 'r', &value) || !nonce_ok(value)) return malformed("invalid nonce");
  out->nonce = std::string(value);
  if (!attribute(parts[1], 's', &value)) return malformed("no salt");
  if (auto f = decode_base64(value, &out->salt, "salt")) return f;
  if (out->salt.empty() || out->salt.size() > kMaxSaltBytes) return malformed("invalid salt");
  if (!attribute(parts[2], 'i', &value) || value.size() > 10) return malformed("invalid iteration count");
  uint64_t n = 0;
  for (char c : value) {
    if (!is_digit(c)) return malformed("invalid iteration count");
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  if (n == 0 || n > UINT32_MAX) return malformed("invalid iteration count");
  out->iterations = static_cast<uint32_t>(n);
  for (size_t i = 3; i < parts.size(); ++i) {
    if (!extension(parts[i])) return malformed("invalid attribute");
    if (attribute(parts[i], 'h', &value)) {
      if (out->downgrade_hash) return malformed("two downgrade protection hashes");
      out->downgrade_hash = std::string(value);
    }
  }
  return std::nullopt;
}

std::optional<SaslFailure> parse_client_final(std::string_view message, ClientFinalMessage* out) {
  if (auto f = check_text(message)) return f;
  *out = ClientFinalMessage();
  // client-final-message = channel-binding "," nonce ["," extensions] "," proof
  auto parts = split_commas(message);
  std::string_view value;
  if (parts.size() < 3) return malformed("incomplete client-final-message");
  if (!attribute(parts[0], 'c', &value)) return malformed("no channel binding");
  if (auto f = decode_base64(value, &out->channel_binding, "channel binding")) return f;
  if (!attribute(parts[1], 'r', &value) || !nonce_ok(value)) return malformed("invalid nonce");
  out->nonce = std::string(value);
  for (size_t i = 2; i + 1 < parts.size(); ++i)
    if (!extension(parts[i])) return malformed("invalid attribute");
  if (!attribute(parts.back(), 'p', &value)) return malformed("no proof");
  if (auto f = decode_base64(value, &out->proof, "proof")) return f;
  out->without_proof = std::string(message.substr(0, message.size() - parts.back().size() - 1));
  return std::nullopt;
}

std::optional<SaslFailure> parse_server_final(std::string_view message, ServerFinalMessage* out) {
  if (auto f = check_text(message)) return f;
  *out = ServerFinalMessage();
  // server-final-message = (server-error / verifier) ["," extensions]
  auto parts = split_commas(message);
  std::string_view value;
  if (attribute(parts[0], 'e', &value)) {
    out->error = std::string(value);
  } else if (attribute(parts[0], 'v', &value)) {
    if (auto f = decode_base64(value, &out->verifier, "verifier")) return f;
    if (out->verifier.empty()) return malformed("empty verifier");
  } else {
    return malformed("neither verifier nor error");
  }
  for (size_t i = 1; i < parts.size(); ++i)
    if (!extension(parts[i])) return malformed("invalid attribute");
  return std::nullopt;
}

}  // namespace herald::xmpp::sasl
