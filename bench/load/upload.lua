-- wrk script of the upload scenario: every request POSTs a 1 MiB body (LARGE_BODY_BYTES).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/octet-stream"
wrk.body = string.rep("x", 1048576)
