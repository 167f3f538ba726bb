#include "xmpp/jid.h"

#include <gtest/gtest.h>
#include <stringprep.h>

#include <cstdlib>

namespace herald::xmpp {
namespace {

std::string error_of(std::string_view text) {
  std::string error;
  auto jid = Jid::parse(text, &error);
  EXPECT_FALSE(jid) << "accepted: " << jid->str();
  EXPECT_FALSE(error.empty());
  return error;
}

TEST(Jid, ParsesAllThreeParts) {
  auto jid = Jid::parse("alice@example.com/phone");
  ASSERT_TRUE(jid);
  EXPECT_EQ(jid->local(), "alice");
  EXPECT_EQ(jid->domain(), "example.com");
  EXPECT_EQ(jid->resource(), "phone");
  EXPECT_FALSE(jid->is_domain());
  EXPECT_FALSE(jid->is_bare());
  EXPECT_EQ(jid->str(), "alice@example.com/phone");
}

TEST(Jid, FoldsCaseExceptInTheResource) {
  auto jid = Jid::parse("Alice@Example.COM/Res");
  ASSERT_TRUE(jid);
  EXPECT_EQ(jid->str(), "alice@example.com/Res");
  EXPECT_EQ(*jid, *Jid::parse("alice@example.com/Res"));
  EXPECT_NE(*jid, *Jid::parse("alice@example.com/res"));
}

TEST(Jid, DomainOnlyAndBare) {
  auto domain = Jid::parse("push.test");
  ASSERT_TRUE(domain);
  EXPECT_TRUE(domain->is_domain());
  EXPECT_EQ(domain->str(), "push.test");
  auto full = Jid::parse("bob11@user.test/desktop");
  ASSERT_TRUE(full);
  EXPECT_EQ(full->bare().str(), "bob11@user.test");
  EXPECT_TRUE(full->bare().is_bare());
  EXPECT_FALSE(full->bare().is_domain());
  auto domain_resource = Jid::parse("user.test/res");
  ASSERT_TRUE(domain_resource);
  EXPECT_FALSE(domain_resource->is_domain());
  EXPECT_EQ(domain_resource->local(), "");
}

TEST(Jid, ResourceMayHoldSlashesAndAts) {
  auto jid = Jid::parse("a@b.test/c@d/e");
  ASSERT_TRUE(jid);
  EXPECT_EQ(jid->local(), "a");
  EXPECT_EQ(jid->domain(), "b.test");
  EXPECT_EQ(jid->resource(), "c@d/e");
}

TEST(Jid, StripsOneTrailingDotFromTheDomain) {
  auto jid = Jid::parse("a@example.com./r");
  ASSERT_TRUE(jid);
  EXPECT_EQ(jid->domain(), "example.com");
  EXPECT_EQ(error_of("a@example.com.."), "domainpart has an empty label");
}

TEST(Jid, PreparesUnicode) {
  // Nodeprep folds case (and sharp s to "ss"); Nameprep folds the domain.
  auto jid = Jid::parse("\xC3\x84rger\xC3\x9F@M\xC3\x9CNCHEN.example/\xE2\x99\x9A");
  ASSERT_TRUE(jid);
  EXPECT_EQ(jid->local(), "\xC3\xA4rgerss");           // ärgerss
  EXPECT_EQ(jid->domain(), "m\xC3\xBCnchen.example");  // münchen.example
  EXPECT_EQ(jid->resource(), "\xE2\x99\x9A");          // ♚ kept
  // NFKC: fullwidth Latin letters become ASCII.
  auto wide = Jid::parse("\xEF\xBC\xA1\xEF\xBD\x82@example.com");  // Ａｂ
  ASSERT_TRUE(wide);
  EXPECT_EQ(wide->local(), "ab");
  // Greek capital sigma folds to small sigma.
  auto greek = Jid::parse("\xCE\xA3@example.com");
  ASSERT_TRUE(greek);
  EXPECT_EQ(greek->local(), "\xCF\x83");
}

TEST(Jid, RejectsEmptyParts) {
  EXPECT_EQ(error_of(""), "domainpart is empty");
  EXPECT_EQ(error_of("@example.com"), "localpart is empty");
  EXPECT_EQ(error_of("alice@"), "domainpart is empty");
  EXPECT_EQ(error_of("alice@example.com/"), "resourcepart is empty");
  EXPECT_EQ(error_of("/res"), "domainpart is empty");
  // U+00AD (soft hyphen) is mapped to nothing by Nodeprep.
  EXPECT_EQ(error_of("\xC2\xAD@example.com"), "localpart is empty after preparation");
}

TEST(Jid, RejectsTooLongParts) {
  std::string max(1023, 'a');
  std::string over(1024, 'a');
  EXPECT_TRUE(Jid::parse(max + "@example.com/" + max));
  EXPECT_EQ(error_of(over + "@example.com"), "localpart is longer than 1023 bytes");
  EXPECT_EQ(error_of("a@example.com/" + over), "resourcepart is longer than 1023 bytes");
  std::string long_domain;
  while (long_domain.size() < 1024) long_domain += "abcdefghi.";
  EXPECT_EQ(error_of("a@" + long_domain + "x"), "domainpart is longer than 1023 bytes");
  EXPECT_EQ(error_of("a@" + std::string(64, 'b') + ".com"),
            "domainpart has a label longer than 63 bytes");
  EXPECT_TRUE(Jid::parse("a@" + std::string(63, 'b') + ".com"));
}

TEST(Jid, RejectsForbiddenLocalpartCharacters) {
  for (char c : std::string("\"&':<> ")) {
    std::string text = std::string("al") + c + "ice@example.com";
    EXPECT_EQ(error_of(text),
              std::string("localpart contains the forbidden character '") + c + "'");
  }
  EXPECT_EQ(error_of("a@b@example.com"), "domainpart contains the forbidden character '@'");
  // Fullwidth commercial at (U+FF20) becomes '@' under NFKC: still refused.
  EXPECT_EQ(error_of("al\xEF\xBC\xA0ice@example.com"), "localpart contains a prohibited character");
}

TEST(Jid, RejectsInvalidUtf8) {
  EXPECT_EQ(error_of("al\xFFice@example.com"), "localpart is not valid UTF-8");
  EXPECT_EQ(error_of("alice@exa\xC0\xAFmple.com"), "domainpart is not valid UTF-8");
  EXPECT_EQ(error_of("alice@example.com/\xED\xA0\x80"), "resourcepart is not valid UTF-8");
  EXPECT_EQ(error_of("alice@example.com/\xE2\x82"), "resourcepart is not valid UTF-8");
}

TEST(Jid, RejectsProhibitedCodePoints) {
  // U+0007 (control) in the resource; U+E000 (private use) in the localpart.
  EXPECT_EQ(error_of("alice@example.com/a\x07z"), "resourcepart contains a prohibited character");
  EXPECT_EQ(error_of("a\xEE\x80\x80@example.com"), "localpart contains a prohibited character");
  EXPECT_EQ(error_of(std::string("alice@example.com/a\0z", 21)),
            "resourcepart contains a NUL character");
  // A right-to-left character followed by a left-to-right one.
  EXPECT_EQ(error_of("\xD7\x90"
                     "a@example.com"),
            "localpart violates the bidirectional text rules");
}

TEST(NormalizeDomain, AcceptsIpLiterals) {
  EXPECT_EQ(normalize_domain("[::1]"), "[::1]");
  EXPECT_EQ(normalize_domain("[2001:DB8:0:0::1]"), "[2001:db8::1]");
  EXPECT_EQ(normalize_domain("192.0.2.1"), "192.0.2.1");
  auto jid = Jid::parse("alice@[::1]/r");
  ASSERT_TRUE(jid);
  EXPECT_EQ(jid->domain(), "[::1]");
}

TEST(NormalizeDomain, RejectsBadDomains) {
  std::string error;
  EXPECT_FALSE(normalize_domain("[::1", &error));
  EXPECT_EQ(error, "domainpart is a malformed IP literal");
  EXPECT_FALSE(normalize_domain("[not-an-ip]", &error));
  EXPECT_EQ(error, "domainpart is not a valid IPv6 literal");
  EXPECT_FALSE(normalize_domain(".", &error));
  EXPECT_EQ(error, "domainpart is empty");
  EXPECT_FALSE(normalize_domain(".example.com", &error));
  EXPECT_EQ(error, "domainpart has an empty label");
  EXPECT_FALSE(normalize_domain("exa:mple.com", &error));
  EXPECT_EQ(error, "domainpart contains the forbidden character ':'");
  EXPECT_FALSE(normalize_domain("exa mple.com", &error));
  EXPECT_EQ(error, "domainpart contains the forbidden character ' '");  // nameprep allows it
}

TEST(NormalizeDomain, FoldsCase) {
  EXPECT_EQ(normalize_domain("Push.TEST."), "push.test");
  EXPECT_EQ(normalize_domain("push.test"), "push.test");
}


// The printable-ASCII shortcut in jid.cc must agree with libidn: every
// printable character, in each part, either fails both ways or gives
// libidn's output.
std::optional<std::string> libidn(const std::string& in, const char* profile) {
  char* out = nullptr;
  int rc = stringprep_profile(in.c_str(), &out, profile, static_cast<Stringprep_profile_flags>(0));
  std::optional<std::string> result;
  if (rc == STRINGPREP_OK) result = out;
  std::free(out);
  return result;
}

TEST(Jid, PrintableAsciiPreparedAsLibidnDoes) {
  for (int c = 0x21; c <= 0x7E; ++c) {
    std::string part = std::string("aB") + static_cast<char>(c) + "Z9";
    SCOPED_TRACE(part);
    auto local = Jid::parse(part + "@d.test");
    auto expect_local = libidn(part, "Nodeprep");
    if (local && c != '/' && c != '@') {
      ASSERT_TRUE(expect_local);
      EXPECT_EQ(local->local(), *expect_local);
    }
    if (c != '/' && c != '@') {
      auto domain = normalize_domain(part);
      auto expect_domain = libidn(part, "Nameprep");
      ASSERT_TRUE(expect_domain);
      if (domain) {
        EXPECT_EQ(*domain, *expect_domain);
      }
    }
    auto resource = Jid::parse("d.test/" + part);
    auto expect_resource = libidn(part, "Resourceprep");
    ASSERT_TRUE(resource);
    ASSERT_TRUE(expect_resource);
    EXPECT_EQ(resource->resource(), *expect_resource);
  }
}

TEST(Jid, NonAsciiStillGoesThroughStringprep) {
  // U+00C9 folds to U+00E9 under Nameprep; a soft hyphen (U+00AD) maps to nothing.
  EXPECT_EQ(normalize_domain("\xC3\x89xample.test"), "\xC3\xA9xample.test");
  std::string error;
  auto jid = Jid::parse("a\xC2\xAD" "b@d.test/R\xC2\xADs", &error);
  ASSERT_TRUE(jid) << error;
  EXPECT_EQ(jid->local(), "ab");
  EXPECT_EQ(jid->resource(), "Rs");
  // Space: Resourceprep allows it, Nodeprep prohibits it.
  EXPECT_TRUE(Jid::parse("d.test/a b"));
  EXPECT_FALSE(Jid::parse("a b@d.test"));
}

}  // namespace
}  // namespace herald::xmpp
