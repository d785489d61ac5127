#include "server/pubsub/pubsub.h"

#include <algorithm>
#include <cinttypes>

#include "server/core/log.h"
#include "server/core/server.h"
#include "server/core/session.h"
#include "server/pubsub/notify.h"
#include "server/util/glob.h"
#include "server/util/numbers.h"

namespace sluice {
namespace {

// The shared frame buffer keeps at most this much capacity between publishes, so one huge
// message does not pin its size for the server's lifetime.
constexpr size_t kKeptFrameCapacity = 64 * 1024;

void AppendBulk(std::string* out, std::string_view s) {
  char digits[kInt64BufferSize];
  out->push_back('$');
  out->append(digits, FormatInt64(static_cast<int64_t>(s.size()), digits));
  out->append("\r\n");
  out->append(s);
  out->append("\r\n");
}

std::vector<std::string_view> SplitSpaces(const std::string& text) {
  std::vector<std::string_view> words;
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    size_t end = rest.find(' ');
    words.push_back(rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  }
  return words;
}

}  // namespace

bool PubSub::OrderedNames::Insert(std::string_view name) {
  if (index_.count(name)) return false;
  items_.emplace_back(name);
  auto it = std::prev(items_.end());
  index_.emplace(std::string_view(*it), it);
  return true;
}

bool PubSub::OrderedNames::Erase(std::string_view name) {
  auto found = index_.find(name);
  if (found == index_.end()) return false;
  auto it = found->second;
  index_.erase(found);
  items_.erase(it);
  return true;
}

PubSub::PubSub(Server& server) : server_(server) {
  Config& config = server.config();
  config.OnChange("notify-keyspace-events", [this](const Config::Param& p) {
    int flags = 0;
    if (ParseNotifyFlags(p.value, &flags)) notify_flags_ = flags;
  });
  config.OnChange("client-output-buffer-limit", [this](const Config::Param& p) {
    OutputBufferLimits limits;
    std::string error;
    if (!ParseOutputBufferLimits(SplitSpaces(p.value), &limits, &error)) return;
    limits_ = limits;
    limits_active_ = false;
    for (const OutputBufferLimit& l : limits_.by_class) {
      if (l.hard_bytes != 0 || l.soft_bytes != 0) limits_active_ = true;
    }
  });
  server.AddSessionCloseHook([this](Session* s) { Forget(s); });
  server.AddSessionResetHook([this](Session* s) { Forget(s); });
}

PubSub::~PubSub() = default;

PubSub::Client* PubSub::ClientOf(const Session* session) const {
  auto it = clients_.find(session);
  return it == clients_.end() ? nullptr : it->second.get();
}

void PubSub::UpdateCount(Client* client) {
  size_t total = 0;
  for (const OrderedNames& names : client->names) total += names.size();
  client->session->subscription_count = total;
  if (total == 0) clients_.erase(client->session);
}

bool PubSub::Subscribe(Session* session, Kind kind, std::string_view name) {
  auto& slot = clients_[session];
  if (!slot) {
    slot = std::make_unique<Client>();
    slot->session = session;
  }
  Client* client = slot.get();
  int k = static_cast<int>(kind);
  if (!client->names[k].Insert(name)) return false;
  auto it = by_name_[k].find(name);
  if (it == by_name_[k].end())
    it = by_name_[k].emplace(std::string(name), std::vector<Client*>()).first;
  it->second.push_back(client);
  UpdateCount(client);
  return true;
}

bool PubSub::Unsubscribe(Session* session, Kind kind, std::string_view name) {
  Client* client = ClientOf(session);
  int k = static_cast<int>(kind);
  if (client == nullptr || !client->names[k].Erase(name)) return false;
  auto it = by_name_[k].find(name);
  if (it != by_name_[k].end()) {
    auto& list = it->second;
    auto pos = std::find(list.begin(), list.end(), client);
    if (pos != list.end()) list.erase(pos);
    if (list.empty()) by_name_[k].erase(it);
  }
  UpdateCount(client);
  return true;
}

std::vector<std::string> PubSub::SubscriptionsOf(const Session* session, Kind kind) const {
  Client* client = ClientOf(session);
  if (client == nullptr) return {};
  const auto& items = client->names[static_cast<int>(kind)].items();
  return std::vector<std::string>(items.begin(), items.end());
}

size_t PubSub::CountOf(const Session* session, Kind kind) const {
  Client* client = ClientOf(session);
  return client == nullptr ? 0 : client->names[static_cast<int>(kind)].size();
}

void PubSub::Forget(Session* session) {
  Client* client = ClientOf(session);
  if (client == nullptr) return;
  for (Kind kind : {Kind::kChannel, Kind::kPattern, Kind::kShard}) {
    for (const std::string& name : SubscriptionsOf(session, kind)) {
      Unsubscribe(session, kind, name);
      if (ClientOf(session) == nullptr) return;  // the last one removed the client
    }
  }
}

std::string_view PubSub::EncodeBody(std::string_view kind, std::string_view a, std::string_view b,
                                    std::string_view c, bool four) {
  frame_.clear();
  frame_.reserve(48 + kind.size() + a.size() + b.size() + c.size());
  frame_.append(four ? "4\r\n" : "3\r\n");
  AppendBulk(&frame_, kind);
  AppendBulk(&frame_, a);
  AppendBulk(&frame_, b);
  if (four) AppendBulk(&frame_, c);
  return frame_;
}

void PubSub::Deliver(Client* client, std::string_view body) {
  Session* session = client->session;
  // A client being disconnected still counts as a receiver (Redis counts it too) but gets no
  // more output.
  if (session->closed()) return;
  std::string& out = session->push_output();
  // Non-empty output is already due to be flushed (or being written), so one schedule suffices.
  if (out.empty()) server_.ScheduleFlush(session);
  out.push_back(session->resp3() ? '>' : '*');
  out.append(body);
  if (limits_active_) EnforceOutputLimit(session);
}

size_t PubSub::Publish(std::string_view channel, std::string_view message) {
  size_t receivers = PublishToClients(channel, message);
  if (publish_observer_) receivers += publish_observer_(channel, message);
  return receivers;
}

size_t PubSub::PublishToClients(std::string_view channel, std::string_view message) {
  size_t receivers = 0;
  auto it = by_name_[0].find(channel);
  if (it != by_name_[0].end()) {
    std::string_view body = EncodeBody("message", channel, message);
    for (Client* client : it->second) {
      Deliver(client, body);
      ++receivers;
    }
  }
  for (auto& [pattern, clients] : by_name_[1]) {
    if (!GlobMatch(pattern, channel)) continue;
    std::string_view body = EncodeBody("pmessage", pattern, channel, message, /*four=*/true);
    for (Client* client : clients) {
      Deliver(client, body);
      ++receivers;
    }
  }
  if (frame_.capacity() > kKeptFrameCapacity) std::string().swap(frame_);
  return receivers;
}

size_t PubSub::PublishShard(std::string_view channel, std::string_view message) {
  auto it = by_name_[2].find(channel);
  if (it == by_name_[2].end()) return 0;
  std::string_view body = EncodeBody("smessage", channel, message);
  size_t receivers = 0;
  for (Client* client : it->second) {
    Deliver(client, body);
    ++receivers;
  }
  if (frame_.capacity() > kKeptFrameCapacity) std::string().swap(frame_);
  return receivers;
}

std::vector<std::string_view> PubSub::ActiveChannels(Kind kind,
                                                     const std::string_view* pattern) const {
  std::vector<std::string_view> out;
  for (const auto& [name, clients] : by_name_[static_cast<int>(kind)]) {
    if (pattern == nullptr || GlobMatch(*pattern, name)) out.push_back(name);
  }
  return out;
}

size_t PubSub::SubscriberCount(Kind kind, std::string_view channel) const {
  const Subscribers& map = by_name_[static_cast<int>(kind)];
  auto it = map.find(channel);
  return it == map.end() ? 0 : it->second.size();
}

bool PubSub::EnforceOutputLimit(Session* session) {
  if (!limits_active_ || session->closed()) return false;
  ClientClass cls = session->subscription_count > 0 ? ClientClass::kPubSub : ClientClass::kNormal;
  const OutputBufferLimit& limit = limits_.of(cls);
  if (limit.hard_bytes == 0 && limit.soft_bytes == 0) return false;
  net::Connection* conn = session->connection();
  // Replies held back for durability count too: they are memory the client makes us keep.
  auto used =
      static_cast<int64_t>((conn != nullptr ? conn->pending_output() : session->output().size()) +
                           session->held_output_size());
  bool over = limit.hard_bytes != 0 && used >= limit.hard_bytes;
  if (limit.soft_bytes != 0 && used >= limit.soft_bytes) {
    // The soft limit tolerates bursts: only output that stays above it for longer than
    // soft_seconds (judged whenever output is added) gets the client disconnected.
    int64_t now = server_.now_ms();
    if (session->output_soft_limit_since_ms == 0) {
      session->output_soft_limit_since_ms = now;
    } else if (now - session->output_soft_limit_since_ms > limit.soft_seconds * 1000) {
      over = true;
    }
  } else {
    session->output_soft_limit_since_ms = 0;
  }
  if (!over) return false;
  LogWarning("Client id=%" PRIu64
             " addr=%s laddr=%s name=%s db=%d sub=%zu psub=%zu ssub=%zu "
             "omem=%" PRId64
             " cmd=%.*s scheduled to be closed ASAP for overcoming of output buffer "
             "limits.",
             session->id(), conn != nullptr ? conn->peer().c_str() : "",
             conn != nullptr ? conn->local().c_str() : "", session->name().c_str(),
             session->db_index(), CountOf(session, Kind::kChannel),
             CountOf(session, Kind::kPattern), CountOf(session, Kind::kShard), used,
             static_cast<int>(session->last_command().size()), session->last_command().data());
  session->Kill();
  return true;
}

void PublishKeyspaceEvent(Server& server, int /*type_class*/, std::string_view event,
                          std::string_view key, int db) {
  int flags = server.pubsub().notify_flags();
  PubSub& pubsub = server.pubsub();
  std::string channel;
  channel.reserve(24 + std::max(key.size(), event.size()));
  if (flags & kNotifyKeyspace) {
    channel.append("__keyspace@").append(std::to_string(db)).append("__:").append(key);
    pubsub.PublishToClients(channel, event);
  }
  if (flags & kNotifyKeyevent) {
    channel.clear();
    channel.append("__keyevent@").append(std::to_string(db)).append("__:").append(event);
    pubsub.PublishToClients(channel, key);
  }
}

}  // namespace sluice
