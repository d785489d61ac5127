#!lua name=backoff_by_error
--[[
Exponential backoff by error class: a RETRYHOOK.

Decides when a failed message is tried again from the error its consumer reported:

  class        matched in the error text (case-insensitive)           first retry  at most
  rate-limit   "rate limit", "ratelimit", "too many requests", "429",  5 s          5 min
               "throttl", "quota"
  transient    "timeout", "timed out", "connection reset",             100 ms       5 s
               "connection refused", "econnreset", "econnrefused",
               "temporarily unavailable", "try again", "503"

The n-th failed delivery waits base * 2^(n-1) ms, capped at the class's maximum. A rate-limit
error that says how long to wait ("retry-after=30", "Retry after 30") is retried after that
many seconds instead, still capped. Classes are tried top to bottom; edit CLASSES below to add
your own and load the library again with FUNCTION LOAD REPLACE.

Everything else keeps the queue's own policy (its BACKOFF and JITTER): errors of no class,
failures without an error text, and expired leases (reason `timeout`, where the last error is
from an earlier attempt). The queue's MAXDELIVERIES is honoured: once a message has been
delivered that many times the hook steps aside and the queue dead-letters it (reason
`maxdeliveries`).

Load and attach:
  redis-cli -x FUNCTION LOAD REPLACE < scripts/backoff_by_error.lua
  redis-cli QCREATE jobs RETRYHOOK backoff_by_error MAXDELIVERIES 10 DEADLETTER jobs:dead
  (or, for an existing queue: QCONFIG jobs SET retryhook backoff_by_error)
Consumers report the error with QNACK:
  redis-cli QNACK jobs <id> ERROR "HTTP 429 Too Many Requests"

Called on every failed delivery (a QNACK without DELAY or DEAD, or an expired lease) with
  KEYS[1]  the queue
  ARGV[1]  the message id
  ARGV[2]  the payload
  ARGV[3]  the delivery count, the failed delivery included (1 after the first failure)
  ARGV[4]  why it failed: `nack` or `timeout`
  ARGV[5]  the message's last error (the QNACK ERROR text; empty if there is none)
Returns
  {'retry', ms}  ready again after ms milliseconds
  nil            the queue's built-in policy decides
It only reads (QINFO), so it is registered with the no-writes flag.
]]

local CLASSES = {
  {
    name = 'rate-limit',
    base_ms = 5000,
    max_ms = 300000,
    patterns = {'rate limit', 'ratelimit', 'too many requests', '429', 'throttl', 'quota'},
    honour_retry_after = true,
  },
  {
    name = 'transient',
    base_ms = 100,
    max_ms = 5000,
    patterns = {
      'timeout', 'timed out', 'connection reset', 'connection refused', 'econnreset',
      'econnrefused', 'temporarily unavailable', 'try again', '503',
    },
  },
}

local function classify(error_text)
  local text = string.lower(error_text)
  for _, class in ipairs(CLASSES) do
    for _, pattern in ipairs(class.patterns) do
      if string.find(text, pattern, 1, true) then return class, text end
    end
  end
  return nil, text
end

-- The queue's MAXDELIVERIES (0: unlimited), read from QINFO (a flat list of names and values).
local function max_deliveries(queue)
  local info = redis.call('QINFO', queue)
  for i = 1, #info - 1, 2 do
    if info[i] == 'maxdeliveries' then return tonumber(info[i + 1]) or 0 end
  end
  return 0
end

local function backoff_by_error(keys, args)
  local deliveries = tonumber(args[3]) or 1
  local reason, last_error = args[4], args[5] or ''
  if reason ~= 'nack' or last_error == '' then return nil end
  local class, text = classify(last_error)
  if class == nil then return nil end
  local limit = max_deliveries(keys[1])
  if limit > 0 and deliveries >= limit then return nil end
  local delay
  if class.honour_retry_after then
    local seconds = string.match(text, 'retry[%- ]after[=: ]*(%d+)')
    if seconds then delay = tonumber(seconds) * 1000 end
  end
  if delay == nil then
    delay = class.base_ms
    for _ = 2, deliveries do
      if delay >= class.max_ms then break end
      delay = delay * 2
    end
  end
  return {'retry', math.min(delay, class.max_ms)}
end

redis.register_function{
  function_name = 'backoff_by_error',
  callback = backoff_by_error,
  flags = {'no-writes'},
}
