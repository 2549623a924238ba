-- wrk script: sends pre-signed requests from a pool file, each at most once per run.
--
--   wrk -t2 -c16 -d5s -s bench/wrk_pool.lua http://127.0.0.1:PORT -- POOL_FILE OFFSET
--
-- POOL_FILE has one request per line: METHOD <tab> PATH <tab> AUTHORIZATION <tab> BODY (BODY may be empty).
-- Thread n of T sends requests OFFSET + n, OFFSET + n + T, ...; past the end it starts again (the
-- summary says so). At the end one line "RESULT {json}" gives the figures bench/load.py reads.

local threads = {}
local counter = 0

function setup(thread)
   thread:set("number", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

local pool = {}
local next_index = 0
local step = 1

function init(args)
   for line in io.lines(args[1]) do
      local method, path, auth, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = {["Authorization"] = auth}
      if body == "" then
         body = nil
      else
         headers["Content-Type"] = "application/json"
      end
      table.insert(pool, wrk.format(method, path, headers, body))
   end
   step = tonumber(args[3])
   next_index = tonumber(args[2]) + number
end

function request()
   local index = next_index % #pool
   next_index = next_index + step
   return pool[index + 1]
end

function done(summary, latency, requests)
   local p = function(q) return latency:percentile(q) / 1000.0 end
   local s = summary.errors
   io.write(string.format(
      'RESULT {"requests": %d, "duration_us": %d, "non_2xx": %d, "connect_errors": %d, "read_errors": %d, ' ..
      '"write_errors": %d, "timeouts": %d, "p50_ms": %.3f, "p99_ms": %.3f}\n',
      summary.requests, summary.duration, s.status, s.connect, s.read, s.write, s.timeout, p(50), p(99)))
end
