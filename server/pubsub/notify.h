// Keyspace notifications: families call NotifyKeyspaceEvent after each write Redis notifies,
// with the event class and Redis's event name, e.g.
//   NotifyKeyspaceEvent(ctx.server, kNotifyList, "lpush", key, ctx.db.index());
// It costs a load and a bit test while notify-keyspace-events leaves the class off.
//
// Event names Redis 7.0 publishes for the families still to be wired:
//   hash:   hset (HSET, HSETNX, HMSET), hdel, hincrby, hincrbyfloat; "del" when a hash empties
//   set:    sadd, srem, spop, sinterstore, sunionstore, sdiffstore (a *STORE with an empty
//           result deletes the destination: "del"), SMOVE as srem on the source ("del" if it
//           empties) then sadd on the destination; "del" when a set empties
//   zset:   zadd, zincr (ZADD INCR, ZINCRBY), zrem, zpopmin, zpopmax, zremrangebyscore,
//           zremrangebyrank, zremrangebylex, zunionstore, zinterstore, zdiffstore,
//           zrangestore (an empty result: "del"); "del" when a sorted set empties
//   stream: xadd, xtrim, xdel, xsetid, xgroup-create, xgroup-destroy, xgroup-createconsumer
//           (also from XREADGROUP, XCLAIM and XAUTOCLAIM when they create the consumer),
//           xgroup-delconsumer, xgroup-setid
// Nothing is published for a write that changed nothing (HSETNX on an existing field, SMOVE
// onto the same set, a range removal that matched nothing).
#pragma once

#include <string_view>

#include "server/core/server.h"
#include "server/pubsub/pubsub.h"
#include "server/pubsub/settings.h"

namespace sluice {

// Publishes the event on __keyspace@<db>__:<key> (class K) and __keyevent@<db>__:<event>
// (class E) when `type_class` is enabled.
void PublishKeyspaceEvent(Server& server, int type_class, std::string_view event,
                          std::string_view key, int db);

inline void NotifyKeyspaceEvent(Server& server, int type_class, std::string_view event,
                                std::string_view key, int db) {
  if ((server.pubsub().notify_flags() & type_class) == 0) return;
  PublishKeyspaceEvent(server, type_class, event, key, db);
}

}  // namespace sluice
