-- wrk script for bench_s3_http.py: each request is a PutObject of a new 4 KB object or a
-- GetObject of a random loaded one. MODE is put, get or mix (half each); KEYS how many objects
-- were loaded for get; BUCKET the bucket. With VHOST the bucket is named by the Host header
-- (Baton's virtual-host addressing, unsigned); otherwise the path names it and FAKE_SCOPE adds
-- an unsigned s3 credential scope (how moto's server picks the service).
local mode = os.getenv("MODE") or "put"
local keys = tonumber(os.getenv("KEYS") or "1000")
local bucket = os.getenv("BUCKET") or "bench"
local vhost = os.getenv("VHOST")
local body = string.rep("x", 4096)
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  n = 0
  ok = 0
  math.randomseed(id * 7919)
  headers = {}
  if vhost then headers["Host"] = vhost end
  if os.getenv("FAKE_SCOPE") then
    headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"
    headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
  end
end

local function path(key)
  if vhost then return "/" .. key end
  return "/" .. bucket .. "/" .. key
end

function request()
  n = n + 1
  local m = mode
  if m == "mix" then m = ({"put", "get"})[n % 2 + 1] end
  if m == "put" then
    return wrk.format("PUT", path(string.format("w%d-%d", id, n)), headers, body)
  end
  return wrk.format("GET", path(string.format("k%d", math.random(0, keys - 1))), headers)
end

function response(status, hdrs, b)
  if status == 200 then ok = ok + 1 end
end

function done(summary, latency, requests)
  local o = 0
  for _, t in ipairs(threads) do o = o + t:get("ok") end
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT ok=%d seconds=%.2f requests=%d errors=%d p50_ms=%.3f p99_ms=%.3f\n",
    o, seconds, summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
