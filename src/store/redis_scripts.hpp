// The Lua scripts of RedisStore. Each multi-key write is one script, so Redis
// applies all of it or none of it. Conventions:
// - ARGV[1] is the key prefix wherever a script computes key names.
// - Numbers that may exceed 10^14 (uids, epochs, tokens) travel as decimal
//   strings and are compared as strings or with tonumber (exact below 2^53):
//   Lua 5.1 prints large numbers as "1.7e+15", so a script never turns one
//   back into text except with string.format('%d').
// - A task hash has the fields index, type, status, canceled_by, enq,
//   start, fin (integer microseconds) and payload; absent = not set.
#pragma once

#include <string_view>

namespace miroir::store::redis {

// ARGV: prefix, uid, then field/value pairs of the new record.
inline constexpr std::string_view kPutTaskScript = R"lua(
local p, uid = ARGV[1], ARGV[2]
local key = p .. 'task:' .. uid
local old = redis.call('HMGET', key, 'index', 'type', 'status')
if old[1] then redis.call('ZREM', p .. 'tasks:index:' .. old[1], uid) end
if old[2] then redis.call('ZREM', p .. 'tasks:type:' .. old[2], uid) end
if old[3] then redis.call('ZREM', p .. 'tasks:status:' .. old[3], uid) end
redis.call('DEL', key)
local index, ttype, status
for i = 3, #ARGV, 2 do
  local f = ARGV[i]
  if f == 'index' then index = ARGV[i + 1]
  elseif f == 'type' then ttype = ARGV[i + 1]
  elseif f == 'status' then status = ARGV[i + 1] end
end
redis.call('HSET', key, unpack(ARGV, 3))
redis.call('ZADD', p .. 'tasks', uid, uid)
if index then redis.call('ZADD', p .. 'tasks:index:' .. index, uid, uid) end
redis.call('ZADD', p .. 'tasks:type:' .. ttype, uid, uid)
redis.call('ZADD', p .. 'tasks:status:' .. status, uid, uid)
return 1
)lua";

// ARGV: prefix, uids...  Returns how many existed.
inline constexpr std::string_view kDeleteTasksScript = R"lua(
local p = ARGV[1]
local n = 0
for i = 2, #ARGV do
  local uid = ARGV[i]
  local key = p .. 'task:' .. uid
  local old = redis.call('HMGET', key, 'index', 'type', 'status')
  if old[2] then
    if old[1] then redis.call('ZREM', p .. 'tasks:index:' .. old[1], uid) end
    redis.call('ZREM', p .. 'tasks:type:' .. old[2], uid)
    if old[3] then redis.call('ZREM', p .. 'tasks:status:' .. old[3], uid) end
    redis.call('ZREM', p .. 'tasks', uid)
    redis.call('DEL', key)
    n = n + 1
  end
end
return n
)lua";

// ARGV: prefix, query JSON:
//   uids, index, type, status, canceled_by: arrays of strings (absent = any)
//   ea/eb, sa/sb, fa/fb: exclusive after/before bounds on enq/start/fin (µs)
//   from: uid string; reverse: bool; fetch: limit + 1 as a string.
// Returns {total, next uid or nil, HGETALL of each task of the page...}.
inline constexpr std::string_view kListTasksScript = R"lua(
local p = ARGV[1]
local q = cjson.decode(ARGV[2])
local limit = tonumber(q.fetch) - 1
local page, total = {}, 0
local filtered = q.uids or q.index or q.type or q.status or q.canceled_by or q.ea or q.eb or
                 q.sa or q.sb or q.fa or q.fb
if not filtered then
  -- GET /tasks without filters: one range read, whatever the number of tasks.
  local all = p .. 'tasks'
  total = redis.call('ZCARD', all)
  if q.reverse then
    page = redis.call('ZRANGEBYSCORE', all, q.from or '-inf', '+inf', 'LIMIT', 0, q.fetch)
  else
    page = redis.call('ZREVRANGEBYSCORE', all, q.from or '+inf', '-inf', 'LIMIT', 0, q.fetch)
  end
else
  local function lookup(values)
    if not values then return nil end
    local t = {}
    for _, v in ipairs(values) do t[v] = true end
    return t
  end
  local want_index, want_type = lookup(q.index), lookup(q.type)
  local want_status, want_cb = lookup(q.status), lookup(q.canceled_by)
  -- Candidates: the given uids, or the smallest union of per-value sets.
  local candidates = {}
  if q.uids then
    candidates = q.uids
  else
    local best, best_cost
    for _, dim in ipairs({{'index', q.index}, {'type', q.type}, {'status', q.status}}) do
      if dim[2] then
        local cost = 0
        for _, v in ipairs(dim[2]) do
          cost = cost + redis.call('ZCARD', p .. 'tasks:' .. dim[1] .. ':' .. v)
        end
        if not best_cost or cost < best_cost then best, best_cost = dim, cost end
      end
    end
    if best then
      for _, v in ipairs(best[2]) do
        for _, uid in ipairs(redis.call('ZRANGE', p .. 'tasks:' .. best[1] .. ':' .. v, 0, -1)) do
          candidates[#candidates + 1] = uid
        end
      end
    else
      candidates = redis.call('ZRANGE', p .. 'tasks', 0, -1)
    end
  end
  local function after(v, bound) return bound == nil or (v and tonumber(v) > bound) end
  local function before(v, bound) return bound == nil or (v and tonumber(v) < bound) end
  local matched = {}
  for _, uid in ipairs(candidates) do
    local f = redis.call('HMGET', p .. 'task:' .. uid, 'index', 'type', 'status', 'canceled_by',
                         'enq', 'start', 'fin')
    if f[2] and (not want_index or (f[1] and want_index[f[1]])) and
       (not want_type or want_type[f[2]]) and (not want_status or want_status[f[3]]) and
       (not want_cb or (f[4] and want_cb[f[4]])) and
       after(f[5], q.ea) and before(f[5], q.eb) and after(f[6], q.sa) and before(f[6], q.sb) and
       after(f[7], q.fa) and before(f[7], q.fb) then
      matched[#matched + 1] = {tonumber(uid), uid}
    end
  end
  total = #matched
  if q.reverse then
    table.sort(matched, function(a, b) return a[1] < b[1] end)
  else
    table.sort(matched, function(a, b) return a[1] > b[1] end)
  end
  local from = q.from and tonumber(q.from)
  for _, m in ipairs(matched) do
    if not from or (q.reverse and m[1] >= from) or (not q.reverse and m[1] <= from) then
      page[#page + 1] = m[2]
      if #page > limit then break end
    end
  end
end
local next_uid = false
if #page > limit then
  next_uid = page[#page]
  page[#page] = nil
end
local out = {total, next_uid}
for _, uid in ipairs(page) do out[#out + 1] = redis.call('HGETALL', p .. 'task:' .. uid) end
return out
)lua";

// KEYS: counter. ARGV: the lowest counter value this caller accepts.
inline constexpr std::string_view kNextUidScript = R"lua(
local v = redis.call('INCR', KEYS[1])
if v < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
  return ARGV[1]
end
return v
)lua";

// KEYS: topology hash. ARGV: expected epoch, new epoch, spec, channel.
inline constexpr std::string_view kTopologyCasScript = R"lua(
local cur = redis.call('HGET', KEYS[1], 'epoch') or '0'
if cur ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'epoch', ARGV[2], 'spec', ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[2])
local g = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[5], string.format('%d', g))
return 1
)lua";

// A change of a mirrored hash (indexes, keys) and the state generation in
// one step. KEYS: hash, generation counter. ARGV: op ('set', 'setnx' or
// 'del'), changes channel, field, value. Returns HSET/HSETNX/HDEL's reply;
// the generation moves only when something changed.
inline constexpr std::string_view kHashChangeScript = R"lua(
local r
if ARGV[1] == 'set' then
  r = redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
  r = 1
elseif ARGV[1] == 'setnx' then
  r = redis.call('HSETNX', KEYS[1], ARGV[3], ARGV[4])
else
  r = redis.call('HDEL', KEYS[1], ARGV[3])
end
if r == 0 then return 0 end
local g = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[2], string.format('%d', g))
return r
)lua";

// ARGV: prefix, first uid, end uid (exclusive), finished-before µs, limit.
// Deletes finished tasks of the range that finished before the cutoff, as
// kDeleteTasksScript does; returns how many.
inline constexpr std::string_view kPruneTasksScript = R"lua(
local p = ARGV[1]
local cutoff, limit = tonumber(ARGV[4]), tonumber(ARGV[5])
local uids = redis.call('ZRANGEBYSCORE', p .. 'tasks', ARGV[2], '(' .. ARGV[3])
local n = 0
for _, uid in ipairs(uids) do
  if n >= limit then break end
  local key = p .. 'task:' .. uid
  local f = redis.call('HMGET', key, 'index', 'type', 'status', 'fin')
  local st = f[3]
  if (st == 'succeeded' or st == 'failed' or st == 'canceled') and f[4] and
     tonumber(f[4]) < cutoff then
    if f[1] then redis.call('ZREM', p .. 'tasks:index:' .. f[1], uid) end
    redis.call('ZREM', p .. 'tasks:type:' .. f[2], uid)
    redis.call('ZREM', p .. 'tasks:status:' .. st, uid)
    redis.call('ZREM', p .. 'tasks', uid)
    redis.call('DEL', key)
    n = n + 1
  end
end
return n
)lua";

// KEYS: lease, fence counter. ARGV: holder, ttl ms. Returns the token or nil.
inline constexpr std::string_view kAcquireLeaseScript = R"lua(
local cur = redis.call('GET', KEYS[1])
if cur then
  local sep = string.find(cur, ':', 1, true)
  if sep and string.sub(cur, sep + 1) == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return string.sub(cur, 1, sep - 1)
  end
  return false
end
local token = string.format('%d', redis.call('INCR', KEYS[2]))
redis.call('SET', KEYS[1], token .. ':' .. ARGV[1], 'NX', 'PX', ARGV[2])
return token
)lua";

// KEYS: lease. ARGV: "<token>:<holder>", ttl ms. 1 when renewed.
inline constexpr std::string_view kRenewLeaseScript = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
)lua";

// KEYS: lease. ARGV: "<token>:<holder>".
inline constexpr std::string_view kReleaseLeaseScript = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
)lua";

// KEYS: fence counter, state hash. ARGV: token, 'put' or 'del', field, value.
// Only the scope's newest token may write; a missing counter (Redis lost
// its data) accepts none, so every holder must acquire again.
inline constexpr std::string_view kFencedWriteScript = R"lua(
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == 'put' then
  redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
else
  redis.call('HDEL', KEYS[2], ARGV[3])
end
return 1
)lua";

// KEYS: instance key, instance set. ARGV: JSON, ttl ms, id.
inline constexpr std::string_view kHeartbeatScript = R"lua(
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return 1
)lua";

// KEYS: instance key, instance set. ARGV: id.
inline constexpr std::string_view kLeaveScript = R"lua(
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return 1
)lua";

// KEYS: instance set. ARGV: prefix. Returns the JSON of live instances and
// drops the ids whose heartbeat expired.
inline constexpr std::string_view kLiveInstancesScript = R"lua(
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local v = redis.call('GET', ARGV[1] .. 'instance:' .. id)
  if v then out[#out + 1] = v else redis.call('SREM', KEYS[1], id) end
end
return out
)lua";

// --- tombstones: zsets of member -> deleted_at_ms, listed in the set of
// tombstone keys so PruneTombstones finds them without SCAN.

// KEYS: tombstone zset, set of tombstone keys. ARGV: deleted_at_ms, members...
// ZADD GT: a member keeps its newer time; a new member is added. In chunks,
// as Lua's unpack has a bound on how many values it spreads.
inline constexpr std::string_view kPutTombstonesScript = R"lua(
local ms = ARGV[1]
local args = {}
for i = 2, #ARGV do
  args[#args + 1] = ms
  args[#args + 1] = ARGV[i]
  if #args >= 2000 then
    redis.call('ZADD', KEYS[1], 'GT', unpack(args))
    args = {}
  end
end
if #args > 0 then redis.call('ZADD', KEYS[1], 'GT', unpack(args)) end
redis.call('SADD', KEYS[2], KEYS[1])
return 1
)lua";

// KEYS: set of tombstone keys. ARGV: before_ms. Deletes the members older
// than before_ms from every listed zset, unlisting the emptied ones; returns
// how many members it deleted.
inline constexpr std::string_view kPruneTombstonesScript = R"lua(
local bound = '(' .. ARGV[1]
local n = 0
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  n = n + redis.call('ZREMRANGEBYSCORE', key, '-inf', bound)
  if redis.call('EXISTS', key) == 0 then redis.call('SREM', KEYS[1], key) end
end
return n
)lua";

// --- hints. Per node: hint_seq:<node> (INCR, never deleted), hints:<node>
// (hash seq -> record), hint_order:<node> (zset seq by seq) and
// hint_times:<node> (zset seq by created_at_ms, for expiry); shared:
// hint_bytes (hash node -> body bytes pending) and hint_nodes (set of nodes
// with pending hints). A record starts with "<body bytes>:", which is all
// the scripts read of it.

// ARGV: prefix, node, body bytes, max bytes, created_at_ms, record.
// Returns the new seq, or 0 (storing nothing) past the bound.
inline constexpr std::string_view kAppendHintScript = R"lua(
local p, node = ARGV[1], ARGV[2]
local size, max = tonumber(ARGV[3]), tonumber(ARGV[4])
local bytes = tonumber(redis.call('HGET', p .. 'hint_bytes', node) or '0')
if size > max or bytes > max - size then return 0 end
local seq = string.format('%d', redis.call('INCR', p .. 'hint_seq:' .. node))
redis.call('HSET', p .. 'hints:' .. node, seq, ARGV[6])
redis.call('ZADD', p .. 'hint_order:' .. node, seq, seq)
redis.call('ZADD', p .. 'hint_times:' .. node, ARGV[5], seq)
redis.call('HINCRBY', p .. 'hint_bytes', node, ARGV[3])
redis.call('SADD', p .. 'hint_nodes', node)
return tonumber(seq)
)lua";

// KEYS: the node's order zset, its hash. ARGV: limit - 1 (limit >= 1).
// Returns {seq, record, seq, record, ...}, oldest first.
inline constexpr std::string_view kPeekHintsScript = R"lua(
local out = {}
for _, s in ipairs(redis.call('ZRANGE', KEYS[1], 0, ARGV[1])) do
  out[#out + 1] = s
  out[#out + 1] = redis.call('HGET', KEYS[2], s)
end
return out
)lua";

// DropHints and ExpireHints. ARGV: prefix, then either 'drop', node,
// through seq (returns how many it dropped) or 'expire', before_ms (returns
// {node, count, ...} for the nodes that had hints created before it).
// Removed hints leave all three keys of their node, their bytes leave
// hint_bytes, and a node whose queue is empty leaves hint_nodes.
inline constexpr std::string_view kRemoveHintsScript = R"lua(
local p = ARGV[1]
local function remove(node, seqs)
  if #seqs == 0 then return 0 end
  local h, order = p .. 'hints:' .. node, p .. 'hint_order:' .. node
  local freed = 0
  for _, s in ipairs(seqs) do
    local rec = redis.call('HGET', h, s)
    if rec then freed = freed + tonumber(string.match(rec, '^(%d+):')) end
    redis.call('HDEL', h, s)
    redis.call('ZREM', order, s)
    redis.call('ZREM', p .. 'hint_times:' .. node, s)
  end
  if redis.call('EXISTS', order) == 0 then
    redis.call('HDEL', p .. 'hint_bytes', node)
    redis.call('SREM', p .. 'hint_nodes', node)
  else
    redis.call('HINCRBY', p .. 'hint_bytes', node, string.format('%d', -freed))
  end
  return #seqs
end
if ARGV[2] == 'drop' then
  local node = ARGV[3]
  return remove(node, redis.call('ZRANGEBYSCORE', p .. 'hint_order:' .. node, '-inf', ARGV[4]))
end
local out = {}
for _, node in ipairs(redis.call('SMEMBERS', p .. 'hint_nodes')) do
  local old = redis.call('ZRANGEBYSCORE', p .. 'hint_times:' .. node, '-inf', '(' .. ARGV[3])
  if #old > 0 then
    out[#out + 1] = node
    out[#out + 1] = remove(node, old)
  end
end
return out
)lua";

// ARGV: prefix. Returns {node, count, bytes, oldest created_at_ms, ...}
// for every node with pending hints.
inline constexpr std::string_view kHintBacklogsScript = R"lua(
local p = ARGV[1]
local out = {}
for _, node in ipairs(redis.call('SMEMBERS', p .. 'hint_nodes')) do
  local oldest = redis.call('ZRANGE', p .. 'hint_times:' .. node, 0, 0, 'WITHSCORES')
  if oldest[2] then
    out[#out + 1] = node
    out[#out + 1] = redis.call('ZCARD', p .. 'hint_order:' .. node)
    out[#out + 1] = redis.call('HGET', p .. 'hint_bytes', node) or '0'
    out[#out + 1] = oldest[2]
  end
end
return out
)lua";

}  // namespace miroir::store::redis
