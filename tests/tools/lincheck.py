#!/usr/bin/env python3
"""lincheck: is a recorded history of puts, gets and removes linearizable?

Every file name is an independent read/write register (initially absent,
that is null). Linearizability is compositional (Herlihy & Wing, "locality"),
so each key is checked on its own: a Wing & Gong depth-first search over the
orders of that key's operations that respect real time, with the visited
states memoised as (set of placed operations, register value), as in Lowe,
"Testing for linearizability" (2017) and porcupine.

History: one JSON object per line (blank lines are ignored)
  {"client": "c1", "op": "put"|"get"|"remove", "key": "f3",
   "value": "<content id>" | null, "call": <s>, "ret": <s>|null,
   "ok": true|false|null}
  put     ok true: acknowledged, must be placed inside [call, ret].
          ok false: definitely failed, dropped.
          ok null or ret null: outcome unknown; it may be placed anywhere
          after call, or never.
  remove  a put of null (the file becomes absent).
  get     value read, null for "not found". ok true: must be placed inside
          [call, ret] and see that value. Otherwise dropped.

Exit status: 0 every key is linearizable, 1 some key is not, 2 bad input
or usage.

Sections: history parsing, the search, shrinking a violation to a small
witness, the report, the command line.
"""

import argparse
import json
import math
import sys
import time

INF = math.inf

# ---- history parsing ----------------------------------------------------------


class BadInput(Exception):
    pass


class Op:
    """One operation as recorded; `ret` is INF when the outcome is unknown."""

    __slots__ = ("line", "client", "kind", "key", "value", "call", "ret",
                 "known", "outcome")

    def __init__(self, line, client, kind, key, value, call, ret, known,
                 outcome):
        self.line = line
        self.client = client
        self.kind = kind          # "put", "remove" or "get"
        self.key = key
        self.value = value        # written or read; None is "absent"
        self.call = call
        self.ret = ret
        self.known = known        # completed: must be linearized
        self.outcome = outcome    # "ok", "failed" or "unknown"

    @property
    def writes(self):
        return self.kind != "get"


def _time(rec, field, lineno, allow_null):
    t = rec.get(field)
    if t is None:
        if allow_null:
            return None
        raise BadInput("line %d: field '%s' is missing or null" % (lineno, field))
    if isinstance(t, bool) or not isinstance(t, (int, float)):
        raise BadInput("line %d: field '%s' must be a number of seconds, not %s"
                       % (lineno, field, json.dumps(t)))
    if not math.isfinite(t):
        raise BadInput("line %d: field '%s' must be finite, not %s"
                       % (lineno, field, t))
    return float(t)


def parse_line(text, lineno):
    """One history line -> Op, or raise BadInput naming the line."""
    try:
        rec = json.loads(text)
    except ValueError as e:
        raise BadInput("line %d: not valid JSON (%s)" % (lineno, e))
    if not isinstance(rec, dict):
        raise BadInput("line %d: expected a JSON object, got %s"
                       % (lineno, type(rec).__name__))
    kind = rec.get("op")
    if kind not in ("put", "get", "remove"):
        raise BadInput("line %d: field 'op' must be \"put\", \"get\" or "
                       "\"remove\", not %s" % (lineno, json.dumps(kind)))
    for field in ("client", "key"):
        if not isinstance(rec.get(field), str):
            raise BadInput("line %d: field '%s' must be a string, not %s"
                           % (lineno, field, json.dumps(rec.get(field))))
    ok = rec.get("ok")
    if ok is not None and not isinstance(ok, bool):
        raise BadInput("line %d: field 'ok' must be true, false or null, not %s"
                       % (lineno, json.dumps(ok)))
    call = _time(rec, "call", lineno, False)
    ret = _time(rec, "ret", lineno, True)
    if ret is not None and ret < call:
        raise BadInput("line %d: ret %s is before call %s" % (lineno, ret, call))
    value = rec.get("value")
    if value is not None and not isinstance(value, str):
        raise BadInput("line %d: field 'value' must be a string or null, not %s"
                       % (lineno, json.dumps(value)))
    if kind == "put" and value is None and ok is not False:
        raise BadInput("line %d: a put needs a string 'value' (use op "
                       "\"remove\" to make a file absent)" % lineno)
    if kind == "remove":
        value = None
    if kind == "get":
        if ok is True:
            if "value" not in rec:
                raise BadInput("line %d: a completed get needs a 'value' "
                               "(null when the file was absent)" % lineno)
            if ret is None:
                raise BadInput("line %d: a completed get (ok true) needs a "
                               "'ret' time" % lineno)
            return Op(lineno, rec["client"], kind, rec["key"], value, call,
                      ret, True, "ok")
        return Op(lineno, rec["client"], kind, rec["key"], value, call,
                  INF if ret is None else ret, False, "failed")
    if ok is False:
        return Op(lineno, rec["client"], kind, rec["key"], value, call,
                  INF if ret is None else ret, False, "failed")
    if ok is None or ret is None:
        return Op(lineno, rec["client"], kind, rec["key"], value, call, INF,
                  False, "unknown")
    return Op(lineno, rec["client"], kind, rec["key"], value, call, ret, True,
              "ok")


def parse_history(lines):
    """Iterable of text lines -> list of every Op (failed ones included)."""
    ops = []
    for lineno, text in enumerate(lines, 1):
        if text.strip():
            ops.append(parse_line(text, lineno))
    return ops


def relevant(ops):
    """The ops that constrain a key: failed ops did not happen (puts) or
    constrain nothing (gets)."""
    return [o for o in ops if o.outcome != "failed"]


def by_key(ops):
    keys = {}
    for o in relevant(ops):
        keys.setdefault(o.key, []).append(o)
    return keys


# ---- the search -----------------------------------------------------------------


class Result:
    __slots__ = ("ok", "prefix", "value", "stuck", "states", "gave_up")

    def __init__(self, ok, prefix=(), value=None, stuck=(), states=0,
                 gave_up=False):
        self.ok = ok
        self.prefix = prefix      # longest linearizable prefix found (Ops)
        self.value = value        # register value after that prefix
        self.stuck = stuck        # completed ops that could not come next
        self.states = states      # distinct states visited
        self.gave_up = gave_up    # max_states reached: ok is meaningless


_UNREAD = object()


def check_key(ops, initial=None, max_states=None):
    """Search for a linearization of one key's ops (failed ops excluded).

    An op may come next only if it is "minimal": no remaining completed op
    returned before it was called. These reductions keep the search small,
    all exact for a register:
    - a minimal get that reads the current value is placed at once, without
      branching: moving a read earlier, to where it is minimal, changes no
      value and breaks no real-time order;
    - a write of unknown outcome is placed only right before a get that
      reads its value. Placing it anywhere else can only hide the older
      value from later gets, so leaving it out is always as good. Once no
      remaining get reads its value ("dead"), the state key counts it as
      placed, which merges states that differ only in such writes;
    - a register value that no remaining get reads is remembered as one
      "unread" value.
    """
    ops = sorted(ops, key=lambda o: (o.call, o.ret, o.line))
    readers = {}
    for i, o in enumerate(ops):
        if o.kind == "get":
            readers[o.value] = readers.get(o.value, 0) | (1 << i)
    # Unknown writes that no get reads are never worth placing.
    ops = [o for o in ops
           if o.known or o.kind == "get" or o.value in readers]
    n = len(ops)
    readers = {}
    completed = 0
    unknown = []              # (bit, readers of its value)
    for i, o in enumerate(ops):
        if o.kind == "get":
            readers[o.value] = readers.get(o.value, 0) | (1 << i)
        if o.known:
            completed |= 1 << i
    for i, o in enumerate(ops):
        if not o.known:
            unknown.append((1 << i, readers.get(o.value, 0)))
    calls = [o.call for o in ops]
    rets = [o.ret for o in ops]
    is_get = [o.kind == "get" for o in ops]
    values = [o.value for o in ops]
    known = [o.known for o in ops]

    full = (1 << n) - 1

    def window(eff):
        """Indices of the minimal unplaced ops given the placed set `eff`."""
        free = full & ~eff
        minret = INF
        cand = []
        while free:
            low = free & -free
            i = low.bit_length() - 1
            if calls[i] > minret:
                break
            cand.append(i)
            if rets[i] < minret:        # INF for unknown outcomes
                minret = rets[i]
            free ^= low
        return [i for i in cand if calls[i] <= minret]

    def dead_of(mask):
        d = 0
        for bit, rd in unknown:
            if rd & ~mask == 0:
                d |= bit
        return d

    visited = set()
    # A path is a persistent list: (op index, parent path) or None.
    stack = [(0, initial, None)]
    best = (-1, None, initial, 0)   # (completed ops placed, path, value, mask)
    while stack:
        mask, val, path = stack.pop()
        # Place every minimal get that reads the current value.
        while True:
            eff = mask | dead_of(mask)
            cand = window(eff)
            for i in cand:
                if is_get[i] and values[i] == val:
                    mask |= 1 << i
                    path = (i, path)
                    break
            else:
                break
        if mask & completed == completed:
            return Result(True, _unwind(ops, path), val, (), len(visited))
        # A value no remaining get reads can never be seen again: all such
        # values are one state.
        key = (eff, val if readers.get(val, 0) & ~mask else _UNREAD)
        if key in visited:
            continue
        visited.add(key)
        if max_states is not None and len(visited) > max_states:
            return Result(False, states=len(visited), gave_up=True)
        placed = bin(mask & completed).count("1")
        if placed > best[0]:
            best = (placed, path, val, mask)
        # Writes that may come next; the earliest-returning is tried first.
        # A write of unknown outcome is only worth placing right before a
        # get that reads it: between it and the next write every get reads
        # its value, and with no such get it could as well be left out. So
        # it waits until one of its readers can come next.
        readable = set(values[i] for i in cand if is_get[i])
        moves = [i for i in cand if not is_get[i]
                 and (known[i] or values[i] in readable)]
        moves.sort(key=lambda i: rets[i], reverse=True)
        for i in moves:
            stack.append((mask | (1 << i), values[i], (i, path)))
    _, path, val, mask = best
    eff = mask | dead_of(mask)
    stuck = [ops[i] for i in window(eff) if known[i]]
    return Result(False, _unwind(ops, path), val, stuck, len(visited))


def _unwind(ops, path):
    out = []
    while path is not None:
        out.append(ops[path[0]])
        path = path[1]
    out.reverse()
    return out


# ---- shrinking a violation --------------------------------------------------------
#
# Removing a get, or a write whose value no remaining get reads, never turns a
# linearizable history into one that is not (take its linearization and drop
# the op: a dropped write had no reader before the next write). So a subset
# reached by such removals that is still not linearizable is a witness: those
# ops alone already cannot be ordered, whatever the rest of the history says.


def _removable(o, kept):
    if o.kind == "get":
        return True
    return not any(g.kind == "get" and g.value == o.value for g in kept)


def _violates(ops, initial, max_states):
    r = check_key(ops, initial, max_states)
    return (not r.ok) and not r.gave_up


def _closure(ops, chosen):
    """`chosen` plus every write of a value some chosen get reads."""
    read = set(o.value for o in chosen if o.kind == "get")
    ids = set(map(id, chosen))
    return [o for o in ops
            if id(o) in ids or (o.writes and o.value in read)]


def shrink(ops, initial, deadline, stuck=(), max_states=20000):
    """A small non-linearizable subset of `ops` (which must be one).

    First look near an op the search could not place: the last k ops called
    before it returned, k = 4, 8, 16, ... Failing that, the shortest prefix
    in call order that still violates. Then drop single ops while it does.
    """
    ops = sorted(ops, key=lambda o: (o.call, o.line))
    kept = None
    for g in stuck[:3]:
        before = [o for o in ops if o.call <= g.ret and o is not g]
        k = 4
        while kept is None and time.monotonic() < deadline:
            trial = _closure(ops, before[-k:] + [g])
            if _violates(trial, initial, max_states):
                kept = trial
            if k >= len(before):
                break
            k *= 2
        if kept is not None:
            break
    if kept is None:
        def upto(t):
            return _closure(ops, [o for o in ops if o.call <= t])

        times = sorted(set(o.call for o in ops))
        lo, hi = 0, len(times) - 1
        while lo < hi and time.monotonic() < deadline:
            mid = (lo + hi) // 2
            if _violates(upto(times[mid]), initial, max_states):
                hi = mid
            else:
                lo = mid + 1
        kept = upto(times[hi])
    # Then drop single ops, latest first, while it still violates.
    for o in sorted(kept, key=lambda o: (-o.call, o.line)):
        if time.monotonic() > deadline:
            break
        if not _removable(o, kept):
            continue
        trial = [x for x in kept if x is not o]
        if _violates(trial, initial, max_states):
            kept = trial
    # A second pass catches writes freed by gets dropped after them.
    for o in sorted(kept, key=lambda o: (-o.call, o.line)):
        if time.monotonic() > deadline:
            break
        if o.writes and _removable(o, kept):
            trial = [x for x in kept if x is not o]
            if _violates(trial, initial, max_states):
                kept = trial
    return sorted(kept, key=lambda o: (o.call, o.line))


# ---- the report -------------------------------------------------------------------


class Fmt:
    """Times relative to the first call of the history, values shortened."""

    def __init__(self, t0):
        self.t0 = t0

    def t(self, x):
        if x == INF:
            return "?"
        s = "%.4f" % (x - self.t0)
        return s.rstrip("0").rstrip(".") if "." in s else s

    @staticmethod
    def v(value):
        if value is None:
            return "null"
        if len(value) > 20:
            value = value[:12] + "..."
        return "'%s'" % value

    def what(self, o):
        if o.kind == "get":
            return "get -> %s" % self.v(o.value)
        if o.kind == "remove":
            return "remove"
        return "put %s" % self.v(o.value)

    def op(self, o):
        tail = "" if o.known else "  (outcome unknown)"
        return "line %-5d %-8s %-22s t=%s..%s%s" % (
            o.line, o.client, self.what(o), self.t(o.call), self.t(o.ret), tail)

    def by(self, o):
        return "%s by %s at t=%s..%s" % (self.what(o), o.client,
                                        self.t(o.call), self.t(o.ret))

    def get_by(self, o):
        return "get by %s at t=%s..%s" % (o.client, self.t(o.call),
                                          self.t(o.ret))


def explain(witness, initial, fmt):
    """One English sentence for the common shapes of a witness, or None."""
    gets = [o for o in witness if o.kind == "get"]
    writes = [o for o in witness if o.writes]
    if len(gets) == 1:
        g = gets[0]
        src = [w for w in writes if w.value == g.value]
        init = initial == g.value
        if not src and not init:
            return ("%s returned %s, which no write of this key could have "
                    "produced (initial value %s)"
                    % (fmt.get_by(g), fmt.v(g.value), fmt.v(initial)))
        blockers = [p for p in writes if p.known and p.value != g.value
                    and p.ret < g.call
                    and all(w.ret < p.call for w in src)]
        if blockers:
            p = max(blockers, key=lambda p: p.ret)
            verb = "remove" if p.kind == "remove" else "put %s" % fmt.v(p.value)
            older = ("it is the initial value" if init and not src else
                     "every write of it had returned before that began (%s)"
                     % "; ".join(fmt.by(w) for w in src))
            return ("%s returned %s, but %s by %s was acknowledged at t=%s, "
                    "before the get started; and %s is stale: %s"
                    % (fmt.get_by(g), fmt.v(g.value), verb, p.client,
                       fmt.t(p.ret), fmt.v(g.value), older))
        if src and not init and all(w.call > g.ret for w in src):
            return ("%s returned %s before any write of it began (first at "
                    "t=%s)" % (fmt.get_by(g), fmt.v(g.value),
                               fmt.t(min(w.call for w in src))))
    if len(gets) == 2:
        g1, g2 = sorted(gets, key=lambda o: o.call)
        w1 = [w for w in writes if w.value == g1.value]
        w2 = [w for w in writes if w.value == g2.value]
        if (g1.ret < g2.call and w1 and len(w2) == 1
                and all(w2[0].ret < w.call for w in w1)):
            return ("%s returned %s; a later %s, which began after the "
                    "first returned, saw the older %s again, written by %s "
                    "before %s began"
                    % (fmt.get_by(g1), fmt.v(g1.value), fmt.get_by(g2),
                       fmt.v(g2.value), fmt.by(w2[0]), fmt.what(w1[0])))
    return None


def report_violation(out, key, ops, initial, res, fmt, verbose, deadline):
    out.write("key %s: NOT LINEARIZABLE (%d ops)\n" % (key, len(ops)))
    witness = (shrink(ops, initial, deadline, res.stuck)
               if deadline else None)
    if witness is not None and len(witness) < len(ops):
        sentence = explain(witness, initial, fmt)
        if sentence:
            out.write("  %s\n" % sentence)
        out.write("  these %d ops alone cannot be linearized (initial value "
                  "%s):\n" % (len(witness), fmt.v(initial)))
        for o in witness:
            out.write("    %s\n" % fmt.op(o))
    elif witness is not None:
        sentence = explain(witness, initial, fmt)
        if sentence:
            out.write("  %s\n" % sentence)
    tail = 8
    pre = res.prefix
    out.write("  longest linearizable prefix: %d op%s, register then %s%s\n"
              % (len(pre), "" if len(pre) == 1 else "s", fmt.v(res.value),
                 "; its last %d:" % tail if len(pre) > tail else
                 (":" if pre else "")))
    for o in pre[-tail:]:
        out.write("    %s\n" % fmt.op(o))
    out.write("  stuck there: real time allows these completed ops next, "
              "and none fits:\n")
    for o in res.stuck:
        why = ""
        if o.kind == "get":
            why = "  (register holds %s)" % fmt.v(res.value)
        out.write("    %s%s\n" % (fmt.op(o), why))
    if verbose or witness is None or len(witness) == len(ops):
        out.write("  all ops of key %s:\n" % key)
        for o in sorted(ops, key=lambda o: (o.call, o.line)):
            out.write("    %s\n" % fmt.op(o))


def summary(out, ops):
    counts = {}
    for o in ops:
        k = (o.kind, o.outcome)
        counts[k] = counts.get(k, 0) + 1
    nulls = sum(1 for o in ops
                if o.kind == "get" and o.outcome == "ok" and o.value is None)
    out.write("%d ops on %d keys from %d clients\n"
              % (len(ops), len(set(o.key for o in ops)),
                 len(set(o.client for o in ops))))
    for kind in ("put", "remove", "get"):
        parts = []
        for outcome in ("ok", "failed", "unknown"):
            c = counts.get((kind, outcome), 0)
            if c or outcome != "unknown" or kind != "get":
                parts.append("%d %s" % (c, outcome))
        extra = " (%d read null)" % nulls if kind == "get" else ""
        out.write("  %-7s %s%s\n" % (kind, ", ".join(parts), extra))


# ---- the command line -------------------------------------------------------------


def main(argv=None, out=sys.stdout, err=sys.stderr):
    ap = argparse.ArgumentParser(
        prog="lincheck",
        description="Check a history of puts, gets and removes (one JSON "
        "object per line) for linearizability, each key on its own.")
    ap.add_argument("history", nargs="?", default="-",
                    help="history file, or - for stdin (the default)")
    ap.add_argument("--initial", action="append", default=[],
                    metavar="KEY=VALUE",
                    help="initial value of KEY (default: absent); repeatable")
    ap.add_argument("--summary", action="store_true",
                    help="also print counts per op type and outcome")
    ap.add_argument("-q", "--quiet", action="store_true",
                    help="print only violations and the final line")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="list every op of a key that is not linearizable")
    ap.add_argument("--shrink-seconds", type=float, default=2.0,
                    metavar="S", help="time spent shrinking each violation to "
                    "a small witness (default 2; 0 turns it off)")
    args = ap.parse_args(argv)

    initial = {}
    for item in args.initial:
        if "=" not in item or not item.split("=", 1)[0]:
            err.write("lincheck: --initial %s: expected KEY=VALUE\n" % item)
            return 2
        k, v = item.split("=", 1)
        initial[k] = v

    name = "<stdin>" if args.history == "-" else args.history
    try:
        if args.history == "-":
            ops = parse_history(sys.stdin)
        else:
            with open(args.history, encoding="utf-8") as f:
                ops = parse_history(f)
    except BadInput as e:
        err.write("lincheck: %s: %s\n" % (name, e))
        return 2
    except (OSError, UnicodeDecodeError) as e:
        err.write("lincheck: %s: %s\n" % (name, e))
        return 2

    if args.summary:
        summary(out, ops)
    # Clock readings (epoch, monotonic) are shown relative to the first call.
    t0 = min((o.call for o in ops), default=0.0)
    fmt = Fmt(t0 if t0 >= 1000 else 0.0)
    if fmt.t0:
        out.write("times are seconds since the first call (t0=%s)\n" % fmt.t0)
    keys = by_key(ops)
    bad = 0
    for key in sorted(keys):
        kops = keys[key]
        init = initial.get(key)
        res = check_key(kops, init)
        if res.ok:
            if not args.quiet:
                out.write("key %s: OK (%d ops)\n" % (key, len(kops)))
            continue
        bad += 1
        deadline = (time.monotonic() + args.shrink_seconds
                    if args.shrink_seconds > 0 else None)
        report_violation(out, key, kops, init, res, fmt, args.verbose,
                         deadline)
    out.write("lincheck: %d of %d keys linearizable%s\n"
              % (len(keys) - bad, len(keys),
                 ", %d NOT" % bad if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
