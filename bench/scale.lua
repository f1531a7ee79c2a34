-- The request mix of bench/scale.py, for wrk (Debian's, on LuaJIT).
--
-- Run with one connection per thread (-t N -c N): each thread then sends a request, waits for
-- its response and only then asks for the next, so the time between request() and response()
-- is that request's latency, told apart by kind (wrk itself only keeps one histogram for all).
-- bench/scale.py writes the data file (users, sessions, tokens, record ids, search terms, the
-- weights of the kinds) and reads the rows this script writes at the end: "kind µs status".
--
-- Environment: SCALE_DATA (the data file, a Lua table), SCALE_OUT (where done() writes),
-- SCALE_RUN (a word that makes the names created in this run unique).

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } scale_timespec;
int clock_gettime(int clk_id, scale_timespec *tp);
]]
local clock = ffi.new("scale_timespec")
local CLOCK_MONOTONIC = 1

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000000 + tonumber(clock.tv_nsec) / 1000
end

local D = dofile(os.getenv("SCALE_DATA"))
local RUN = os.getenv("SCALE_RUN") or "run"

-- the main state: one entry per thread, to collect their rows at the end
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

-- each thread's own state
local me, pending, started, made, verifying = nil, nil, 0, 0, false
rows = {}

local total, cumulative = 0, {}
for i, kind in ipairs(D.kinds) do
  total = total + kind.weight
  cumulative[i] = total
end

function init(args)
  me = D.users[((id - 1) % #D.users) + 1]
  verifying = id == 1 -- wrk asks the first thread's state for one request to check the script
  math.randomseed(id * 7919 + #RUN)
end

local function pick(list)
  return list[math.random(#list)]
end

local function urlencode(text)
  return (text:gsub("[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

local function page(path)
  return wrk.format("GET", path, { Cookie = me.reader })
end

local function api(method, path, body)
  local headers = { Authorization = "Token " .. me.token, Accept = "application/json" }
  if body then
    headers["Content-Type"] = "application/json"
  end
  return wrk.format(method, path, headers, body)
end

local function unique()
  made = made + 1
  return RUN .. "t" .. id .. "n" .. made
end

local build = {}

function build.list()
  return page("/customers/accounts/?page=" .. math.random(D.list_pages))
end

function build.search()
  return page("/customers/contacts/?q=" .. urlencode(pick(D.terms)))
end

function build.account()
  return page("/customers/accounts/" .. pick(D.accounts) .. "/")
end

function build.contact_create()
  local name = unique()
  local body = D.contact_form .. "&csrfmiddlewaretoken=" .. me.csrf
    .. "&first_name=Carga&last_name=" .. name
    .. "&email=" .. urlencode(name .. "@bench.example")
  return wrk.format("POST", "/customers/contacts/new/", {
    Cookie = me.writer,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end

function build.call_log()
  local account = pick(D.accounts)
  return api("POST", "/api/interactions/", string.format(
    '{"channel": "phone", "direction": "outbound", "account": "%s", "subject": "Llamada %s",'
    .. ' "notes": "Pregunta por el pedido y la próxima visita.", "duration_seconds": %d}',
    account, unique(), math.random(30, 900)))
end

function build.ticket_open()
  local account = pick(D.accounts)
  return api("POST", "/api/tickets/", string.format(
    '{"subject": "No llega el pedido %s", "description": "El cliente llama: el pedido no'
    .. ' ha llegado.", "account": "%s", "priority": "normal"}', unique(), account))
end

function build.api_read()
  if math.random(2) == 1 then
    return api("GET", "/api/contacts/?page=" .. math.random(D.list_pages))
  end
  return api("GET", "/api/accounts/" .. pick(D.accounts) .. "/")
end

function build.report()
  return page(D.report_path)
end

function request()
  if pending then -- the last request got no response (the connection broke): an error
    rows[#rows + 1] = pending .. " -1 0"
  end
  local roll = math.random() * total
  local kind = D.kinds[#D.kinds].name
  for i, limit in ipairs(cumulative) do
    if roll < limit then
      kind = D.kinds[i].name
      break
    end
  end
  if verifying then -- wrk's check of the script (first thread, before it starts): not sent
    verifying = false
    return build[kind]()
  end
  pending = kind
  started = now_us()
  return build[kind]()
end

function response(status, headers, body)
  if pending then
    rows[#rows + 1] = string.format("%s %d %d", pending, now_us() - started, status)
    pending = nil
  end
end

function done(summary, latency, requests)
  local out = assert(io.open(os.getenv("SCALE_OUT"), "w"))
  for _, thread in ipairs(threads) do
    for _, row in ipairs(thread:get("rows")) do
      out:write(row, "\n")
    end
  end
  local e = summary.errors
  out:write(string.format("summary %d %d %d %d %d %d %d\n", summary.duration, summary.requests,
    e.connect, e.read, e.write, e.status, e.timeout))
  out:close()
end
