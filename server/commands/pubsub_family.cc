// Pub/Sub commands: SUBSCRIBE and friends, PUBLISH, SPUBLISH and PUBSUB introspection. The
// registry and the message delivery live in server/pubsub/; this file turns commands into
// registry calls and confirmation replies.
#include <string>
#include <vector>

#include "server/commands/command_table.h"
#include "server/commands/family_util.h"
#include "server/core/server.h"
#include "server/core/session.h"
#include "server/pubsub/pubsub.h"

namespace sluice {
namespace {

using Kind = PubSub::Kind;

// The count a confirmation carries: shard subscriptions are counted on their own, channels and
// patterns together (Redis 7.0).
int64_t ConfirmationCount(const PubSub& pubsub, const Session& session, Kind kind) {
  if (kind == Kind::kShard) return static_cast<int64_t>(pubsub.CountOf(&session, Kind::kShard));
  return static_cast<int64_t>(pubsub.CountOf(&session, Kind::kChannel) +
                              pubsub.CountOf(&session, Kind::kPattern));
}

// [kind, name, count], a push in RESP3. A null name answers an unsubscribe-all that found
// nothing to remove. Confirmations are sent even under CLIENT REPLY OFF, as Redis does.
void ReplyConfirmation(CommandContext& ctx, std::string_view what, const std::string_view* name,
                       Kind kind) {
  ReplyBuilder push(&ctx.session.push_output());
  push.set_resp3(ctx.session.resp3());
  push.PushHeader(3);
  push.Bulk(what);
  if (name != nullptr) {
    push.Bulk(*name);
  } else {
    push.Null();
  }
  push.Integer(ConfirmationCount(ctx.server.pubsub(), ctx.session, kind));
}

void SubscribeGeneric(CommandContext& ctx, Kind kind, std::string_view what) {
  PubSub& pubsub = ctx.server.pubsub();
  for (size_t i = 1; i < ctx.argc(); ++i) {
    std::string_view name = ctx.arg(i);
    pubsub.Subscribe(&ctx.session, kind, name);
    ReplyConfirmation(ctx, what, &name, kind);
  }
}

void UnsubscribeGeneric(CommandContext& ctx, Kind kind, std::string_view what) {
  PubSub& pubsub = ctx.server.pubsub();
  if (ctx.argc() > 1) {
    for (size_t i = 1; i < ctx.argc(); ++i) {
      std::string_view name = ctx.arg(i);
      pubsub.Unsubscribe(&ctx.session, kind, name);
      ReplyConfirmation(ctx, what, &name, kind);
    }
    return;
  }
  // Without arguments: every subscription of this kind, oldest first.
  std::vector<std::string> names = pubsub.SubscriptionsOf(&ctx.session, kind);
  if (names.empty()) {
    ReplyConfirmation(ctx, what, nullptr, kind);
    return;
  }
  for (const std::string& owned : names) {
    std::string_view name = owned;
    pubsub.Unsubscribe(&ctx.session, kind, name);
    ReplyConfirmation(ctx, what, &name, kind);
  }
}

// SUBSCRIBE channel [channel ...]
void CmdSubscribe(CommandContext& ctx) { SubscribeGeneric(ctx, Kind::kChannel, "subscribe"); }

// UNSUBSCRIBE [channel [channel ...]]
void CmdUnsubscribe(CommandContext& ctx) { UnsubscribeGeneric(ctx, Kind::kChannel, "unsubscribe"); }

// PSUBSCRIBE pattern [pattern ...]
void CmdPSubscribe(CommandContext& ctx) { SubscribeGeneric(ctx, Kind::kPattern, "psubscribe"); }

// PUNSUBSCRIBE [pattern [pattern ...]]
void CmdPUnsubscribe(CommandContext& ctx) {
  UnsubscribeGeneric(ctx, Kind::kPattern, "punsubscribe");
}

// SSUBSCRIBE shardchannel [shardchannel ...]
void CmdSSubscribe(CommandContext& ctx) { SubscribeGeneric(ctx, Kind::kShard, "ssubscribe"); }

// SUNSUBSCRIBE [shardchannel [shardchannel ...]]
void CmdSUnsubscribe(CommandContext& ctx) { UnsubscribeGeneric(ctx, Kind::kShard, "sunsubscribe"); }

// PUBLISH channel message
void CmdPublish(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.pubsub().Publish(ctx.arg(1), ctx.arg(2))));
}

// SPUBLISH shardchannel message
void CmdSPublish(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.pubsub().PublishShard(ctx.arg(1), ctx.arg(2))));
}

// PUBSUB CHANNELS / SHARDCHANNELS [pattern]
void ListChannels(CommandContext& ctx, Kind kind) {
  if (ctx.argc() > 3) {
    ctx.reply.Error("ERR unknown subcommand or wrong number of arguments for '" +
                    std::string(ctx.arg(1).substr(0, 128)) + "'. Try PUBSUB HELP.");
    return;
  }
  std::string_view pattern = ctx.argc() == 3 ? ctx.arg(2) : std::string_view();
  std::vector<std::string_view> channels =
      ctx.server.pubsub().ActiveChannels(kind, ctx.argc() == 3 ? &pattern : nullptr);
  ctx.reply.ArrayHeader(channels.size());
  for (std::string_view c : channels) ctx.reply.Bulk(c);
}

// PUBSUB NUMSUB / SHARDNUMSUB [channel ...]
void CountSubscribers(CommandContext& ctx, Kind kind) {
  const PubSub& pubsub = ctx.server.pubsub();
  // A flat array of channel, count pairs in both protocols, as Redis replies.
  ctx.reply.ArrayHeader((ctx.argc() - 2) * 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    ctx.reply.Bulk(ctx.arg(i));
    ctx.reply.Integer(static_cast<int64_t>(pubsub.SubscriberCount(kind, ctx.arg(i))));
  }
}

// PUBSUB CHANNELS [pattern]
void CmdPubSubChannels(CommandContext& ctx) { ListChannels(ctx, Kind::kChannel); }

// PUBSUB SHARDCHANNELS [pattern]
void CmdPubSubShardChannels(CommandContext& ctx) { ListChannels(ctx, Kind::kShard); }

// PUBSUB NUMSUB [channel [channel ...]]
void CmdPubSubNumSub(CommandContext& ctx) { CountSubscribers(ctx, Kind::kChannel); }

// PUBSUB SHARDNUMSUB [shardchannel [shardchannel ...]]
void CmdPubSubShardNumSub(CommandContext& ctx) { CountSubscribers(ctx, Kind::kShard); }

// PUBSUB NUMPAT
void CmdPubSubNumPat(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.pubsub().pattern_count()));
}

// PUBSUB HELP
void CmdPubSubHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CHANNELS [<pattern>]",
      "    Lists the channels that have subscribers, optionally only those matching <pattern>.",
      "NUMPAT",
      "    Counts the distinct patterns clients are subscribed to.",
      "NUMSUB [<channel> ...]",
      "    Counts the subscribers of each <channel> (pattern subscriptions not included).",
      "SHARDCHANNELS [<pattern>]",
      "    Lists the shard channels that have subscribers, optionally only those matching "
      "<pattern>.",
      "SHARDNUMSUB [<shardchannel> ...]",
      "    Counts the subscribers of each <shardchannel>.",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (std::string_view line : kLines) ctx.reply.SimpleString(line);
}

constexpr uint32_t kSubscribeFlags = kCmdPubSub | kCmdNoScript | kCmdLoading | kCmdStale;
constexpr uint32_t kPublishFlags = kCmdPubSub | kCmdLoading | kCmdStale | kCmdFast;
constexpr uint32_t kIntrospectFlags = kCmdPubSub | kCmdLoading | kCmdStale;

CommandSpec PubSubCommand(std::string_view name, int arity, uint32_t flags, std::string_view since,
                          std::string_view summary, std::string_view syntax, CommandHandler handler,
                          std::string_view complexity) {
  return CommandSpec{.name = name,
                     .arity = arity,
                     .flags = flags,
                     .group = "pubsub",
                     .since = since,
                     .summary = summary,
                     .syntax = syntax,
                     .handler = handler,
                     .complexity = complexity};
}

// Shard channels are declared as keys (so a cluster could route them), like Redis does.
CommandSpec WithChannelKeys(CommandSpec spec, int last) {
  spec.first_key = 1;
  spec.last_key = last;
  spec.key_step = 1;
  return spec;
}

}  // namespace

void RegisterPubSubFamily(CommandTable& table) {
  table.Add(PubSubCommand("subscribe", -2, kSubscribeFlags, "2.0.0",
                          "Listens for messages published to channels.", "channel [channel ...]",
                          CmdSubscribe, "O(N) for N channels to subscribe to."));
  table.Add(PubSubCommand("unsubscribe", -1, kSubscribeFlags, "2.0.0",
                          "Stops listening to channels, or to all of them.",
                          "[channel [channel ...]]", CmdUnsubscribe,
                          "O(N) for N channels to unsubscribe from."));
  table.Add(PubSubCommand("psubscribe", -2, kSubscribeFlags, "2.0.0",
                          "Listens for messages published to channels matching glob patterns.",
                          "pattern [pattern ...]", CmdPSubscribe,
                          "O(N) for N patterns to subscribe to."));
  table.Add(PubSubCommand("punsubscribe", -1, kSubscribeFlags, "2.0.0",
                          "Stops listening to patterns, or to all of them.",
                          "[pattern [pattern ...]]", CmdPUnsubscribe,
                          "O(N) for N patterns to unsubscribe from."));
  table.Add(PubSubCommand("publish", 3, kPublishFlags, "2.0.0",
                          "Posts a message to a channel and answers how many clients got it.",
                          "channel message", CmdPublish,
                          "O(N+M): N subscribers of the channel and M subscribed patterns."));
  table.Add(WithChannelKeys(PubSubCommand("ssubscribe", -2, kSubscribeFlags, "7.0.0",
                                          "Listens for messages published to shard channels.",
                                          "shardchannel [shardchannel ...]", CmdSSubscribe,
                                          "O(N) for N shard channels to subscribe to."),
                            -1));
  table.Add(WithChannelKeys(PubSubCommand("sunsubscribe", -1, kSubscribeFlags, "7.0.0",
                                          "Stops listening to shard channels, or to all of them.",
                                          "[shardchannel [shardchannel ...]]", CmdSUnsubscribe,
                                          "O(N) for N shard channels to unsubscribe from."),
                            -1));
  table.Add(WithChannelKeys(
      PubSubCommand("spublish", 3, kPublishFlags, "7.0.0",
                    "Posts a message to a shard channel and answers how many clients got it.",
                    "shardchannel message", CmdSPublish,
                    "O(N): N subscribers of the shard channel."),
      1));

  std::vector<CommandSpec> subs;
  subs.push_back(PubSubCommand("pubsub|channels", -2, kIntrospectFlags, "2.8.0",
                               "Lists the channels that have subscribers.", "[pattern]",
                               CmdPubSubChannels,
                               "O(N) for N active channels, each matched against the pattern."));
  subs.push_back(PubSubCommand("pubsub|numpat", 2, kIntrospectFlags, "2.8.0",
                               "Counts the patterns clients are subscribed to.", "",
                               CmdPubSubNumPat, "O(1)"));
  subs.push_back(PubSubCommand("pubsub|numsub", -2, kIntrospectFlags, "2.8.0",
                               "Counts the subscribers of channels.", "[channel [channel ...]]",
                               CmdPubSubNumSub, "O(N) for N channels asked about."));
  subs.push_back(PubSubCommand("pubsub|shardchannels", -2, kIntrospectFlags, "7.0.0",
                               "Lists the shard channels that have subscribers.", "[pattern]",
                               CmdPubSubShardChannels,
                               "O(N) for N active shard channels, each matched against the "
                               "pattern."));
  subs.push_back(PubSubCommand("pubsub|shardnumsub", -2, kIntrospectFlags, "7.0.0",
                               "Counts the subscribers of shard channels.",
                               "[shardchannel [shardchannel ...]]", CmdPubSubShardNumSub,
                               "O(N) for N shard channels asked about."));
  subs.push_back(PubSubCommand("pubsub|help", 2, kCmdLoading | kCmdStale, "6.2.0",
                               "Lists the PUBSUB subcommands.", "", CmdPubSubHelp, "O(1)"));
  table.Add({.name = "pubsub",
             .arity = -2,
             .group = "pubsub",
             .since = "2.8.0",
             .summary = "A container for commands that inspect pub/sub state.",
             .syntax = "",
             .complexity = "Depends on subcommand.",
             .subcommands = std::move(subs)});
}

}  // namespace sluice
