#include "xmpp/sasl/ssdp.h"

#include <algorithm>

#include "base/encoding.h"
#include "xmpp/sasl/primitives.h"

namespace herald::xmpp::sasl {
namespace {

void append_sorted(std::vector<std::string> names, std::string* out) {
  std::sort(names.begin(), names.end());  // char_traits<char> compares as unsigned: i;octet
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out->push_back('\x1e');
    *out += names[i];
  }
}

}  // namespace

std::string downgrade_protection_hash(Hash hash, const AdvertisedMethods& advertised) {
  std::string s;
  append_sorted(advertised.mechanisms, &s);
  if (advertised.channel_bindings) {
    s.push_back('\x1f');
    append_sorted(*advertised.channel_bindings, &s);
  }
  return base64_encode(digest(hash, s));
}

}  // namespace herald::xmpp::sasl
