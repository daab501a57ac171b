#!/usr/bin/env python3
"""Tests for tests/tools/history.py (python3 -m unittest, standard library).

history.py runs gdfs-cli; here it runs a fake one (written into a
temporary directory) whose behaviour the node address selects, so that
each way gdfs-cli can end is mapped to the outcome lincheck needs.

Sections: the fake CLI, outcome classification, the history as lincheck
input.
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import history  # noqa: E402
import lincheck  # noqa: E402

# ---- the fake CLI ----------------------------------------------------------------

# argv: -n NODE -T MS OP ARGS...; NODE picks the behaviour. Files are kept
# in $FAKE_STORE/KEY.
FAKE = r'''#!/usr/bin/env python3
import os, sys
node, op, args = sys.argv[2], sys.argv[5], sys.argv[6:]
store = os.environ["FAKE_STORE"]
key = args[1] if op == "put" else args[0]
path = os.path.join(store, key)
def fail(msg):
    sys.stderr.write("gdfs-cli: %s\n" % msg)
    sys.exit(1)
if node == "ok":  # an atomic store: rename, unlink and open are atomic
    if op == "put":
        tmp = "%s.%d" % (path, os.getpid())
        with open(tmp, "w") as f:
            f.write(open(args[0]).read())
        os.replace(tmp, path)
    elif op == "remove":
        try:
            os.unlink(path)
        except FileNotFoundError:
            fail("remove %s: no such file" % key)
    else:
        try:
            sys.stdout.write(open(path).read())
        except FileNotFoundError:
            fail("get %s: no such file" % key)
    sys.exit(0)
if node == "noquorum":
    fail("%s %s: no quorum: node n1 knows no leader (term 3)" % (op, key))
if node == "silent":
    fail("%s %s: no quorum: the leader at 127.0.0.1:1 did not answer (x)"
         % (op, key))
if node == "unknown":
    fail("%s %s: outcome unknown: the record reached 1 of the 3 members"
         % (op, key))
if node == "reset":
    fail("%s: node 127.0.0.1:9: recv: Connection reset by peer: connection "
         "closed" % op)
if node == "down":
    fail("cannot reach node 127.0.0.1:9: connect: Connection refused: "
         "network error")
if node == "replica":
    fail("get %s: no replica could serve version 4 (last: n2: get %s on n2: "
         "no such file)" % (key, key))
if node == "usage":
    sys.exit(2)
'''


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.cli = os.path.join(self.dir.name, "fake-cli")
        with open(self.cli, "w") as f:
            f.write(FAKE)
        os.chmod(self.cli, 0o755)
        self.store = os.path.join(self.dir.name, "store")
        os.mkdir(self.store)
        os.environ["FAKE_STORE"] = self.store

    def tearDown(self):
        self.dir.cleanup()

    def run_history(self, nodes, seconds=0.4, clients=2, keys=2, seed=7):
        # 3 operations per client at least: the checks below want more
        # than 5 in all, and a loaded machine may run few in 0.4 s.
        out = os.path.join(self.dir.name, "h.jsonl")
        args = ["--cli", self.cli, "--nodes", ",".join(nodes),
                "--seconds", str(seconds), "--clients", str(clients),
                "--min-ops", "3",
                "--keys", str(keys), "--workdir", self.dir.name,
                "--out", out, "--seed", str(seed)]
        with open(os.devnull, "w") as null:
            old, sys.stdout = sys.stdout, null
            try:
                rc = history.main(args)
            finally:
                sys.stdout = old
        self.assertEqual(rc, 0)
        with open(out) as f:
            return [json.loads(line) for line in f], out

    def outcomes(self, recs):
        """{(op, ok): count}"""
        got = {}
        for r in recs:
            k = (r["op"], r["ok"])
            got[k] = got.get(k, 0) + 1
        return got


# ---- outcome classification --------------------------------------------------------


class Classify(Base):
    def test_history_records_every_op_with_times(self):
        recs, _ = self.run_history(["ok"])
        self.assertGreater(len(recs), 5)
        for r in recs:
            self.assertIn(r["op"], ("put", "get", "remove"))
            self.assertLessEqual(r["call"], r["ret"])
        puts = [r["value"] for r in recs if r["op"] == "put"]
        self.assertEqual(len(puts), len(set(puts)), "put values are unique")

    def test_history_success_is_ok_and_get_reads_the_bytes(self):
        recs, _ = self.run_history(["ok"], clients=1, keys=1)
        last = None
        for r in recs:
            if r["op"] == "put":
                self.assertIs(r["ok"], True)
                last = r["value"]
            elif r["op"] == "remove" and r["ok"]:
                last = None
            elif r["op"] == "get":
                self.assertIs(r["ok"], True)
                self.assertEqual(r["value"], last)

    def test_history_no_quorum_is_not_written(self):
        for node in ("noquorum", "silent", "down"):
            recs, _ = self.run_history([node])
            for r in recs:
                self.assertIs(r["ok"], False, (node, r))
                self.assertIsNotNone(r["ret"])

    def test_history_other_write_failures_are_unknown(self):
        for node in ("unknown", "reset", "usage"):
            # Seed 3: each client's first operation is a put, and every
            # client runs at least one however slow the machine is.
            recs, _ = self.run_history([node], seed=3)
            writes = [r for r in recs if r["op"] != "get"]
            self.assertTrue(writes)
            for r in writes:
                self.assertIsNone(r["ok"], (node, r))
                self.assertIsNone(r["ret"], (node, r))
            for r in recs:
                if r["op"] == "get":
                    self.assertIs(r["ok"], False, (node, r))

    def test_history_absent_only_from_the_leader(self):
        # The leader's "no such file" is a read of an absent file; a
        # replica's, quoted inside "no replica could serve", is a failure.
        recs, _ = self.run_history(["ok"], clients=1, keys=3)
        self.assertTrue(any(r["op"] == "get" and r["ok"] and
                            r["value"] is None for r in recs))
        recs, _ = self.run_history(["replica"])
        for r in recs:
            if r["op"] == "get":
                self.assertIs(r["ok"], False, r)


# ---- the history as lincheck input ---------------------------------------------------


class Lincheck(Base):
    def test_history_of_an_atomic_store_is_linearizable(self):
        _, path = self.run_history(["ok", "noquorum", "unknown"],
                                   seconds=0.8, clients=3)
        out = os.path.join(self.dir.name, "lin.out")
        with open(out, "w") as f:
            rc = subprocess.call([sys.executable,
                                  os.path.join(HERE, "lincheck.py"), path],
                                 stdout=f, stderr=subprocess.STDOUT)
        self.assertEqual(rc, 0, open(out).read())

    def test_history_lincheck_parses_every_line(self):
        _, path = self.run_history(["ok", "unknown", "reset", "replica"])
        with open(path) as f:
            ops = lincheck.parse_history(f)
        self.assertGreater(len(ops), 5)


if __name__ == "__main__":
    unittest.main()
