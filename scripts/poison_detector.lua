#!lua name=poison_detector
--[[
Poison-message detector: a RETRYHOOK that dead-letters messages no retry can fix.

A message is poison when its consumer rejects it for what it is rather than for the state of
the world: it cannot be parsed, fails validation, or keeps killing the consumers that take it.
Retrying such a message only delays the queue and hides the problem; this hook sends it to the
queue's DEADLETTER queue at once, where QGET shows its payload, origin, delivery count and last
error, and QREDRIVE sends it back once the consumer is fixed.

  dead reason  when
  poison       a QNACK whose ERROR text contains one of POISON_ERRORS (case-insensitive),
               on any delivery
  lost-leases  the lease expired (reason `timeout`) for the LOST_LEASES-th time and no
               consumer ever gave an error: every consumer that took it died or hung

Everything else keeps the queue's own policy (BACKOFF, JITTER, MAXDELIVERIES). Edit
POISON_ERRORS and LOST_LEASES below and load the library again with FUNCTION LOAD REPLACE.
Give the queue a DEADLETTER queue: without one, a dead message is dropped (and counted in
QINFO's `dropped`).

Load and attach:
  redis-cli -x FUNCTION LOAD REPLACE < scripts/poison_detector.lua
  redis-cli QCREATE orders RETRYHOOK poison_detector DEADLETTER orders:dead
Consumers report the error with QNACK:
  redis-cli QNACK orders <id> ERROR "invalid JSON at byte 17"
  redis-cli QGET orders:dead <dead-id>     # dead-reason: poison, origin: orders

Called on every failed delivery (a QNACK without DELAY or DEAD, or an expired lease) with
  KEYS[1]  the queue
  ARGV[1]  the message id
  ARGV[2]  the payload
  ARGV[3]  the delivery count, the failed delivery included (1 after the first failure)
  ARGV[4]  why it failed: `nack` or `timeout`
  ARGV[5]  the message's last error (the QNACK ERROR text; empty if there is none)
Returns
  {'dead', 'poison'} or {'dead', 'lost-leases'}  to the dead-letter queue with that reason
  nil                                            the queue's built-in policy decides
It calls no commands, so it is registered with the no-writes flag.
]]

local POISON_ERRORS = {
  'parse error', 'cannot parse', 'invalid json', 'malformed', 'validation failed',
  'schema', 'unsupported version', 'unknown message type', 'poison',
}
local LOST_LEASES = 3

local function poison_detector(keys, args)
  local deliveries = tonumber(args[3]) or 1
  local reason, last_error = args[4], args[5] or ''
  if reason == 'nack' and last_error ~= '' then
    local text = string.lower(last_error)
    for _, pattern in ipairs(POISON_ERRORS) do
      if string.find(text, pattern, 1, true) then return {'dead', 'poison'} end
    end
  elseif reason == 'timeout' and last_error == '' and deliveries >= LOST_LEASES then
    return {'dead', 'lost-leases'}
  end
  return nil
end

redis.register_function{
  function_name = 'poison_detector',
  callback = poison_detector,
  flags = {'no-writes'},
}
