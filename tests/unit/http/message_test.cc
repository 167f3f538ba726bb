// What serialize() puts on the wire: each header once.
#include "http/message.h"

#include <gtest/gtest.h>

#include <string>

namespace herald::http {
namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(Serialize, EachHeaderOnce) {
  Response r;
  r.content_type = "application/json";
  r.body = "{}";
  r.headers = {{"cache-control", "no-store"}, {"Content-Type", "text/html"},
               {"Content-Length", "99"}, {"Connection", "keep-alive"}, {"Retry-After", "5"}};
  std::string wire = serialize(r, true);
  EXPECT_EQ(count(wire, "ache-Control: ") + count(wire, "ache-control: "), 1u) << wire;
  EXPECT_EQ(count(wire, "Content-Type: "), 1u) << wire;
  EXPECT_NE(wire.find("Content-Type: application/json\r\n"), std::string::npos) << wire;
  EXPECT_EQ(count(wire, "Content-Length: "), 1u) << wire;
  EXPECT_NE(wire.find("Content-Length: 2\r\n"), std::string::npos) << wire;
  EXPECT_EQ(count(wire, "Connection: "), 1u) << wire;
  EXPECT_NE(wire.find("Connection: close\r\n"), std::string::npos) << wire;
  EXPECT_NE(wire.find("Retry-After: 5\r\n"), std::string::npos) << wire;
}

TEST(Serialize, CacheControlDefaultsToNoStoreAndMayBeReplaced) {
  Response plain;
  EXPECT_NE(serialize(plain, false).find("Cache-Control: no-store\r\n"), std::string::npos);
  Response cached;
  cached.headers = {{"Cache-Control", "max-age=60"}};
  std::string wire = serialize(cached, false);
  EXPECT_EQ(wire.find("no-store"), std::string::npos) << wire;
  EXPECT_NE(wire.find("Cache-Control: max-age=60\r\n"), std::string::npos) << wire;
}

}  // namespace
}  // namespace herald::http
