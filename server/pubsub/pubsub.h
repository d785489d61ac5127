// The pub/sub registry: which clients listen on which channels, patterns and shard channels,
// and the delivery of published messages to them.
//
// A published message is encoded once: the frame's bytes after its first byte are the same in
// RESP2 (an array, '*') and RESP3 (a push, '>'), so each subscriber gets the type byte of its
// protocol followed by one shared body, appended to its output as is.
//
// Subscribers that stop reading are the other concern here: client-output-buffer-limit gives
// each client class (normal, replica, pubsub) a hard limit and a soft limit with a grace period;
// a client over them is disconnected so it cannot make the server hold unbounded output.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/pubsub/settings.h"
#include "server/util/string_hash.h"

namespace sluice {

class Server;
class Session;

class PubSub {
 public:
  enum class Kind { kChannel = 0, kPattern = 1, kShard = 2 };

  explicit PubSub(Server& server);
  ~PubSub();
  PubSub(const PubSub&) = delete;
  PubSub& operator=(const PubSub&) = delete;

  // Adds a subscription; false when the session already had it.
  bool Subscribe(Session* session, Kind kind, std::string_view name);
  // Removes a subscription; false when the session did not have it.
  bool Unsubscribe(Session* session, Kind kind, std::string_view name);
  // The session's subscriptions of one kind, oldest first.
  std::vector<std::string> SubscriptionsOf(const Session* session, Kind kind) const;
  size_t CountOf(const Session* session, Kind kind) const;
  // Drops every subscription of the session without replying (RESET, disconnect).
  void Forget(Session* session);

  // Delivers to the channel's subscribers and to every client whose pattern matches it, then
  // to the publish observer (queues bound with QBIND). Returns the number of deliveries (a
  // client with a channel and a matching pattern counts twice, as in Redis; each bound queue
  // counts once).
  size_t Publish(std::string_view channel, std::string_view message);
  // Subscribed clients only: keyspace notifications, which must not write to the dataset while
  // the write that caused them is still in progress.
  size_t PublishToClients(std::string_view channel, std::string_view message);
  // Durable pub/sub: called for every PUBLISH; returns how many receivers it added.
  using PublishObserver = std::function<size_t(std::string_view channel, std::string_view message)>;
  void SetPublishObserver(PublishObserver observer) { publish_observer_ = std::move(observer); }
  // SPUBLISH: shard channel subscribers only.
  size_t PublishShard(std::string_view channel, std::string_view message);

  // Channels (kChannel or kShard) with at least one subscriber, matching `pattern` unless it is
  // null.
  std::vector<std::string_view> ActiveChannels(Kind kind, const std::string_view* pattern) const;
  size_t SubscriberCount(Kind kind, std::string_view channel) const;
  // For INFO stats: pubsub_channels, pubsub_patterns, pubsubshard_channels.
  size_t channel_count() const { return by_name_[0].size(); }
  size_t pattern_count() const { return by_name_[1].size(); }
  size_t shard_channel_count() const { return by_name_[2].size(); }

  // notify-keyspace-events as class bits (see settings.h), kept current by a config callback.
  int notify_flags() const { return notify_flags_; }

  // Checks the session's pending output against its class's client-output-buffer-limit and
  // disconnects it (with a log line, as Redis) when over. Returns true if it was disconnected.
  bool EnforceOutputLimit(Session* session);
  const OutputBufferLimits& output_limits() const { return limits_; }

 private:
  // Names in subscription order with O(1) membership.
  class OrderedNames {
   public:
    bool Insert(std::string_view name);
    bool Erase(std::string_view name);
    size_t size() const { return index_.size(); }
    const std::list<std::string>& items() const { return items_; }

   private:
    std::list<std::string> items_;
    std::unordered_map<std::string_view, std::list<std::string>::iterator> index_;
  };

  struct Client {
    Session* session;
    OrderedNames names[3];
  };

  using Subscribers =
      std::unordered_map<std::string, std::vector<Client*>, StringHash, std::equal_to<>>;

  Client* ClientOf(const Session* session) const;
  void UpdateCount(Client* client);
  // Appends a frame body (everything after the type byte) to the client's output.
  void Deliver(Client* client, std::string_view body);
  // Encodes [kind, a, b(, c)] without the leading type byte into the shared buffer.
  std::string_view EncodeBody(std::string_view kind, std::string_view a, std::string_view b,
                              std::string_view c = {}, bool four = false);

  Server& server_;
  std::unordered_map<const Session*, std::unique_ptr<Client>> clients_;
  Subscribers by_name_[3];  // channel, pattern, shard channel -> clients in subscription order
  int notify_flags_ = 0;
  OutputBufferLimits limits_;
  bool limits_active_ = false;  // any non-zero limit: the check is skipped entirely otherwise
  std::string frame_;
  PublishObserver publish_observer_;
};

}  // namespace sluice
