#include "server/commands/command_table.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <string>

namespace sluice {
namespace {

constexpr size_t kMaxCommandName = 64;

// Lower-cases into a stack buffer; returns an empty view when the name is too long to be ours.
// ASCII only, as the "C" locale's tolower (the server never sets another), without a call per
// character: every command goes through here.
std::string_view Lower(std::string_view name, char* buf) {
  if (name.size() > kMaxCommandName) return {};
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    buf[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return {buf, name.size()};
}

}  // namespace

CommandTable::CommandTable() = default;

void CommandTable::Add(CommandSpec spec) {
  auto owned = std::make_unique<CommandSpec>(std::move(spec));
  by_name_[owned->name] = owned.get();
  specs_.push_back(std::move(owned));
  for (auto& entry : name_cache_) entry = {};
}

void CommandTable::AddSimple(std::string_view group, std::string_view name, int arity,
                             uint32_t flags, int first, int last, int step, std::string_view since,
                             std::string_view summary, std::string_view syntax,
                             CommandHandler handler, std::string_view complexity,
                             KeyFinder key_finder) {
  Add({.name = name,
       .arity = arity,
       .flags = flags,
       .first_key = first,
       .last_key = last,
       .key_step = step,
       .group = group,
       .since = since,
       .summary = summary,
       .syntax = syntax,
       .handler = handler,
       .key_finder = key_finder,
       .complexity = complexity});
}

const CommandSpec* CommandTable::Find(std::string_view name) const {
  if (name.empty() || name.size() > NameMemo<const CommandSpec*>::kMaxName) {
    return FindFolded(name);
  }
  // The length and the first two and last two characters, mixed by a multiplicative hash, tell
  // the few names in use apart; two sharing a slot only cost each other a miss.
  const size_t n = name.size();
  auto at = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(name[i])); };
  uint32_t mix = at(0) | at(n > 1 ? 1 : 0) << 8 | at(n > 1 ? n - 2 : 0) << 16 | at(n - 1) << 24;
  mix = (mix ^ static_cast<uint32_t>(n)) * 2654435761u;
  static_assert(kNameCacheSize == 64);
  NameMemo<const CommandSpec*>& entry = name_cache_[mix >> 26];
  if (entry.Matches(name)) return entry.value;
  const CommandSpec* spec = FindFolded(name);
  if (spec != nullptr) entry.Remember(name, spec);
  return spec;
}

const CommandSpec* CommandTable::FindFolded(std::string_view name) const {
  char buf[kMaxCommandName];
  std::string_view lower = Lower(name, buf);
  if (lower.empty()) return nullptr;
  auto it = by_name_.find(lower);
  return it == by_name_.end() ? nullptr : it->second;
}

const CommandSpec* CommandTable::FindSubcommand(const CommandSpec& container,
                                                std::string_view name) {
  char buf[kMaxCommandName];
  std::string_view lower = Lower(name, buf);
  if (lower.empty()) return nullptr;
  for (const CommandSpec& sub : container.subcommands) {
    std::string_view sub_name = sub.name.substr(sub.name.find('|') + 1);
    if (sub_name == lower) return &sub;
  }
  return nullptr;
}

void CommandSpec::KeyPositions(ArgList args, std::vector<size_t>* out) const {
  out->clear();
  if (key_finder != nullptr) {
    key_finder(args, out);
    return;
  }
  if (first_key <= 0) return;
  int argc = static_cast<int>(args.size());
  int last = last_key >= 0 ? last_key : argc + last_key;
  int step = key_step > 0 ? key_step : 1;
  for (int i = first_key; i <= last && i < argc; i += step) out->push_back(static_cast<size_t>(i));
}

std::vector<std::string_view> FlagNames(uint32_t flags) {
  // The order COMMAND INFO lists them in.
  static constexpr std::pair<uint32_t, std::string_view> kNames[] = {
      {kCmdWrite, "write"},
      {kCmdReadOnly, "readonly"},
      {kCmdDenyOom, "denyoom"},
      {kCmdAdmin, "admin"},
      {kCmdPubSub, "pubsub"},
      {kCmdNoScript, "noscript"},
      {kCmdBlocking, "blocking"},
      {kCmdLoading, "loading"},
      {kCmdStale, "stale"},
      {kCmdSkipMonitor, "skip_monitor"},
      {kCmdSkipSlowlog, "skip_slowlog"},
      {kCmdFast, "fast"},
      {kCmdNoAuth, "no_auth"},
      {kCmdNoMulti, "no_multi"},
      {kCmdMovableKeys, "movablekeys"},
      {kCmdAllowBusy, "allow_busy"},
  };
  std::vector<std::string_view> names;
  for (const auto& [bit, name] : kNames) {
    if (flags & bit) names.push_back(name);
  }
  return names;
}

std::vector<std::string_view> AclCategories(const CommandSpec& spec) {
  // Every category, in the order Redis reports them; a command's categories are a subset.
  static constexpr std::string_view kOrder[] = {
      "@keyspace",   "@read",        "@write",     "@set",         "@sortedset", "@list",
      "@hash",       "@string",      "@bitmap",    "@hyperloglog", "@geo",       "@stream",
      "@pubsub",     "@admin",       "@fast",      "@slow",        "@blocking",  "@dangerous",
      "@connection", "@transaction", "@scripting", "@queue",
  };
  std::vector<std::string_view> wanted;
  // A container (CONFIG, CLIENT) is only a name: its subcommands carry the categories.
  if (spec.is_container() && spec.handler == nullptr) return {"@slow"};
  if (spec.flags & kCmdWrite) wanted.push_back("@write");
  if (spec.flags & kCmdReadOnly) wanted.push_back("@read");
  if (spec.flags & kCmdAdmin) {
    wanted.push_back("@admin");
    wanted.push_back("@dangerous");
  }
  if (spec.flags & kCmdPubSub) wanted.push_back("@pubsub");
  wanted.push_back(spec.flags & kCmdFast ? "@fast" : "@slow");
  if (spec.flags & kCmdBlocking) wanted.push_back("@blocking");
  static constexpr std::pair<std::string_view, std::string_view> kGroups[] = {
      {"generic", "@keyspace"},
      {"string", "@string"},
      {"list", "@list"},
      {"hash", "@hash"},
      {"set", "@set"},
      {"sorted-set", "@sortedset"},
      {"stream", "@stream"},
      {"bitmap", "@bitmap"},
      {"hyperloglog", "@hyperloglog"},
      {"geo", "@geo"},
      {"pubsub", "@pubsub"},
      {"scripting", "@scripting"},
      {"transactions", "@transaction"},
      {"connection", "@connection"},
      {"queue", "@queue"},
  };
  for (const auto& [group, cat] : kGroups) {
    if (spec.group == group) wanted.push_back(cat);
  }
  std::string_view rest = spec.extra_acl;
  while (!rest.empty()) {
    size_t space = rest.find(' ');
    std::string_view cat = rest.substr(0, space);
    if (!cat.empty()) wanted.push_back(cat);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  }
  std::vector<std::string_view> cats;
  for (std::string_view cat : kOrder) {
    if (std::find(wanted.begin(), wanted.end(), cat) != wanted.end()) cats.push_back(cat);
  }
  // Categories outside the known list keep their given order, after the known ones.
  for (std::string_view cat : wanted) {
    if (std::find(cats.begin(), cats.end(), cat) == cats.end()) cats.push_back(cat);
  }
  return cats;
}

void ReplyCommandInfo(ReplyBuilder& reply, const CommandSpec& spec) {
  reply.ArrayHeader(10);
  reply.Bulk(spec.name);
  reply.Integer(spec.arity);
  uint32_t flags = spec.flags;
  if (spec.key_finder != nullptr) flags |= kCmdMovableKeys;
  auto flag_names = FlagNames(flags);
  reply.SetHeader(flag_names.size());
  for (auto f : flag_names) reply.SimpleString(f);
  reply.Integer(spec.first_key);
  reply.Integer(spec.last_key);
  reply.Integer(spec.key_step);
  auto cats = AclCategories(spec);
  reply.SetHeader(cats.size());
  for (auto c : cats) reply.SimpleString(c);
  reply.SetHeader(0);  // tips
  // Key specifications: one range spec derived from first/last/step. The access flags are the
  // conservative ones (a write command may read, change and return its keys).
  if (spec.first_key > 0) {
    reply.SetHeader(1);
    reply.MapHeader(3);
    reply.Bulk("flags");
    if (spec.flags & kCmdWrite) {
      reply.SetHeader(3);
      reply.SimpleString("RW");
      reply.SimpleString("access");
      reply.SimpleString("update");
    } else if (spec.flags & kCmdReadOnly) {
      reply.SetHeader(2);
      reply.SimpleString("RO");
      reply.SimpleString("access");
    } else {
      reply.SetHeader(1);
      reply.SimpleString("RO");
    }
    reply.Bulk("begin_search");
    reply.MapHeader(2);
    reply.Bulk("type");
    reply.Bulk("index");
    reply.Bulk("spec");
    reply.MapHeader(1);
    reply.Bulk("index");
    reply.Integer(spec.first_key);
    reply.Bulk("find_keys");
    reply.MapHeader(2);
    reply.Bulk("type");
    reply.Bulk("range");
    reply.Bulk("spec");
    reply.MapHeader(3);
    reply.Bulk("lastkey");
    reply.Integer(spec.last_key >= 0 ? spec.last_key - spec.first_key : spec.last_key);
    reply.Bulk("keystep");
    reply.Integer(spec.key_step);
    reply.Bulk("limit");
    reply.Integer(0);
  } else {
    reply.SetHeader(0);
  }
  // Redis answers an empty set for "no subcommands" and an array otherwise.
  if (spec.subcommands.empty()) {
    reply.SetHeader(0);
  } else {
    reply.ArrayHeader(spec.subcommands.size());
    for (const CommandSpec& sub : spec.subcommands) ReplyCommandInfo(reply, sub);
  }
}

namespace {

// The argument tree of COMMAND DOCS, parsed from a spec's syntax string.
struct DocArg {
  std::string name;
  std::string type;  // string, integer, double, key, pattern, unix-time, pure-token, oneof, block
  std::string token;
  bool optional = false;
  bool multiple = false;
  std::vector<DocArg> children;
};

class SyntaxParser {
 public:
  explicit SyntaxParser(std::string_view text) : text_(text) {}

  std::vector<DocArg> ParseAll() {
    auto seq = ParseSequence();
    return seq;
  }

 private:
  void SkipSpaces() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
  }

  bool AtSequenceEnd() {
    SkipSpaces();
    return pos_ >= text_.size() || text_[pos_] == ']' || text_[pos_] == '>' || text_[pos_] == '|';
  }

  std::vector<DocArg> ParseSequence() {
    std::vector<DocArg> items;
    while (!AtSequenceEnd()) {
      DocArg item = ParseItem();
      SkipSpaces();
      if (text_.substr(pos_, 3) == "...") {
        pos_ += 3;
        item.multiple = true;
      }
      items.push_back(std::move(item));
      FoldRepetition(&items);
    }
    // A token followed by a single argument, or by a required choice or group, documents as
    // that argument carrying the token (Redis's "TYPE <NORMAL | ...>" is a oneof with a token).
    // An optional token stands alone: "[REPLACE] function-code" is two arguments.
    std::vector<DocArg> merged;
    for (size_t i = 0; i < items.size(); ++i) {
      bool takes_token = !items[i].optional && i + 1 < items.size() &&
                         items[i + 1].type != "pure-token" && items[i + 1].token.empty() &&
                         ((items[i + 1].type != "oneof" && items[i + 1].type != "block") ||
                          (!items[i + 1].optional && !items[i + 1].multiple));
      if (items[i].type == "pure-token" && !items[i].multiple && takes_token) {
        DocArg arg = std::move(items[i + 1]);
        arg.token = items[i].token;
        merged.push_back(std::move(arg));
        ++i;
      } else {
        merged.push_back(std::move(items[i]));
      }
    }
    return merged;
  }

  DocArg Group(std::vector<std::vector<DocArg>> alternatives) {
    DocArg group;
    if (alternatives.size() > 1) {
      group.type = "oneof";
      for (auto& alt : alternatives) group.children.push_back(Collapse(std::move(alt)));
    } else if (alternatives[0].size() == 1) {
      return std::move(alternatives[0][0]);
    } else if (StartsWithToken(alternatives[0])) {
      return TokenBlock(std::move(alternatives[0]));
    } else {
      group.type = "block";
      group.children = std::move(alternatives[0]);
    }
    for (const DocArg& child : group.children) {
      if (!group.name.empty()) group.name += "-";
      group.name += child.name;
      if (group.name.size() > 40) break;
    }
    return group;
  }

  static bool SameArg(const DocArg& a, const DocArg& b) {
    return a.name == b.name && a.type == b.type && a.token == b.token && !a.optional && !a.multiple;
  }

  // "key [key ...]" is one repeated argument and "field value [field value ...]" one repeated
  // block, as Redis documents them: when the last item is an optional repetition of the items
  // just before it, they fold into one item flagged multiple.
  static void FoldRepetition(std::vector<DocArg>* items) {
    DocArg& last = items->back();
    if (!last.optional || items->size() < 2) return;
    std::vector<DocArg> repeated;
    if (last.type == "block" && last.token.empty() && !last.children.empty() &&
        last.children.back().multiple) {
      repeated = last.children;
    } else if (last.multiple && last.type != "block") {
      repeated.push_back(last);
      repeated.back().optional = false;
    } else {
      return;
    }
    repeated.back().multiple = false;
    size_t n = repeated.size();
    if (items->size() < n + 1) return;
    size_t first = items->size() - 1 - n;
    for (size_t i = 0; i < n; ++i) {
      if (!SameArg((*items)[first + i], repeated[i])) return;
    }
    DocArg folded;
    if (n == 1) {
      folded = std::move((*items)[first]);
    } else {
      folded.type = "block";
      folded.name = last.name;
      folded.children.assign(std::make_move_iterator(items->begin() + first),
                             std::make_move_iterator(items->end() - 1));
    }
    folded.multiple = true;
    items->resize(first);
    items->push_back(std::move(folded));
  }

  static bool StartsWithToken(const std::vector<DocArg>& seq) {
    return seq.size() > 1 && seq[0].type == "pure-token" && !seq[0].multiple;
  }

  // "LIMIT offset count": a block named after its leading token, which it carries.
  static DocArg TokenBlock(std::vector<DocArg> seq) {
    DocArg block;
    block.type = "block";
    block.name = seq[0].name;
    block.token = seq[0].token;
    block.children.assign(std::make_move_iterator(seq.begin() + 1),
                          std::make_move_iterator(seq.end()));
    return block;
  }

  DocArg Collapse(std::vector<DocArg> seq) {
    if (seq.size() == 1) return std::move(seq[0]);
    if (StartsWithToken(seq)) return TokenBlock(std::move(seq));
    DocArg block;
    block.type = "block";
    block.name = seq.empty() ? "block" : seq[0].name;
    block.children = std::move(seq);
    return block;
  }

  DocArg ParseItem() {
    char c = text_[pos_];
    if (c == '[' || c == '<') {
      char close = c == '[' ? ']' : '>';
      ++pos_;
      std::vector<std::vector<DocArg>> alternatives;
      alternatives.push_back(ParseSequence());
      SkipSpaces();
      while (pos_ < text_.size() && text_[pos_] == '|') {
        ++pos_;
        alternatives.push_back(ParseSequence());
        SkipSpaces();
      }
      if (pos_ < text_.size() && text_[pos_] == close) ++pos_;
      DocArg group = Group(std::move(alternatives));
      if (c == '[') group.optional = true;
      return group;
    }
    size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != ' ' && text_[pos_] != ']' && text_[pos_] != '>' &&
           text_[pos_] != '|' && text_.substr(pos_, 3) != "...") {
      ++pos_;
    }
    std::string_view word = text_.substr(start, pos_ - start);
    DocArg arg;
    bool upper = !word.empty() && !islower(static_cast<unsigned char>(word[0]));
    if (upper) {
      arg.type = "pure-token";
      arg.token = std::string(word);
      for (char ch : word) arg.name.push_back(static_cast<char>(tolower(ch)));
      return arg;
    }
    // "name:type" declares the type; a colon followed by anything else is part of the name
    // ("ip:port").
    static constexpr std::string_view kTypes[] = {"string", "integer", "double",
                                                  "key",    "pattern", "unix-time"};
    size_t colon = word.rfind(':');
    bool typed =
        colon != std::string_view::npos &&
        std::find(std::begin(kTypes), std::end(kTypes), word.substr(colon + 1)) != std::end(kTypes);
    arg.name = std::string(typed ? word.substr(0, colon) : word);
    if (typed) {
      arg.type = std::string(word.substr(colon + 1));
    } else if (arg.name == "key" || arg.name.ends_with("key") || arg.name == "source" ||
               arg.name == "destination") {
      arg.type = "key";
    } else if (arg.name.ends_with("pattern")) {
      arg.type = "pattern";
    } else {
      arg.type = "string";
    }
    return arg;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

void ReplyDocArgs(ReplyBuilder& reply, const std::vector<DocArg>& args) {
  reply.ArrayHeader(args.size());
  for (const DocArg& arg : args) {
    // The fields and their order are Redis 7.0's (display_text came with 7.2).
    size_t fields = 2;
    bool is_key = arg.type == "key";
    if (is_key) ++fields;
    if (!arg.token.empty()) ++fields;
    bool has_flags = arg.optional || arg.multiple;
    if (has_flags) ++fields;
    if (!arg.children.empty()) ++fields;
    reply.MapHeader(fields);
    reply.Bulk("name");
    reply.Bulk(arg.name);
    reply.Bulk("type");
    reply.Bulk(arg.type);
    if (is_key) {
      reply.Bulk("key_spec_index");
      reply.Integer(0);
    }
    if (!arg.token.empty()) {
      reply.Bulk("token");
      reply.Bulk(arg.token);
    }
    if (has_flags) {
      reply.Bulk("flags");
      reply.SetHeader((arg.optional ? 1 : 0) + (arg.multiple ? 1 : 0));
      if (arg.optional) reply.SimpleString("optional");
      if (arg.multiple) reply.SimpleString("multiple");
    }
    if (!arg.children.empty()) {
      reply.Bulk("arguments");
      ReplyDocArgs(reply, arg.children);
    }
  }
}

}  // namespace

void ReplyCommandDocs(ReplyBuilder& reply, const CommandSpec& spec) {
  std::vector<DocArg> args = SyntaxParser(spec.syntax).ParseAll();
  size_t fields = 3 + (spec.complexity.empty() ? 0 : 1) + (args.empty() ? 0 : 1) +
                  (spec.subcommands.empty() ? 0 : 1);
  reply.MapHeader(fields);
  reply.Bulk("summary");
  reply.Bulk(spec.summary);
  reply.Bulk("since");
  reply.Bulk(spec.since);
  reply.Bulk("group");
  reply.Bulk(spec.group);
  if (!spec.complexity.empty()) {
    reply.Bulk("complexity");
    reply.Bulk(spec.complexity);
  }
  if (!args.empty()) {
    reply.Bulk("arguments");
    ReplyDocArgs(reply, args);
  }
  if (!spec.subcommands.empty()) {
    reply.Bulk("subcommands");
    reply.MapHeader(spec.subcommands.size());
    for (const CommandSpec& sub : spec.subcommands) {
      reply.Bulk(sub.name);
      ReplyCommandDocs(reply, sub);
    }
  }
}

}  // namespace sluice
