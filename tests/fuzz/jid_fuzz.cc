// Fuzzes xmpp::Jid::parse and xmpp::normalize_domain. Checks that
// normalisation is idempotent: a parsed JID's str() parses to an equal JID,
// its domain normalises to itself, and a normalised domain normalises to
// itself.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "xmpp/jid.h"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "jid_fuzz: property failed: %s\n", what);
    abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using herald::xmpp::Jid;
  using herald::xmpp::normalize_domain;
  std::string_view input(reinterpret_cast<const char*>(data), size);

  std::string error;
  if (auto jid = Jid::parse(input, &error)) {
    std::string text = jid->str();
    auto again = Jid::parse(text, &error);
    check(again.has_value(), "str() of a parsed JID does not parse");
    check(*again == *jid, "str() of a parsed JID parses to a different JID");
    check(again->str() == text, "str() not stable");
    check(jid->bare().is_bare() && jid->bare().domain() == jid->domain(), "bare()");
    auto domain = normalize_domain(jid->domain(), &error);
    check(domain.has_value() && *domain == jid->domain(), "JID domain not normalised");
  } else {
    check(!error.empty(), "refused without an error text");
  }

  error.clear();
  if (auto domain = normalize_domain(input, &error)) {
    auto again = normalize_domain(*domain, &error);
    check(again.has_value() && *again == *domain, "normalize_domain not idempotent");
  } else {
    check(!error.empty(), "domain refused without an error text");
  }
  return 0;
}
