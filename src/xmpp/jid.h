// XMPP addresses (RFC 7622 syntax, prepared with the stringprep profiles of
// RFC 6122 via libidn: Nodeprep, Nameprep, Resourceprep).
//
// A Jid is always valid and normalised: parse() case-folds the localpart and
// domainpart, keeps the resourcepart's case, strips one trailing dot from the
// domain, and refuses anything malformed with a short error text that names
// the part at fault (never the JID itself, so it may be logged at debug).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace herald::xmpp {

class Jid {
 public:
  // Parses "[local@]domain[/resource]". Returns nullopt and sets *error (if
  // given) when the text is not a valid JID.
  static std::optional<Jid> parse(std::string_view text, std::string* error = nullptr);

  const std::string& local() const { return local_; }
  const std::string& domain() const { return domain_; }
  const std::string& resource() const { return resource_; }

  bool is_domain() const { return local_.empty() && resource_.empty(); }
  bool is_bare() const { return resource_.empty(); }
  Jid bare() const;
  std::string str() const;

  bool operator==(const Jid&) const = default;

 private:
  Jid() = default;
  std::string local_;
  std::string domain_;
  std::string resource_;
};

// Prepares a domainpart (or a bare domain from config or a stream header):
// nameprep (which case-folds), one trailing dot stripped, labels of 1 to 63
// bytes, at most 1023 bytes in all. IP literals "[::1]" (normalised) and
// dotted IPv4 addresses are accepted.
std::optional<std::string> normalize_domain(std::string_view text, std::string* error = nullptr);

}  // namespace herald::xmpp
