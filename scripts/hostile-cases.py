#!/usr/bin/env python3
"""The hostile inputs of issue 10, sent to a live engage-server (called by scripts/contract-test).

Each must get a 4xx with a stable error code (never a 5xx, never a crash), and the server must
answer a plain request afterwards. Usage: hostile-cases.py URL ADVISOR_TOKEN
"""
import json, sys, urllib.error, urllib.request, uuid

URL, TOKEN = sys.argv[1], sys.argv[2]
STAMP = "019b76daa8000000-"


def request(path, body, token=TOKEN, method="POST"):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(URL + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except urllib.error.URLError as e:
        # The server answered an oversized body early and closed before it was all sent.
        if isinstance(e.reason, (BrokenPipeError, ConnectionResetError)):
            return 413, b"closed early"
        raise


def raw_post(path, body):
    """POSTs `body` on a plain socket, reading the answer as soon as it comes, as a client that
    does not finish sending first (the server refuses an oversized body early)."""
    import select, socket, urllib.parse
    u = urllib.parse.urlsplit(URL)
    sock = socket.create_connection((u.hostname, u.port), timeout=30)
    sock.setblocking(False)
    out = (f"POST {path} HTTP/1.1\r\nHost: {u.netloc}\r\nContent-Type: application/json\r\n"
           f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    answer = b""
    while b"\r\n" not in answer:
        readable, writable, _ = select.select([sock], [sock] if out else [], [], 30)
        if not readable and not writable:
            break
        if readable:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        elif writable:
            try:
                out = out[sock.send(out[:65536]):]
            except (BrokenPipeError, ConnectionResetError):
                out = b""
    sock.close()
    status = int(answer.split(b" ")[1]) if answer.startswith(b"HTTP/") else 0
    return status, answer


def change(**fields):
    base = {"collection": "activities", "record": str(uuid.uuid4()), "field": "title", "op": "set",
            "stamp": STAMP + "ffffffffffffffff", "value": "x"}
    base.update(fields)
    return base


def push(*changes):
    return json.dumps({"changes": list(changes)}).encode()


node = None
cases = [
    ("a lone surrogate escape", "/v1/push", b'{"changes":[{"collection":"activities","record":"r","field":"title","op":"set","stamp":"019b76daa8000000-a","value":"\\ud800\\u0041"}]}', None),
    ("an array nested 20,000 deep", "/v1/push", b'{"x":' + b"[" * 20000 + b"]" * 20000 + b',"changes":[]}', None),
    ("8 MiB of [{},{}] to /v1/enroll, unauthenticated", "/v1/enroll", b"[" + b",".join([b"{}"] * 2_700_000) + b"]", ""),
    ("a key given twice", "/v1/push", b'{"changes":[],"changes":[]}', None),
    ("8 MiB malformed push", "/v1/push", b'{"changes":[],"x":[' + b",".join([b"{}"] * 2_700_000) + b'],"relay":"yes"}', None),
    ("enrolment as node hub", "/v1/enroll", json.dumps({"code": "NOPE-NOPE", "nodeId": "hub"}).encode(), ""),
]
failures = []
import time
for name, path, body, token in cases:
    started = time.monotonic()
    if token == "":
        status, answer = raw_post(path, body)
    else:
        status, answer = request(path, body, TOKEN)
    print(f"  {name}: {status} in {time.monotonic() - started:.1f} s")
    if not 400 <= status < 500:
        failures.append(f"{name}: {status} {answer[:200]!r}")

# Per-change refusals inside a 200 answer: the model's rules at the hub.
per_change = [
    ("a participant count of 2^63-1", change(field="participants", value=9223372036854775807)),
    ("a 1 MB title", change(value="t" * 1_000_000)),
    ("an upper-case id", change(record=str(uuid.uuid4()).upper())),
]
for name, c in per_change:
    status, answer = request("/v1/push", push(c))
    refused = status == 200 and json.loads(answer).get("rejected")
    if not (refused or 400 <= status < 500):
        failures.append(f"{name}: {status} {answer[:200]!r}")

status, _ = request("/v1/pull?cursor=0&limit=1", None, method="GET")
if status != 200:
    failures.append(f"the server no longer answers a pull: {status}")
for f in failures:
    print("hostile case failed:", f, file=sys.stderr)
print(f"hostile cases: {len(cases) + len(per_change) - len(failures)} of {len(cases) + len(per_change)} refused cleanly")
sys.exit(1 if failures else 0)
