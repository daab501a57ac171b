#!/usr/bin/env python3
"""history: drive concurrent gdfs-cli clients and record a history.

Each client is a thread that, until the time is up, picks a random key
(of --keys), a random node (of --nodes) and an operation (put of a value
no other operation writes, get, or now and then remove), runs gdfs-cli
for it, and records one JSON line in the format tests/tools/lincheck.py
reads: call and return times from the monotonic clock (before the
process starts, after it has ended), and the outcome:

  put/remove  exit 0: ok true. Exit 1 with an error that says nothing
              was written (no quorum, not the leader, the node could not
              be reached, no such file for a remove): ok false. Any other
              failure (timed out, connection closed, outcome unknown):
              ok null, ret null, as lincheck wants for an unknown outcome.
  get         exit 0: ok true with the bytes read as the value; exit 1
              with the leader's "no such file": ok true, value null; any
              other failure:
              ok false (a failed read constrains nothing).

A get that returns bytes no put wrote is kept as read (lincheck reports
it); the last lines of the output say how many operations of each kind
and outcome were recorded, and every distinct error message, so a test
can assert the run did real work.

Usage: history.py --cli PATH --nodes A,B,... --seconds S --out FILE
       [--clients N] [--keys K] [--timeout-ms MS] [--workdir DIR]
       [--seed N]
Standard library only.
"""

import argparse
import collections
import json
import os
import random
import subprocess
import sys
import threading
import time

# Errors after which a write has certainly not happened (DESIGN.md
# "Errors": quorum unreachable is "definitely not written").
NOT_WRITTEN = ("no quorum", "quorum unreachable", "not the leader",
               "cannot reach node")


def not_written(err):
    return any(s in err for s in NOT_WRITTEN)


def absent(err, key, op="get"):
    """The leader said the file does not exist (and not a replica that
    lacks a version, whose message is quoted inside another error)."""
    return err.startswith("gdfs-cli: %s %s: no such file" % (op, key))


class Recorder:
    """Appends records to the history file, one line each, under a lock."""

    def __init__(self, path):
        self.f = open(path, "w")
        self.mu = threading.Lock()
        self.counts = collections.Counter()
        self.errors = collections.Counter()

    def add(self, rec, err):
        kind = rec["op"]
        outcome = {True: "ok", False: "failed", None: "unknown"}[rec["ok"]]
        if kind == "get" and rec["ok"] and rec["value"] is None:
            outcome = "absent"
        with self.mu:
            self.f.write(json.dumps(rec) + "\n")
            self.f.flush()
            self.counts[kind + " " + outcome] += 1
            if err:
                self.errors[first_line(err)] += 1

    def close(self):
        self.f.close()


def first_line(err):
    line = err.strip().splitlines()[0] if err.strip() else ""
    # Group messages that differ only in names, numbers and addresses.
    words = []
    for w in line.split():
        if any(c.isdigit() for c in w):
            w = "#"
        words.append(w)
    return " ".join(words)[:160]


def run_cli(args, cli, node, timeout_ms, op_args):
    cmd = [cli, "-n", node, "-T", str(timeout_ms)] + op_args
    # A hard bound well past the CLI's own timeouts: a hung CLI counts as
    # an unknown outcome, never as a stuck test.
    limit = 6 * timeout_ms / 1000.0 + 10
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=limit)
        return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return None, b"", "gdfs-cli did not end within %.0f s" % limit


def client(args, idx, deadline, rec):
    rnd = random.Random(args.seed * 1000 + idx)
    name = "c%d" % idx
    nodes = args.nodes.split(",")
    local = os.path.join(args.workdir, name + ".in")
    seq = 0
    done = 0
    # At least --min-ops operations each (one by default), however late
    # the thread starts or slow the machine is.
    while done < args.min_ops or time.monotonic() < deadline:
        done += 1
        key = "k%d" % rnd.randrange(args.keys)
        node = rnd.choice(nodes)
        r = rnd.random()
        if r < 0.45:
            seq += 1
            value = "%s-%d" % (name, seq)
            with open(local, "w") as f:
                f.write(value)
            call = time.monotonic()
            rc, _, err = run_cli(args, args.cli, node, args.timeout_ms,
                                 ["put", local, key])
            ret = time.monotonic()
            if rc == 0:
                rec.add(dict(client=name, op="put", key=key, value=value,
                             call=call, ret=ret, ok=True), "")
            elif rc == 1 and not_written(err):
                rec.add(dict(client=name, op="put", key=key, value=value,
                             call=call, ret=ret, ok=False), err)
            else:
                rec.add(dict(client=name, op="put", key=key, value=value,
                             call=call, ret=None, ok=None), err)
        elif r < 0.5:
            call = time.monotonic()
            rc, _, err = run_cli(args, args.cli, node, args.timeout_ms,
                                 ["remove", key])
            ret = time.monotonic()
            if rc == 0:
                rec.add(dict(client=name, op="remove", key=key, value=None,
                             call=call, ret=ret, ok=True), "")
            elif rc == 1 and (not_written(err) or absent(err, key, "remove")):
                rec.add(dict(client=name, op="remove", key=key, value=None,
                             call=call, ret=ret, ok=False), err)
            else:
                rec.add(dict(client=name, op="remove", key=key, value=None,
                             call=call, ret=None, ok=None), err)
        else:
            call = time.monotonic()
            rc, out, err = run_cli(args, args.cli, node, args.timeout_ms,
                                   ["get", key, "-"])
            ret = time.monotonic()
            if rc == 0:
                rec.add(dict(client=name, op="get", key=key,
                             value=out.decode("utf-8", "replace"),
                             call=call, ret=ret, ok=True), "")
            elif rc == 1 and absent(err, key):
                rec.add(dict(client=name, op="get", key=key, value=None,
                             call=call, ret=ret, ok=True), "")
            else:
                rec.add(dict(client=name, op="get", key=key, value=None,
                             call=call, ret=ret, ok=False), err)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", required=True, help="path of gdfs-cli")
    ap.add_argument("--nodes", required=True,
                    help="comma-separated HOST:PORT of the nodes")
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--out", required=True, help="history file (JSON lines)")
    ap.add_argument("--clients", type=int, default=5)
    ap.add_argument("--keys", type=int, default=3)
    ap.add_argument("--timeout-ms", type=int, default=5000)
    ap.add_argument("--workdir", default=".")
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--min-ops", type=int, default=1,
                    help="operations each client runs at least, past the "
                    "deadline if need be")
    args = ap.parse_args(argv)
    if (args.clients < 1 or args.keys < 1 or args.seconds <= 0 or
            args.min_ops < 1):
        ap.error("--clients, --keys, --seconds and --min-ops must be "
                 "positive")
    rec = Recorder(args.out)
    deadline = time.monotonic() + args.seconds
    threads = [threading.Thread(target=client, args=(args, i, deadline, rec))
               for i in range(1, args.clients + 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rec.close()
    print("seed %d" % args.seed)
    for k in sorted(rec.counts):
        print("%s %d" % (k, rec.counts[k]))
    for e, n in rec.errors.most_common(12):
        print("error %dx: %s" % (n, e))
    return 0


if __name__ == "__main__":
    sys.exit(main())
