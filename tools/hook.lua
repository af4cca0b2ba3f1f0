-- wrk script: POST one real GitHub payload to /hooks/github, each request with
-- a unique X-GitHub-Delivery and a valid X-Hub-Signature-256.
-- Environment: BODY_FILE (the payload), BODY_SIG ("sha256=<hex>" over it),
-- RUN_ID (makes delivery IDs unique across runs).
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
  body = f:read("*a")
  f:close()
  sig = os.getenv("BODY_SIG")
  run = os.getenv("RUN_ID") or "run"
  n = 0
end

function request()
  n = n + 1
  return wrk.format("POST", "/hooks/github", {
    ["Content-Type"] = "application/json",
    ["X-GitHub-Event"] = "issue_comment",
    ["X-GitHub-Delivery"] = run .. "-" .. tid .. "-" .. n,
    ["X-Hub-Signature-256"] = sig,
  }, body)
end
