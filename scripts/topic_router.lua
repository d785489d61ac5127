#!lua name=topic_router
--[[
Topic router: a ROUTEHOOK that fans each pushed message out to the queues subscribed to its
topic, like a topic exchange.

The topic of a message is
  - the string field "topic" of a JSON object payload: {"topic":"orders.created","id":7}
  - otherwise the text before the first ':' of the payload: orders.created:{"id":7}
Topics are dot-separated words. The routing table is the hash <queue>:routes, whose fields are
  - an exact topic:          orders.created
  - a prefix and a wildcard: orders.*  (orders.created, orders.eu.refunded, ...)
  - everything:              *
and whose values are the destination queues, separated by spaces or commas. Every matching
field contributes (most specific first), and each destination gets one copy, with the priority,
group, delay and TTL given to QPUSH. A message whose topic matches nothing, or which has no
topic, stays in the queue it was pushed to, where it can be inspected (QPEEK) or consumed as a
catch-all. The table is read on every push: change it with HSET and HDEL, no reload needed.

Load, route and attach:
  redis-cli -x FUNCTION LOAD REPLACE < scripts/topic_router.lua
  redis-cli HSET events:routes orders.created "billing shipping" "orders.*" audit
  redis-cli QCREATE events ROUTEHOOK topic_router
  redis-cli QPUSH events 'orders.created:{"id":7}'     # one copy each in billing, shipping, audit
  redis-cli QPUSH events '{"topic":"orders.refunded"}'  # audit only
QPUSH replies with the id of the first copy. Destination queues that do not exist are created
with default options; create them first (QCREATE) to give them your own.

Called on every QPUSH to the queue with
  KEYS[1]  the queue
  ARGV[1]  the payload
  ARGV[2]  the priority (0-9)
  ARGV[3]  the group (empty if none)
Returns
  a list of queue keys  each gets a copy; the queue itself only if listed
  nil                   the message is pushed to the queue itself
It only reads (HMGET), so it is registered with the no-writes flag.
]]

local function topic_of(payload)
  if string.match(payload, '^%s*{') then
    local ok, decoded = pcall(cjson.decode, payload)
    if ok and type(decoded) == 'table' and type(decoded.topic) == 'string' then
      return decoded.topic
    end
    return nil
  end
  local colon = string.find(payload, ':', 1, true)
  if colon == nil or colon == 1 then return nil end
  return string.sub(payload, 1, colon - 1)
end

-- The routing-table fields that match `topic`, most specific first:
-- a.b.c, a.b.*, a.*, *
local function patterns_for(topic)
  local patterns = {topic}
  local cut = #topic
  while true do
    local dot = nil
    for i = cut, 1, -1 do
      if string.sub(topic, i, i) == '.' then
        dot = i
        break
      end
    end
    if dot == nil then break end
    table.insert(patterns, string.sub(topic, 1, dot) .. '*')
    cut = dot - 1
  end
  table.insert(patterns, '*')
  return patterns
end

local function topic_router(keys, args)
  local topic = topic_of(args[1])
  if topic == nil or topic == '' then return nil end
  local patterns = patterns_for(topic)
  local destinations = redis.call('HMGET', keys[1] .. ':routes', unpack(patterns))
  local targets, seen = {}, {}
  for i = 1, #patterns do
    local list = destinations[i]
    if list then
      for target in string.gmatch(list, '[^%s,]+') do
        if not seen[target] then
          seen[target] = true
          table.insert(targets, target)
        end
      end
    end
  end
  if #targets == 0 then return nil end
  return targets
end

redis.register_function{
  function_name = 'topic_router',
  callback = topic_router,
  flags = {'no-writes'},
}
