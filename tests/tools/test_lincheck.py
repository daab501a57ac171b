#!/usr/bin/env python3
"""Tests for tests/tools/lincheck.py (python3 -m unittest, standard library).

Sections: helpers, histories that must pass, histories that must fail, bad
input and the command line, randomized self-check against a simulated atomic
register, performance.
"""

import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import lincheck  # noqa: E402

LINCHECK = os.path.join(HERE, "lincheck.py")

# ---- helpers -------------------------------------------------------------------


def P(client, value, call, ret, ok=True, key="f"):
    return {"client": client, "op": "put", "key": key, "value": value,
            "call": call, "ret": ret, "ok": ok}


def R(client, call, ret, ok=True, key="f"):
    return {"client": client, "op": "remove", "key": key, "value": None,
            "call": call, "ret": ret, "ok": ok}


def G(client, value, call, ret, ok=True, key="f"):
    return {"client": client, "op": "get", "key": key, "value": value,
            "call": call, "ret": ret, "ok": ok}


def text(records):
    return "".join(json.dumps(r) + "\n" for r in records)


def run(records, *args):
    """main() on a history; returns (exit status, stdout, stderr)."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        f.write(records if isinstance(records, str) else text(records))
    try:
        out, err = io.StringIO(), io.StringIO()
        rc = lincheck.main([f.name] + list(args), out=out, err=err)
        return rc, out.getvalue(), err.getvalue()
    finally:
        os.unlink(f.name)


class Base(unittest.TestCase):
    def linearizable(self, records, *args):
        rc, out, err = run(records, *args)
        self.assertEqual(rc, 0, "expected linearizable:\n" + out + err)
        return out

    def violation(self, records, *args):
        rc, out, err = run(records, *args)
        self.assertEqual(rc, 1, "expected a violation:\n" + out + err)
        self.assertIn("NOT LINEARIZABLE", out)
        return out


# ---- histories that must pass ------------------------------------------------------


class MustPass(Base):
    def test_sequential_put_get(self):
        self.linearizable([G("c1", None, 0, 1), P("c1", "a", 2, 3),
                           G("c2", "a", 4, 5), P("c2", "b", 6, 7),
                           G("c1", "b", 8, 9), G("c2", "b", 10, 11)])

    def test_concurrent_puts_get_sees_either(self):
        for seen in ("a", "b"):
            self.linearizable([P("c1", "a", 0, 5), P("c2", "b", 1, 4),
                               G("c3", seen, 6, 7), G("c1", seen, 8, 9)])

    def test_get_overlapping_put_sees_old_or_new(self):
        for seen in ("a", "b"):
            self.linearizable([P("c1", "a", 0, 1), P("c1", "b", 2, 6),
                               G("c2", seen, 3, 4)])

    def test_overlapping_gets_both_orders_of_puts(self):
        # c3 sees b then a, c4 sees a then b: fine while all overlap the puts.
        self.linearizable([P("c1", "a", 0, 10), P("c2", "b", 0, 10),
                           G("c3", "b", 1, 2), G("c4", "a", 1, 2.5),
                           G("c3", "a", 3, 4)])

    def test_unknown_put_never_seen(self):
        self.linearizable([P("c1", "a", 0, 1), P("c2", "b", 2, None, None),
                           G("c1", "a", 3, 4), G("c3", "a", 10, 11)])

    def test_unknown_put_seen_much_later(self):
        # It may take effect at any time after its call, even after a get
        # that still saw the old value.
        self.linearizable([P("c1", "a", 0, 1), P("c2", "b", 2, 2.5, None),
                           G("c1", "a", 3, 4), G("c3", "b", 20, 21),
                           G("c1", "b", 22, 23)])

    def test_ret_null_is_unknown_even_if_ok(self):
        self.linearizable([P("c1", "a", 0, None, True), G("c1", None, 1, 2)])

    def test_remove_then_get_null(self):
        self.linearizable([P("c1", "a", 0, 1), G("c2", "a", 2, 3),
                           R("c1", 4, 5), G("c2", None, 6, 7)])

    def test_failed_ops_are_dropped(self):
        self.linearizable([P("c1", "a", 0, 1), P("c2", "b", 2, 3, False),
                           G("c1", "zzz", 4, 5, False), G("c3", "ghost", 4, 5,
                                                           None),
                           G("c1", "a", 6, 7)])

    def test_initial_value(self):
        recs = [G("c1", "seed", 0, 1), P("c1", "a", 2, 3), G("c2", "a", 4, 5)]
        self.linearizable(recs, "--initial", "f=seed")
        self.violation(recs)

    def test_keys_are_independent(self):
        self.linearizable([P("c1", "a", 0, 1, key="x"),
                           P("c1", "b", 2, 3, key="y"),
                           G("c2", None, 4, 5, key="z"),
                           G("c2", "a", 4, 5, key="x"),
                           G("c2", "b", 4, 5, key="y")])

    def test_equal_times_count_as_overlap(self):
        self.linearizable([P("c1", "a", 0, 1), P("c1", "b", 1, 2),
                           G("c2", "a", 2, 3)])

    def test_empty_history(self):
        rc, out, _ = run("")
        self.assertEqual(rc, 0)
        self.assertIn("0 of 0 keys", out)


# ---- histories that must fail ------------------------------------------------------


class MustFail(Base):
    def test_stale_read_after_acknowledged_put(self):
        out = self.violation([P("c1", "c1-4", 1, 2), P("c1", "c1-5", 3, 3.1),
                              G("c2", "c1-4", 3.2, 3.3)])
        self.assertIn("acknowledged at t=3.1", out)
        self.assertIn("get by c2 at t=3.2..3.3 returned 'c1-4'", out)
        self.assertIn("put 'c1-5'", out)

    def test_value_never_written(self):
        out = self.violation([P("c1", "a", 0, 1), G("c2", "ghost", 2, 3)])
        self.assertIn("no write of this key could have produced", out)

    def test_read_reverts_to_older_value(self):
        out = self.violation([P("c1", "a", 0, 1), P("c1", "b", 2, 10),
                              G("c2", "b", 3, 4), G("c3", "a", 5, 6)])
        self.assertIn("saw the older 'a' again", out)

    def test_get_after_acknowledged_remove_sees_old_value(self):
        out = self.violation([P("c1", "a", 0, 1), R("c1", 2, 3),
                              G("c2", "a", 4, 5)])
        self.assertIn("remove by c1 was acknowledged", out)

    def test_lost_acknowledged_write(self):
        out = self.violation([P("c1", "a", 0, 1), G("c2", None, 2, 3)])
        self.assertIn("it is the initial value", out)

    def test_read_from_the_future(self):
        out = self.violation([G("c2", "a", 0, 1), P("c1", "a", 2, 3)])
        self.assertIn("before any write of it began", out)

    def test_unknown_put_cannot_be_seen_before_its_call(self):
        self.violation([G("c2", "a", 0, 1), P("c1", "a", 2, None, None)])

    def test_only_the_bad_key_is_reported(self):
        rc, out, _ = run([P("c1", "a", 0, 1, key="good"),
                          G("c2", "a", 2, 3, key="good"),
                          P("c1", "a", 0, 1, key="bad"),
                          G("c2", None, 2, 3, key="bad")])
        self.assertEqual(rc, 1)
        self.assertIn("key good: OK", out)
        self.assertIn("key bad: NOT LINEARIZABLE", out)
        self.assertIn("1 of 2 keys linearizable, 1 NOT", out)

    def test_witness_is_small(self):
        # Lots of noise around one stale read: the witness keeps 3 ops.
        recs, t = [], 0.0
        for i in range(40):
            recs.append(P("c1", "v%d" % i, t, t + 0.5))
            recs.append(G("c2", "v%d" % i, t + 0.6, t + 0.9))
            t += 1
        recs.append(G("c3", "v3", t, t + 1))
        out = self.violation(recs)
        self.assertIn("these 3 ops alone cannot be linearized", out)
        self.assertIn("longest linearizable prefix: 80 ops", out)

    def test_stuck_op_is_named(self):
        out = self.violation([P("c1", "a", 0, 1), P("c1", "b", 2, 3),
                              G("c2", "a", 4, 5)])
        self.assertIn("none fits", out)
        self.assertIn("register holds 'b'", out)


# ---- bad input and the command line -----------------------------------------------


class BadInput(Base):
    def bad(self, body, *needles):
        rc, out, err = run(body)
        self.assertEqual(rc, 2, out + err)
        for n in needles:
            self.assertIn(n, err)

    def test_not_json(self):
        self.bad(text([P("c1", "a", 0, 1)]) + "{oops\n", "line 2", "JSON")

    def test_not_an_object(self):
        self.bad("\n[1, 2]\n", "line 2", "JSON object")

    def test_unknown_op(self):
        rec = P("c1", "a", 0, 1)
        rec["op"] = "append"
        self.bad(text([G("c1", None, 0, 1), rec]), "line 2", "'op'")

    def test_ret_before_call(self):
        self.bad(text([P("c1", "a", 5, 1)]), "line 1", "before call")

    def test_missing_call(self):
        rec = G("c1", None, 0, 1)
        del rec["call"]
        self.bad(text([rec]), "line 1", "'call'")

    def test_time_not_a_number(self):
        self.bad(text([G("c1", None, "0", 1)]), "line 1", "'call'")

    def test_key_not_a_string(self):
        self.bad(text([P("c1", "a", 0, 1, key=3)]), "line 1", "'key'")

    def test_bad_ok(self):
        self.bad(text([P("c1", "a", 0, 1, ok="yes")]), "line 1", "'ok'")

    def test_value_not_a_string(self):
        self.bad(text([P("c1", 7, 0, 1)]), "line 1", "'value'")

    def test_completed_get_without_ret(self):
        self.bad(text([G("c1", "a", 0, None)]), "line 1", "'ret'")

    def test_nan_time(self):
        self.bad('{"client":"c","op":"get","key":"f","value":null,'
                 '"call":NaN,"ret":1,"ok":true}\n', "line 1", "finite")

    def test_bad_initial(self):
        rc, _, err = run([G("c1", None, 0, 1)], "--initial", "nokey")
        self.assertEqual(rc, 2)
        self.assertIn("KEY=VALUE", err)

    def test_missing_file(self):
        out, err = io.StringIO(), io.StringIO()
        rc = lincheck.main(["/nonexistent/h.jsonl"], out=out, err=err)
        self.assertEqual(rc, 2)
        self.assertIn("/nonexistent/h.jsonl", err.getvalue())

    def test_summary(self):
        rc, out, _ = run([P("c1", "a", 0, 1), P("c2", "b", 0, 1, False),
                          P("c3", "c", 0, None, None), R("c1", 2, 3),
                          G("c1", None, 4, 5), G("c2", "x", 4, 5, False)],
                         "--summary")
        self.assertEqual(rc, 0)
        self.assertIn("6 ops on 1 keys from 3 clients", out)
        self.assertRegex(out, r"put +1 ok, 1 failed, 1 unknown")
        self.assertRegex(out, r"remove +1 ok, 0 failed")
        self.assertRegex(out, r"get +1 ok, 1 failed \(1 read null\)")

    def test_cli_stdin_and_exit_codes(self):
        for recs, want in (([P("c1", "a", 0, 1), G("c2", "a", 2, 3)], 0),
                           ([P("c1", "a", 0, 1), G("c2", "b", 2, 3)], 1),
                           ("garbage\n", 2)):
            body = recs if isinstance(recs, str) else text(recs)
            p = subprocess.run([sys.executable, LINCHECK, "-"], input=body,
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, want, p.stdout + p.stderr)
            if want == 2:
                self.assertIn("<stdin>: line 1", p.stderr)


# ---- randomized self-check ---------------------------------------------------------


def simulate(rng, nkeys=2, nclients=None, nops=None, unknown=0.1, failed=0.05,
             removes=0.1, t0=0.0):
    """A history of an atomic register per key, with random concurrency.

    Each client runs ops one after the other; each op that takes effect does
    so at a random point inside [call, ret] (a put of unknown outcome: at a
    random point after its call, or never). Returns (records, timeline) where
    timeline[key] is the list of (time, value) writes in effect order.
    """
    nclients = nclients or rng.randint(2, 8)
    nops = nops or rng.randint(4, 40)
    keys = ["k%d" % i for i in range(nkeys)]
    events = []    # (effect time, seq, record or None, key, kind, value)
    records = []
    seq = 0
    for c in range(nclients):
        client = "c%d" % c
        t = t0 + rng.random()
        for n in range(nops):
            key = rng.choice(keys)
            call = t
            ret = call + rng.expovariate(1.0)
            r = rng.random()
            kind = ("get" if r < 0.5 else
                    "remove" if r < 0.5 + removes else "put")
            value = "%s-%d" % (client, n) if kind == "put" else None
            rec = {"client": client, "op": kind, "key": key, "value": value,
                   "call": call, "ret": ret, "ok": True}
            records.append(rec)
            fate = rng.random()
            if kind != "get" and fate < unknown:
                rec["ok"] = None
                if rng.random() < 0.5:
                    rec["ret"] = None
                if rng.random() < 0.6:   # took effect, maybe much later
                    seq += 1
                    events.append((call + rng.expovariate(0.3), seq, None,
                                   key, kind, value))
            elif fate < unknown + failed:
                rec["ok"] = False        # a failed put did not happen
            else:
                seq += 1
                events.append((rng.uniform(call, ret), seq, rec, key, kind,
                               value))
            t = ret + rng.expovariate(3.0)
    events.sort()
    state = {k: None for k in keys}
    timeline = {k: [] for k in keys}
    for at, _, rec, key, kind, value in events:
        if kind == "get":
            rec["value"] = state[key]
        else:
            state[key] = value
            timeline[key].append((at, value))
    for rec in records:
        if rec["op"] == "get" and rec["ok"] is False:
            rec["value"] = "garbage"     # a failed read constrains nothing
    return records, timeline


def impossible_value(records, g):
    """A value get `g` cannot have returned in any linearization, or None.

    v is impossible if every write of v (the initial null included) either
    began after g returned, or is followed, in real time, by an acknowledged
    write of another value that returned before g was called.
    """
    writes = [r for r in records if r["key"] == g["key"]
              and r["op"] != "get" and r["ok"] is not False]
    acked = [w for w in writes if w["ok"] is True and w["ret"] is not None]
    inf = float("inf")

    def blocked(v, call, ret):
        if call > g["ret"]:
            return True
        return any(p["value"] != v and ret < p["call"] and p["ret"] < g["call"]
                   for p in acked)

    cands = sorted(set(w["value"] for w in writes) | {None},
                   key=lambda v: (v is None, v or ""))
    rng = random.Random(g["call"])
    rng.shuffle(cands)
    for v in cands:
        if v == g["value"]:
            continue
        srcs = [(w["call"], w["ret"] if w["ok"] is True and
                 w["ret"] is not None else inf)
                for w in writes if w["value"] == v]
        if v is None:
            srcs.append((-inf, -inf))
        if all(blocked(v, c, r) for c, r in srcs):
            return v
    return None


class Randomized(unittest.TestCase):
    ROUNDS = 300

    def test_simulated_histories_pass_and_mutants_fail(self):
        rng = random.Random(20240601)
        mutants = impossible = 0
        for round_ in range(self.ROUNDS):
            records, _ = simulate(rng, nkeys=rng.randint(1, 3))
            rc, out, err = run(records, "--shrink-seconds", "0")
            self.assertEqual(rc, 0, "round %d: simulated history rejected:\n"
                             "%s%s%s" % (round_, text(records), out, err))
            gets = [r for r in records if r["op"] == "get" and r["ok"]]
            if not gets:
                continue
            g = rng.choice(gets)
            v = impossible_value(records, g)
            if v is None:
                v = "never-written-%d" % round_
            else:
                impossible += 1
            old, g["value"] = g["value"], v
            rc, out, err = run(records, "--shrink-seconds", "0.2")
            self.assertEqual(rc, 1, "round %d: mutant accepted (get at line "
                             "%d: %r -> %r):\n%s%s" % (
                                 round_, records.index(g) + 1, old, v, out,
                                 err))
            mutants += 1
        self.assertGreater(mutants, self.ROUNDS // 2)
        # Most mutants should be stale or future reads, not just garbage.
        self.assertGreater(impossible, mutants // 3)

    def test_fault_free_histories_pass(self):
        rng = random.Random(7)
        for round_ in range(100):
            records, _ = simulate(rng, nkeys=1, unknown=0.0, failed=0.0)
            rc, out, err = run(records, "--shrink-seconds", "0")
            self.assertEqual(rc, 0, "round %d:\n%s%s%s"
                             % (round_, text(records), out, err))


# ---- performance -------------------------------------------------------------------


class Performance(unittest.TestCase):
    def test_3000_ops_20_keys_8_clients(self):
        rng = random.Random(99)
        records, _ = simulate(rng, nkeys=20, nclients=8, nops=375,
                              t0=1.7e9)
        self.assertEqual(len(records), 3000)
        start = time.monotonic()
        rc, out, err = run(records)
        elapsed = time.monotonic() - start
        self.assertEqual(rc, 0, out + err)
        sys.stderr.write("\nlincheck: 3000 ops, 20 keys, 8 clients: %.2f s\n"
                         % elapsed)

    def test_one_hot_key_with_unknown_writes(self):
        # A single key, 10 clients, many unknown outcomes (nodes killed).
        rng = random.Random(5)
        records, _ = simulate(rng, nkeys=1, nclients=10, nops=40,
                              unknown=0.25)
        rc, out, err = run(records)
        self.assertEqual(rc, 0, out + err)


if __name__ == "__main__":
    unittest.main()
