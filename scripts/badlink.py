#!/usr/bin/env python3
"""A bad field link as a TCP proxy: rate-limited each way, delayed, and cutting connections.

    badlink.py TARGET_PORT [--rate BYTES_PER_S] [--delay-ms MS] [--cut-every BYTES] [--seed N]

Listens on 127.0.0.1 (a free port, printed on the first line of stdout) and forwards to
127.0.0.1:TARGET_PORT. Each direction of each connection is paced to --rate bytes per second
after --delay-ms; a connection is cut (both sides closed, mid-transfer) once it has carried
about --cut-every bytes downstream (randomised ±50 %, 0 = never). Counts bytes each way and
prints the totals so far after every chunk it forwards (and on SIGTERM, where the signal is not
blocked): a parent may simply kill it and keep the last line. The kernel here has no netem; this stands in for it at the TCP level
(../shared/tools/linkemu.py does it per packet, with root)."""
import argparse, random, signal, socket, sys, threading, time

parser = argparse.ArgumentParser()
parser.add_argument("target", type=int)
parser.add_argument("--rate", type=int, default=8_000)
parser.add_argument("--delay-ms", type=int, default=250)
parser.add_argument("--cut-every", type=int, default=0)
parser.add_argument("--seed", type=int, default=1)
args = parser.parse_args()
rng = random.Random(args.seed)
totals = {"up": 0, "down": 0, "cuts": 0}
lock = threading.Lock()


def status():
    """The totals so far, on a line of their own (call with `lock` held): a parent that kills
    the link keeps the last line."""
    print(f"badlink: {totals['up']} bytes up, {totals['down']} down, {totals['cuts']} connections cut", flush=True)


def pump(src, dst, key, budget, cut):
    sent = 0
    try:
        while True:
            data = src.recv(4096)
            if not data:
                break
            time.sleep(args.delay_ms / 1000 if sent == 0 else 0)
            for i in range(0, len(data), 512):
                chunk = data[i:i + 512]
                if budget is not None and sent + len(chunk) > budget:
                    with lock:
                        totals["cuts"] += 1
                        status()
                    cut.set()
                    return
                dst.sendall(chunk)
                sent += len(chunk)
                with lock:
                    totals[key] += len(chunk)
                    status()
                time.sleep(len(chunk) / args.rate)
            if cut.is_set():
                return
    except OSError:
        pass
    finally:
        cut.set()

        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def handle(client):
    try:
        upstream = socket.create_connection(("127.0.0.1", args.target))
    except OSError:
        client.close()
        return
    cut = threading.Event()
    budget = int(args.cut_every * rng.uniform(0.5, 1.5)) if args.cut_every else None
    threading.Thread(target=pump, args=(client, upstream, "up", None, cut), daemon=True).start()
    threading.Thread(target=pump, args=(upstream, client, "down", budget, cut), daemon=True).start()


def report(*_):
    print(f"badlink: {totals['up']} bytes up, {totals['down']} down, {totals['cuts']} connections cut", flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, report)
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(16)
listener.settimeout(0.2)  # so the main thread, which runs signal handlers, wakes up for SIGTERM
print(listener.getsockname()[1], flush=True)
while True:
    try:
        conn, _ = listener.accept()
    except socket.timeout:
        continue
    conn.settimeout(None)
    threading.Thread(target=handle, args=(conn,), daemon=True).start()
