#include "xmpp/jid.h"

#include <arpa/inet.h>
#include <stringprep.h>

#include <cstdlib>
#include <memory>

namespace herald::xmpp {
namespace {

constexpr size_t kMaxPartBytes = 1023;  // RFC 7622 3.1, for each part
constexpr size_t kMaxLabelBytes = 63;

bool set_error(std::string* error, std::string text) {
  if (error) *error = std::move(text);
  return false;
}

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

// What one stringprep profile does to printable ASCII (0x21-0x7E), read off
// RFC 3491 and RFC 6122 appendices A/B: Nameprep and Nodeprep map with table
// B.2, which for ASCII is plain lowercasing; Resourceprep maps nothing. No
// such character is unassigned, mapped to nothing or bidi-relevant, and the
// only ones any profile prohibits are Nodeprep's eight below. Every JID on the
// push path is ASCII, and libidn costs ~2 µs per part, so this is the common
// case; anything else (space, controls, non-ASCII) goes to libidn.
bool prepare_printable_ascii(std::string_view part, const char* profile, std::string* out) {
  const bool nodeprep = profile[1] == 'o';  // "Nodeprep"
  const bool fold = profile[0] != 'R';      // not "Resourceprep"
  for (char c : part) {
    if (c < 0x21 || c > 0x7E) return false;
    if (nodeprep && std::string_view("\"&'/:<>@").find(c) != std::string_view::npos) return false;
  }
  out->assign(part);
  if (fold)
    for (char& c : *out)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return true;
}

// Runs one stringprep profile ("Nodeprep", "Nameprep", "Resourceprep") over
// an already length- and UTF-8-checked part.
bool prepare(std::string_view part, const char* profile, const char* what, std::string* out,
             std::string* error) {
  if (!part.empty() && prepare_printable_ascii(part, profile, out)) return true;
  if (!valid_utf8(part)) return set_error(error, std::string(what) + " is not valid UTF-8");
  if (part.find('\0') != std::string_view::npos)
    return set_error(error, std::string(what) + " contains a NUL character");
  std::string in(part);
  char* prepared = nullptr;
  int rc =
      stringprep_profile(in.c_str(), &prepared, profile, static_cast<Stringprep_profile_flags>(0));
  std::unique_ptr<char, decltype(&std::free)> guard(prepared, &std::free);
  switch (rc) {
    case STRINGPREP_OK:
      break;
    case STRINGPREP_CONTAINS_PROHIBITED:
      return set_error(error, std::string(what) + " contains a prohibited character");
    case STRINGPREP_BIDI_BOTH_L_AND_RAL:
    case STRINGPREP_BIDI_LEADTRAIL_NOT_RAL:
    case STRINGPREP_BIDI_CONTAINS_PROHIBITED:
      return set_error(error, std::string(what) + " violates the bidirectional text rules");
    default:
      return set_error(error, std::string(what) + " cannot be prepared: " +
                                  stringprep_strerror(static_cast<Stringprep_rc>(rc)));
  }
  out->assign(prepared);
  if (out->empty()) return set_error(error, std::string(what) + " is empty after preparation");
  if (out->size() > kMaxPartBytes)
    return set_error(error, std::string(what) + " is longer than 1023 bytes");
  return true;
}

bool is_ipv4(std::string_view s) {
  if (s.size() > 15 || s.find_first_not_of("0123456789.") != std::string_view::npos) return false;
  in_addr addr;
  return inet_pton(AF_INET, std::string(s).c_str(), &addr) == 1;
}

// Characters a DNS host name may hold in ASCII: letters, digits, hyphen (and
// underscore, which some private deployments use). Others (space, ':', '<',
// ...) have no place in a domain and would confuse later layers.
bool ascii_allowed_in_domain(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || static_cast<unsigned char>(c) >= 0x80;
}

bool check_local_chars(std::string_view local, std::string* error) {
  for (char c : local) {
    if (c == '"' || c == '&' || c == '\'' || c == '/' || c == ':' || c == '<' || c == '>' ||
        c == '@' || c == ' ')
      return set_error(error,
                       std::string("localpart contains the forbidden character '") + c + "'");
  }
  return true;
}

}  // namespace

std::optional<std::string> normalize_domain(std::string_view text, std::string* error) {
  if (text.size() > kMaxPartBytes) {
    set_error(error, "domainpart is longer than 1023 bytes");
    return std::nullopt;
  }
  if (!text.empty() && text.front() == '[') {
    if (text.size() < 3 || text.back() != ']') {
      set_error(error, "domainpart is a malformed IP literal");
      return std::nullopt;
    }
    in6_addr addr;
    std::string inner(text.substr(1, text.size() - 2));
    if (inet_pton(AF_INET6, inner.c_str(), &addr) != 1) {
      set_error(error, "domainpart is not a valid IPv6 literal");
      return std::nullopt;
    }
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &addr, buf, sizeof buf);
    return "[" + std::string(buf) + "]";
  }
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  if (text.empty()) {
    set_error(error, "domainpart is empty");
    return std::nullopt;
  }
  std::string domain;
  if (!prepare(text, "Nameprep", "domainpart", &domain, error)) return std::nullopt;
  if (is_ipv4(domain)) return domain;
  size_t label_start = 0;
  for (size_t i = 0; i <= domain.size(); ++i) {
    if (i < domain.size() && domain[i] != '.') {
      if (!ascii_allowed_in_domain(domain[i])) {
        set_error(error,
                  std::string("domainpart contains the forbidden character '") + domain[i] + "'");
        return std::nullopt;
      }
      continue;
    }
    size_t len = i - label_start;
    if (len == 0) {
      set_error(error, "domainpart has an empty label");
      return std::nullopt;
    }
    if (len > kMaxLabelBytes) {
      set_error(error, "domainpart has a label longer than 63 bytes");
      return std::nullopt;
    }
    label_start = i + 1;
  }
  return domain;
}

std::optional<Jid> Jid::parse(std::string_view text, std::string* error) {
  // RFC 7622 3.1: the first '/' starts the resource (which may hold '@' and
  // '/'); in what remains, the first '@' ends the localpart.
  std::string_view rest = text;
  std::optional<std::string_view> resource, local;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    resource = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    local = rest.substr(0, at);
    rest = rest.substr(at + 1);
  }

  Jid jid;
  if (local) {
    if (local->empty()) {
      set_error(error, "localpart is empty");
      return std::nullopt;
    }
    if (local->size() > kMaxPartBytes) {
      set_error(error, "localpart is longer than 1023 bytes");
      return std::nullopt;
    }
    if (!check_local_chars(*local, error)) return std::nullopt;
    if (!prepare(*local, "Nodeprep", "localpart", &jid.local_, error)) return std::nullopt;
    // Nodeprep prohibits these too; kept as a guard should the table differ.
    if (!check_local_chars(jid.local_, error)) return std::nullopt;
  }
  if (rest.find('@') != std::string_view::npos) {
    set_error(error, "domainpart contains the forbidden character '@'");
    return std::nullopt;
  }
  auto domain = normalize_domain(rest, error);
  if (!domain) return std::nullopt;
  jid.domain_ = std::move(*domain);
  if (resource) {
    if (resource->empty()) {
      set_error(error, "resourcepart is empty");
      return std::nullopt;
    }
    if (resource->size() > kMaxPartBytes) {
      set_error(error, "resourcepart is longer than 1023 bytes");
      return std::nullopt;
    }
    if (!prepare(*resource, "Resourceprep", "resourcepart", &jid.resource_, error))
      return std::nullopt;
  }
  return jid;
}

Jid Jid::bare() const {
  Jid j = *this;
  j.resource_.clear();
  return j;
}

std::string Jid::str() const {
  std::string out;
  out.reserve(local_.size() + domain_.size() + resource_.size() + 2);
  if (!local_.empty()) out.append(local_).append(1, '@');
  out.append(domain_);
  if (!resource_.empty()) out.append(1, '/').append(resource_);
  return out;
}

}  // namespace herald::xmpp
