#include "home/core/account.h"

#include <gtest/gtest.h>

namespace herald::home::core {
namespace {

Account with(std::vector<std::tuple<std::string, bool, int>> rs) {
  Account a;
  for (auto& [name, available, priority] : rs) a.resources[name] = Resource{nullptr, 0, available, priority};
  return a;
}

std::vector<int> priorities(const std::vector<const Resource*>& rs) {
  std::vector<int> out;
  for (auto* r : rs) out.push_back(r->priority);
  return out;
}

TEST(Account, TopResourcesAreTheAvailableOnesOfHighestNonNegativePriority) {
  EXPECT_EQ(priorities(with({{"a", true, 1}, {"b", true, 7}, {"c", true, 7}, {"d", false, 9}}).top_resources()),
            (std::vector<int>{7, 7}));
  EXPECT_TRUE(with({{"a", true, -1}, {"b", false, 5}}).top_resources().empty());
  EXPECT_EQ(priorities(with({{"a", true, 0}, {"b", true, -2}}).top_resources()), std::vector<int>{0});
}

TEST(Account, AvailableResources) {
  auto a = with({{"a", true, -1}, {"b", true, 0}, {"c", false, 3}});
  EXPECT_EQ(a.available_resources(false).size(), 2u);
  EXPECT_EQ(a.available_resources(true).size(), 1u);
}

TEST(Account, PresencePriorityIsASmallIntegerOrZero) {
  auto p = [](std::string text) {
    xml::Element presence("presence", "jabber:server");
    presence.add_child("priority", "jabber:server").set_text(text);
    return presence_priority(presence);
  };
  EXPECT_EQ(p("5"), 5);
  EXPECT_EQ(p(" -128\n"), -128);
  EXPECT_EQ(p("127"), 127);
  EXPECT_EQ(p("128"), 0);
  EXPECT_EQ(p("1.5"), 0);
  EXPECT_EQ(p("high"), 0);
  EXPECT_EQ(presence_priority(xml::Element("presence", "jabber:server")), 0);
}

}  // namespace
}  // namespace herald::home::core
