#!lua name=shortest_queue
--[[
Shortest-queue balancer: a ROUTEHOOK that sends each pushed message to the least loaded of a
pool of queues, for example one queue per worker, region or tenant shard.

The pool is the list <queue>:pool (in order; RPUSH and LREM change it, no reload needed). For
each push the hook asks every pool queue for its QLEN (its ready messages) and picks the
shortest, the earliest in the pool on a tie. Two exceptions:
  - Messages of a GROUP all go to one queue of the pool, chosen by a hash of the group name:
    order within a group holds only inside one queue, so a group must not be spread. (Changing
    the pool moves some groups to other queues; do it while their messages are drained.)
  - With an empty or missing pool the message stays in the queue it was pushed to.
Each pushed message goes to exactly one queue, keeping its priority, delay, TTL and group.

Load, fill the pool and attach:
  redis-cli -x FUNCTION LOAD REPLACE < scripts/shortest_queue.lua
  redis-cli RPUSH work:pool work:a work:b work:c
  redis-cli QCREATE work ROUTEHOOK shortest_queue
  redis-cli QPUSH work job-1                 # lands in the shortest of work:a, work:b, work:c
  redis-cli QPOP BLOCK 0 FROM work:b         # a worker consumes its own queue
Pool queues that do not exist are created with default options on their first message; create
them first (QCREATE) to give them your own.

Called on every QPUSH to the queue with
  KEYS[1]  the queue
  ARGV[1]  the payload
  ARGV[2]  the priority (0-9)
  ARGV[3]  the group (empty if none)
Returns
  {queue}  the one pool queue that gets the message
  nil      the message is pushed to the queue itself (empty pool)
It only reads (LRANGE, QLEN), so it is registered with the no-writes flag.
]]

-- A stable hash of a string into [0, 2^31 - 1), the same on every server and every run.
local function hash(text)
  local h = 0
  for i = 1, #text do
    h = (h * 31 + string.byte(text, i)) % 2147483647
  end
  return h
end

local function shortest_queue(keys, args)
  local pool = redis.call('LRANGE', keys[1] .. ':pool', 0, -1)
  if #pool == 0 then return nil end
  local group = args[3] or ''
  if group ~= '' then return {pool[hash(group) % #pool + 1]} end
  local best, best_len = nil, nil
  for _, queue in ipairs(pool) do
    local len = redis.call('QLEN', queue)
    if best_len == nil or len < best_len then
      best, best_len = queue, len
    end
  end
  return {best}
end

redis.register_function{
  function_name = 'shortest_queue',
  callback = shortest_queue,
  flags = {'no-writes'},
}
