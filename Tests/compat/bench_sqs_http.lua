-- wrk script for bench_sqs_http.py: each connection sends a batch of 10, receives up to 10,
-- and deletes what it received in batches of 10 (SQS's JSON protocol, unsigned).
-- QUEUE_URL names the queue; BODY_BYTES the size of each message body; FAKE_SCOPE adds an unsigned credential scope (moto).
local queue = os.getenv("QUEUE_URL")
local size = tonumber(os.getenv("BODY_BYTES") or "100")
local payload = string.rep("x", size)
local headers = { ["Content-Type"] = "application/x-amz-json-1.0" }
-- moto picks the service from the credential scope (it checks no signature); Baton checks one when sent.
if os.getenv("FAKE_SCOPE") then
  headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0"
end
local threads = {}

local function req(action, body)
  headers["X-Amz-Target"] = "AmazonSQS." .. action
  return wrk.format("POST", "/", headers, body)
end

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  receipts = {}
  turn = 0
  sent, received, deleted = 0, 0, 0
  local entries = {}
  for i = 1, 10 do
    entries[i] = string.format('{"Id":"m%d","MessageBody":"%s"}', i, payload)
  end
  send_body = string.format('{"QueueUrl":"%s","Entries":[%s]}', queue, table.concat(entries, ","))
  receive_body = string.format('{"QueueUrl":"%s","MaxNumberOfMessages":10,"VisibilityTimeout":60}', queue)
end

function request()
  if #receipts >= 10 then
    local entries = {}
    for i = 1, 10 do
      entries[i] = string.format('{"Id":"d%d","ReceiptHandle":"%s"}', i, table.remove(receipts))
    end
    return req("DeleteMessageBatch", string.format('{"QueueUrl":"%s","Entries":[%s]}', queue, table.concat(entries, ",")))
  end
  turn = turn + 1
  if turn % 2 == 1 then return req("SendMessageBatch", send_body) end
  return req("ReceiveMessage", receive_body)
end

function response(status, hdrs, body)
  if status ~= 200 then return end
  if body:find('"MD5OfMessageBody"', 1, true) then
    for _ in body:gmatch("\"MessageId\"") do sent = sent + 1 end
  elseif body:find('"ReceiptHandle"', 1, true) then
    for r in body:gmatch('"ReceiptHandle"%s*:%s*"([^"]+)"') do
      table.insert(receipts, r)
      received = received + 1
    end
  elseif body:find('"Successful"', 1, true) then
    local ok = body:match('"Successful"%s*:%s*%[(.-)%]')
    if ok then for _ in ok:gmatch('"Id"') do deleted = deleted + 1 end end
  end
end

function done(summary, latency, requests)
  local s, r, d = 0, 0, 0
  for _, t in ipairs(threads) do
    s = s + t:get("sent")
    r = r + t:get("received")
    d = d + t:get("deleted")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT sent=%d received=%d deleted=%d seconds=%.2f requests=%d errors=%d p50_ms=%.2f p99_ms=%.2f\n",
    s, r, d, seconds, summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
