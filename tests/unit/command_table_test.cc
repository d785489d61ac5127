// CommandTable lookups: case-insensitive names, the cache of spellings in front of the table.
#include "server/commands/command_table.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice {
namespace {

CommandSpec Spec(std::string_view name, int arity) {
  CommandSpec spec;
  spec.name = name;
  spec.arity = arity;
  return spec;
}

TEST(CommandTableTest, FindIgnoresCaseWhateverTheSpelling) {
  CommandTable table;
  table.Add(Spec("get", 2));
  table.Add(Spec("lpush", -3));
  const CommandSpec* get = table.Find("get");
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(get->name, "get");
  // Each spelling twice: the second answer comes from the cache.
  for (std::string_view name : {"GET", "Get", "gEt", "GET", "Get", "gEt", "get"}) {
    EXPECT_EQ(table.Find(name), get) << name;
  }
  for (std::string_view name : {"LPUSH", "lpush", "LPUSH"}) {
    ASSERT_NE(table.Find(name), nullptr) << name;
    EXPECT_EQ(table.Find(name)->name, "lpush") << name;
  }
}

TEST(CommandTableTest, UnknownAndOverlongNames) {
  CommandTable table;
  table.Add(Spec("get", 2));
  EXPECT_EQ(table.Find(""), nullptr);
  EXPECT_EQ(table.Find("ge"), nullptr);
  EXPECT_EQ(table.Find("gett"), nullptr);
  EXPECT_EQ(table.Find("nosuch"), nullptr);
  EXPECT_EQ(table.Find("nosuch"), nullptr);
  // Longer than the cache keeps, and longer than any command name.
  const std::string long_name(40, 'x');
  EXPECT_EQ(table.Find(long_name), nullptr);
  static const std::string kLongCommand = "a-command-name-of-thirty-characters";
  table.Add(Spec(kLongCommand, 1));
  EXPECT_EQ(table.Find(kLongCommand)->name, kLongCommand);
  EXPECT_EQ(table.Find(kLongCommand)->name, kLongCommand);
  EXPECT_EQ(table.Find(std::string(200, 'a')), nullptr);
  EXPECT_EQ(table.Find("GET")->name, "get");
}

TEST(CommandTableTest, AddingAfterLookupsIsSeen) {
  CommandTable table;
  table.Add(Spec("get", 2));
  EXPECT_EQ(table.Find("GET")->arity, 2);
  EXPECT_EQ(table.Find("SET"), nullptr);
  table.Add(Spec("set", -3));
  ASSERT_NE(table.Find("SET"), nullptr);
  EXPECT_EQ(table.Find("SET")->arity, -3);
  // A command registered again under the same name replaces the one Find had answered.
  table.Add(Spec("get", -2));
  EXPECT_EQ(table.Find("GET")->arity, -2);
  EXPECT_EQ(table.Find("get")->arity, -2);
}

}  // namespace
}  // namespace sluice
