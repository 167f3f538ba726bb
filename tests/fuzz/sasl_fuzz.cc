// Fuzzes the SASL message parsers and state machines of xmpp/sasl: PLAIN,
// the four SCRAM messages, ScramServer and ScramClient steps, HT initiator
// messages, and a full SCRAM exchange with fuzzed names and passwords.
// Input byte 0 picks the mode; the rest is split at the first 0x01 into two
// messages where a mode needs two. Properties besides the sanitizers:
// every refusal names an RFC 6120 condition and a text; nothing succeeds
// without the proof; a parsed client-first-message is its gs2 header plus
// its bare part; saslnames survive encoding and decoding; an exchange with
// a name and password SASLprep accepts always succeeds, both ways.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "xmpp/sasl/ht.h"
#include "xmpp/sasl/plain.h"
#include "xmpp/sasl/primitives.h"
#include "xmpp/sasl/saslprep.h"
#include "xmpp/sasl/scram.h"
#include "xmpp/sasl/scram_messages.h"

namespace {

using namespace herald::xmpp::sasl;

void check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "sasl_fuzz: property failed: %s\n", what);
    abort();
  }
}

void check_failure(const std::optional<SaslFailure>& f) {
  if (!f) return;
  check(f->condition == "malformed-request" || f->condition == "not-authorized" ||
            f->condition == "invalid-mechanism",
        "unexpected condition");
  check(!f->text.empty(), "refusal without a text");
}

ChannelBindings bindings() {
  ChannelBindings b;
  b.offered = {ChannelBindingType::tls_exporter, ChannelBindingType::tls_server_end_point};
  b.data = {{ChannelBindingType::tls_exporter, std::string(32, 'E')},
            {ChannelBindingType::tls_server_end_point, std::string(32, 'P')}};
  b.plus_advertised = true;
  b.advertised_mechanisms = {"SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"};
  return b;
}

// Credentials at one iteration: the fuzzer needs speed, not strength.
ScramCredentials weak_credentials(Hash h, std::string_view prepared_password) {
  ScramCredentials c;
  c.hash = h;
  c.salt = "fuzz-salt";
  c.iterations = 1;
  ScramKeys keys = scram_keys(h, pbkdf2(h, prepared_password, c.salt, 1));
  c.stored_key = keys.stored_key;
  c.server_key = keys.server_key;
  return c;
}

void fuzz_parsers(std::string_view in) {
  ClientFirstMessage cf;
  auto f = parse_client_first(in, &cf);
  check_failure(f);
  if (!f) {
    check(cf.gs2.text + cf.bare == in, "client-first is not header + bare");
    check(encode_saslname(cf.username).size() >= cf.username.size(), "encode shrank");
  }
  ServerFirstMessage sf;
  f = parse_server_first(in, &sf);
  check_failure(f);
  if (!f) check(sf.iterations > 0 && !sf.salt.empty() && !sf.nonce.empty(), "server-first fields");
  ClientFinalMessage fin;
  f = parse_client_final(in, &fin);
  check_failure(f);
  if (!f) check(in.substr(0, fin.without_proof.size()) == fin.without_proof, "without-proof prefix");
  ServerFinalMessage sfin;
  check_failure(parse_server_final(in, &sfin));
  if (is_utf8(in) && !in.empty() && in.find('\0') == std::string_view::npos) {
    auto back = decode_saslname(encode_saslname(in));
    check(back && *back == in, "saslname round trip");
  }
}

void fuzz_server(std::string_view first, std::string_view final_message, bool plus) {
  static const ScramCredentials creds = weak_credentials(Hash::sha256, "pencil");
  ScramServer server(Hash::sha256, plus, bindings());
  ScramServer::ClientFirst cf;
  auto f = server.client_first(first, &cf);
  check_failure(f);
  std::string challenge = server.server_first(creds);
  check(f ? challenge.empty() : !challenge.empty(), "challenge only after a good client-first");
  std::string server_final;
  f = server.client_final(final_message, &server_final);
  check_failure(f);
  check(f.has_value() == server_final.empty(), "server-final only on success");
  // Random bytes cannot carry a proof for a fresh random server nonce.
  check(f.has_value(), "a fuzzed client-final succeeded");
}

void fuzz_client(std::string_view server_first, std::string_view server_final) {
  ScramClientOptions options;
  options.min_iterations = 1;
  options.max_iterations = 4;  // keep PBKDF2 cheap
  options.nonce = "fuzznonce";
  options.advertised = AdvertisedMethods{{"SCRAM-SHA-256"}, std::nullopt};
  ScramClient client(Hash::sha256, "user", "pencil", {}, false, options);
  check(client.client_first() == "n,,n=user,r=fuzznonce", "client-first");
  auto final_message = client.client_final(server_first);
  check(final_message.has_value() == client.error().empty(), "error() agrees");
  check(!client.verify_server_final(server_final) || final_message, "verified without a final");
}

void fuzz_ht(std::string_view message, std::string_view token) {
  for (const char* name : {"HT-SHA-256-NONE", "HT-SHA-256-EXPR", "HT-SHA-512-ENDP"}) {
    HtServer server(*parse_ht_mechanism(name), bindings());
    std::string authcid;
    auto f = server.initiator(message, &authcid);
    check_failure(f);
    size_t matched = 0;
    std::string responder;
    auto v = server.verify({std::string(token), "other"}, &matched, &responder);
    check_failure(v);
    check(!f || v, "verified after a refused initiator message");
    if (!v) check(matched <= 1 && !responder.empty(), "match without a responder");
  }
  check_failure([&] {
    PlainMessage m;
    return parse_plain(message, &m);
  }());
  if (auto m = parse_ht_mechanism(message)) check(ht_mechanism_name(*m) == message, "HT name round trip");
}

void fuzz_round_trip(std::string_view username, std::string_view password, bool plus) {
  auto user = saslprep(username);
  auto pw = saslprep(password);
  const bool should_work = user && !user->empty() && pw && !pw->empty();
  for (Hash h : {Hash::sha1, Hash::sha512}) {
    std::optional<std::pair<ChannelBindingType, std::string>> binding;
    if (plus) binding.emplace(ChannelBindingType::tls_exporter, std::string(32, 'E'));
    ScramClientOptions options;
    options.min_iterations = 1;
    ScramClient client(h, std::string(username), std::string(password), binding, false, options);
    ScramServer server(h, plus, bindings());
    ScramServer::ClientFirst cf;
    std::string first = client.client_first();
    auto f = server.client_first(first, &cf);
    check(!first.empty() || !user || user->empty(), "client-first refused a good name");
    if (first.empty()) continue;
    check_failure(f);
    if (f) {
      // Only a name over the limit may be refused here.
      check(user->size() > kMaxUsernameBytes || first.size() > kMaxScramMessageBytes, "good first refused");
      continue;
    }
    check(cf.username == *user, "username survived the exchange");
    auto final_message = client.client_final(server.server_first(weak_credentials(h, pw ? *pw : "")));
    check(final_message.has_value() == should_work, "client-final iff the password prepares");
    if (!final_message) continue;
    std::string server_final;
    auto g = server.client_final(*final_message, &server_final);
    check(!g, "a correct exchange failed");
    check(client.verify_server_final(server_final), "server not verified");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 8192) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t split = input.find('\x01');
  std::string_view a = input.substr(0, split);
  std::string_view b = split == std::string_view::npos ? std::string_view() : input.substr(split + 1);
  switch (data[0] % 6) {
    case 0:
      fuzz_parsers(input);
      break;
    case 1:
      fuzz_server(a, b, false);
      break;
    case 2:
      fuzz_server(a, b, true);
      break;
    case 3:
      fuzz_client(a, b);
      break;
    case 4:
      fuzz_ht(a, b);
      break;
    case 5:
      if (a.size() <= 512 && b.size() <= 512) fuzz_round_trip(a, b, data[0] & 0x80);
      break;
  }
  return 0;
}
