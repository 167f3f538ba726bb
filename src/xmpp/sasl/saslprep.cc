#include "xmpp/sasl/saslprep.h"

#include <stringprep.h>

#include <cstdlib>
#include <memory>

namespace herald::xmpp::sasl {

std::optional<std::string> saslprep(std::string_view in, bool stored) {
  bool printable_ascii = true;
  for (char c : in)
    if (c < 0x20 || c > 0x7E) printable_ascii = false;
  if (printable_ascii) return std::string(in);
  if (in.find('\0') != std::string_view::npos) return std::nullopt;
  std::string copy(in);  // stringprep_profile() reads a C string
  char* prepared = nullptr;
  int rc = stringprep_profile(
      copy.c_str(), &prepared, "SASLprep",
      stored ? STRINGPREP_NO_UNASSIGNED : static_cast<Stringprep_profile_flags>(0));
  std::unique_ptr<char, decltype(&std::free)> guard(prepared, &std::free);
  if (rc != STRINGPREP_OK || !prepared) return std::nullopt;
  return std::string(prepared);
}

bool is_utf8(std::string_view in) {
  size_t items = 0;
  uint32_t* decoded = stringprep_utf8_to_ucs4(in.data(), static_cast<ssize_t>(in.size()), &items);
  const bool ok = decoded != nullptr;
  std::free(decoded);
  return ok;
}

}  // namespace herald::xmpp::sasl
