wrk.method = "POST"
wrk.body   = '{"message":"Phalanx load test: a small JSON document posted to /echo and expected back byte for byte; about two hundred bytes long, plain ASCII, nothing to escape, so re-encoding cannot alter it."}'
wrk.headers["Content-Type"] = "application/json"
