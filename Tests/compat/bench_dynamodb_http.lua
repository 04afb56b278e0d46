-- wrk script for bench_dynamodb_http.py: each request is a PutItem of a new 1 KB item, a GetItem
-- of a random loaded item, or a Query of the 100 items of one partition (DynamoDB's JSON 1.0,
-- unsigned). MODE is put, get, query or mix (a third each); TABLE the table; KEYS how many
-- items were loaded for get; FAKE_SCOPE adds an unsigned credential scope (moto).
local mode = os.getenv("MODE") or "put"
local tbl = os.getenv("TABLE")
local keys = tonumber(os.getenv("KEYS") or "1000")
local pad = string.rep("x", 1000)
local headers = { ["Content-Type"] = "application/x-amz-json-1.0" }
if os.getenv("FAKE_SCOPE") then
  headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0"
end
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  n = 0
  ok, found = 0, 0
  math.randomseed(id * 7919)
end

local function req(action, body)
  headers["X-Amz-Target"] = "DynamoDB_20120810." .. action
  return wrk.format("POST", "/", headers, body)
end

function request()
  n = n + 1
  local m = mode
  if m == "mix" then m = ({"put", "get", "query"})[n % 3 + 1] end
  if m == "put" then
    return req("PutItem", string.format('{"TableName":"%s","Item":{"pk":{"S":"w%d-%d"},"sk":{"N":"0"},"pad":{"S":"%s"}}}', tbl, id, n, pad))
  elseif m == "get" then
    return req("GetItem", string.format('{"TableName":"%s","Key":{"pk":{"S":"k%d"},"sk":{"N":"0"}}}', tbl, math.random(0, keys - 1)))
  end
  return req("Query", string.format('{"TableName":"%s","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"q"}}}', tbl))
end

function response(status, hdrs, body)
  if status ~= 200 then return end
  ok = ok + 1
  if body:find('"Item"', 1, true) or body:find('"Count":100', 1, true) then found = found + 1 end
end

function done(summary, latency, requests)
  local o, f = 0, 0
  for _, t in ipairs(threads) do
    o = o + t:get("ok")
    f = f + t:get("found")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT ok=%d found=%d seconds=%.2f requests=%d errors=%d p50_ms=%.3f p99_ms=%.3f\n",
    o, f, seconds, summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
