#!/usr/bin/env python3
"""zabbix_template_check.py -- checks Zabbix 6.0 template exports (YAML) the way an import
and a running server would, without a server.

  zabbix_template_check.py [options] TEMPLATE.yaml...

Always: the structure. Export version 6.0; every uuid 32 lowercase hex digits and unique;
groups and value maps that are used exist; each DEPENDENT item's master is an item of the
same template; each trigger's /template/key references exist (prototypes only in trigger
prototypes), and {ITEM.*N} macros stay within them; dependencies name existing triggers;
every {$MACRO} used is defined in the template, and every defined one is used; every
JSONPATH is in the subset evaluated below.

With --run: the values. Each master item and discovery rule is run as Zabbix would run it:
an agent item with `zabbix_agentd -c CONF -t KEY` (--agentd, --agent-conf), an EXTERNAL
check by splitting its key into arguments for BIN_DIR/SCRIPT. Template macros are
substituted (--macro '{$M}=V' overrides a default) and {HOST.CONN} with --host-conn. Every
dependent item and item prototype (for each discovered row, with its {#MACROS}) then gets
its preprocessing applied; each JSONPATH must match, and FLOAT/UNSIGNED items must get
numbers. Prints one line per value and ends with "N checks, N failures"; exits 1 on any.

JSONPath: Zabbix's own dialect has no Python library in Debian 12, so this evaluates exactly
the subset the templates use and rejects anything else:
  $.a.b   $.a[N]   $.a[?(@.k=='v')].b.first()   $.a.length()   (a definite path to an array)
"""

import argparse
import json
import os
import re
import subprocess
import sys

import yaml

FAILURES = []
CHECKS = 0


def fail(where, msg):
    FAILURES.append(f"{where}: {msg}")
    print(f"FAIL {where}: {msg}")


def ok():
    global CHECKS
    CHECKS += 1


# ------------------------------------------------------------------------------------------
# JSONPath subset
# ------------------------------------------------------------------------------------------
NAME = r"[A-Za-z_][A-Za-z0-9_]*"
SEG_RE = re.compile(rf"\.({NAME})|\[(\d+)\]|\[\?\(@\.({NAME})=='([^']*)'\)\]")


class PathError(Exception):
    pass


def compile_path(path):
    """Returns (segments, function); segments: ('key', k) | ('index', n) | ('filter', k, v)."""
    if not path.startswith("$"):
        raise PathError(f"{path!r} does not start with $")
    func = None
    body = path[1:]
    for f in ("first", "length"):
        if body.endswith(f".{f}()"):
            func, body = f, body[: -len(f) - 3]
    segs, pos = [], 0
    while pos < len(body):
        m = SEG_RE.match(body, pos)
        if not m:
            raise PathError(f"{path!r} is outside the supported subset at {body[pos:]!r}")
        if m.group(1):
            segs.append(("key", m.group(1)))
        elif m.group(2):
            segs.append(("index", int(m.group(2))))
        else:
            segs.append(("filter", m.group(3), m.group(4)))
        pos = m.end()
    if not segs:
        raise PathError(f"{path!r} selects nothing")
    filters = sum(1 for s in segs if s[0] == "filter")
    if filters > 1:
        raise PathError(f"{path!r}: more than one filter")
    if filters and func != "first":
        raise PathError(f"{path!r}: a filter must end in .first()")
    if func == "first" and not filters:
        raise PathError(f"{path!r}: .first() only after a filter")
    return segs, func


class Num(str):
    """A JSON number, kept as its text (Zabbix hands numbers on as they were written)."""


def load_json(text):
    return json.loads(text, parse_float=Num, parse_int=Num)


def json_text(v):
    """v as compact JSON text, numbers as they were written."""
    if isinstance(v, Num):
        return str(v)
    if isinstance(v, list):
        return "[" + ",".join(json_text(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k) + ":" + json_text(x) for k, x in v.items()) + "}"
    return json.dumps(v)  # a string, true, false, null


def render(v):
    """What Zabbix makes of a matched JSON value: a string bare, anything else as JSON text."""
    return v if isinstance(v, str) and not isinstance(v, Num) else json_text(v)


def eval_path(path, doc):
    """Value of path in doc as Zabbix renders it; PathError when nothing matches."""
    segs, func = compile_path(path)
    nodes = [doc]
    for seg in segs:
        out = []
        for n in nodes:
            if seg[0] == "key" and isinstance(n, dict) and seg[1] in n:
                out.append(n[seg[1]])
            elif seg[0] == "index" and isinstance(n, list) and seg[1] < len(n):
                out.append(n[seg[1]])
            elif seg[0] == "filter" and isinstance(n, list):
                out += [e for e in n if isinstance(e, dict) and isinstance(e.get(seg[1]), str)
                        and e[seg[1]] == seg[2]]
        nodes = out
    if func == "length":
        if len(nodes) != 1 or not isinstance(nodes[0], list):
            raise PathError(f"{path}: .length() of something that is not an array")
        return str(len(nodes[0]))
    if not nodes:
        raise PathError(f"{path}: no data matches the path")
    if nodes[0] is None:
        raise PathError(f"{path}: matches null")
    return render(nodes[0])


BOOLS = {"true": "1", "yes": "1", "on": "1", "false": "0", "no": "0", "off": "0"}


def preprocess(steps, value):
    """Runs the steps on the master's JSON text; returns the item value or raises PathError."""
    for step in steps or []:
        kind, params = step["type"], step.get("parameters") or [""]
        if kind == "JSONPATH":
            value = eval_path(params[0], load_json(value))
        elif kind == "BOOL_TO_DECIMAL":
            if value.lower() not in BOOLS:
                raise PathError(f"BOOL_TO_DECIMAL of {value!r}")
            value = BOOLS[value.lower()]
        else:
            raise PathError(f"preprocessing {kind} is not supported here")
    return value


# ------------------------------------------------------------------------------------------
# Keys, macros, expressions
# ------------------------------------------------------------------------------------------
def split_key(key):
    """Zabbix item key -> (name, [params]): quoted params unescaped, no nested arrays."""
    m = re.match(r"([\w.-]+)(?:\[(.*)\])?$", key, re.S)
    if not m:
        raise ValueError(f"bad key {key!r}")
    name, rest = m.group(1), m.group(2)
    if rest is None:
        return name, []
    params, i = [], 0
    while True:
        while i < len(rest) and rest[i] == " ":
            i += 1
        if i < len(rest) and rest[i] == '"':
            j, buf = i + 1, ""
            while j < len(rest) and rest[j] != '"':
                if rest[j] == "\\" and j + 1 < len(rest) and rest[j + 1] == '"':
                    j += 1
                buf += rest[j]
                j += 1
            if j >= len(rest):
                raise ValueError(f"unterminated quote in {key!r}")
            i = j + 1
            while i < len(rest) and rest[i] == " ":
                i += 1
        elif i < len(rest) and rest[i] == "[":
            raise ValueError(f"array parameters are not supported: {key!r}")
        else:
            j = rest.find(",", i)
            j = len(rest) if j < 0 else j
            buf, i = rest[i:j], j
        params.append(buf)
        if i >= len(rest):
            return name, params
        if rest[i] != ",":
            raise ValueError(f"bad parameter list in {key!r}")
        i += 1


def join_key(name, params):
    def one(p):
        return '"' + p.replace('"', '\\"') + '"' if re.search(r'[,\]"]|^ ', p) else p
    return f"{name}[{','.join(one(p) for p in params)}]" if params else name


USER_MACRO = re.compile(r"\{\$[A-Z0-9_.]+(?::[^}]*)?\}")
LLD_MACRO = re.compile(r"\{#[A-Z0-9_.]+\}")


def strings(obj):
    """Every string in a YAML subtree."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from strings(v)


def item_refs(expr):
    """The /host/key references of a trigger expression, in order."""
    refs, i = [], 0
    while True:
        i = expr.find("(/", i)
        if i < 0:
            return refs
        j = expr.index("/", i + 2)
        host, k = expr[i + 2: j], j + 1
        m = re.match(r"[\w.-]+", expr[k:])
        if not m:
            raise ValueError(f"bad item reference at {expr[i:]!r}")
        k += m.end()
        if k < len(expr) and expr[k] == "[":
            depth, quoted = 0, False
            while k < len(expr):
                c = expr[k]
                if quoted:
                    if c == "\\":
                        k += 1
                    elif c == '"':
                        quoted = False
                elif c == '"':
                    quoted = True
                elif c == "[":
                    depth += 1
                elif c == "]":
                    depth -= 1
                    if depth == 0:
                        break
                k += 1
            k += 1
        refs.append((host, expr[j + 1: k]))
        i = k


# ------------------------------------------------------------------------------------------
# Structure
# ------------------------------------------------------------------------------------------
PRIORITIES = {"NOT_CLASSIFIED", "INFO", "WARNING", "AVERAGE", "HIGH", "DISASTER"}
ITEM_TYPES = {"ZABBIX_PASSIVE", "EXTERNAL", "DEPENDENT"}
VALUE_TYPES = {"FLOAT", "UNSIGNED", "CHAR", "TEXT"}


def check_trigger(where, trig, tname, keys, proto_keys, own_key, is_proto, all_triggers):
    if trig.get("priority", "NOT_CLASSIFIED") not in PRIORITIES:
        fail(where, f"priority {trig.get('priority')}")
    try:
        refs = item_refs(trig["expression"])
    except (ValueError, KeyError) as e:
        fail(where, str(e))
        return
    if not refs:
        fail(where, "expression references no item")
    used_proto = False
    for host, key in refs:
        if host != tname:
            fail(where, f"references template {host!r}, not {tname!r}")
        elif key in proto_keys and is_proto:
            used_proto = True
        elif key not in keys:
            fail(where, f"references {key!r}, which is not an item of {tname!r}")
        else:
            ok()
    if is_proto and not used_proto:
        fail(where, "trigger prototype references no item prototype")
    distinct = {k for _, k in refs}
    if own_key is not None and distinct != {own_key}:
        fail(where, f"nested under {own_key!r} but references {sorted(distinct)}")
    if own_key is None and not is_proto and len(distinct) < 2:
        fail(where, "a top-level trigger must reference several items (else nest it)")
    for text in (trig.get("name", ""), trig.get("opdata", ""), trig.get("event_name", "")):
        for n in re.findall(r"\{ITEM\.\w+?(\d*)\}", text):
            if int(n or 1) > len(refs):
                fail(where, f"{{ITEM.*{n}}} but the expression has {len(refs)} item(s)")
    for d in trig.get("dependencies", []) or []:
        if (d.get("name"), d.get("expression")) not in all_triggers:
            fail(where, f"depends on a trigger that does not exist: {d.get('name')!r}")
        else:
            ok()


def check_item(where, item, master_keys, valuemaps, is_proto):
    t = item.get("type", "ZABBIX_PASSIVE")
    vt = item.get("value_type", "UNSIGNED")
    if t not in ITEM_TYPES:
        fail(where, f"item type {t} not expected")
    if vt not in VALUE_TYPES:
        fail(where, f"value_type {vt} not expected")
    if vt in ("CHAR", "TEXT") and str(item.get("trends", "")) != "0":
        fail(where, f"{vt} item needs trends '0'")
    if t == "DEPENDENT":
        mk = (item.get("master_item") or {}).get("key")
        if mk not in master_keys:
            fail(where, f"master item {mk!r} is not an item of this template")
        else:
            ok()
        if str(item.get("delay", "0")) != "0":
            fail(where, "dependent item with a delay")
    elif "master_item" in item:
        fail(where, "master_item on a non-dependent item")
    vm = (item.get("valuemap") or {}).get("name")
    if vm is not None and vm not in valuemaps:
        fail(where, f"value map {vm!r} is not defined")
    for step in item.get("preprocessing", []) or []:
        if step["type"] == "JSONPATH":
            try:
                compile_path(step["parameters"][0])
                ok()
            except PathError as e:
                fail(where, str(e))
        elif step["type"] != "BOOL_TO_DECIMAL":
            fail(where, f"preprocessing {step['type']} is not supported here")
    if not is_proto and any(LLD_MACRO.search(s) for s in strings(item)):
        fail(where, "LLD macro outside a discovery rule")


def check_structure(path, doc, uuids):
    exp = doc.get("zabbix_export") or {}
    if str(exp.get("version")) != "6.0":
        fail(path, f"export version {exp.get('version')!r}, not '6.0'")
    groups = {}
    for g in exp.get("groups", []) or []:
        # the same group may come in every file, with its one uuid
        groups[g["name"]] = g["uuid"]
        if not re.fullmatch(r"[0-9a-f]{32}", str(g["uuid"])):
            fail(path, f"group uuid {g['uuid']!r} is not 32 lowercase hex digits")
        uuids.setdefault(("group", g["name"], g["uuid"]), path)

    def uid(where, obj):
        u = str(obj.get("uuid", ""))
        if not re.fullmatch(r"[0-9a-f]{32}", u):
            fail(where, f"uuid {u!r} is not 32 lowercase hex digits")
        elif any(k[-1] == u for k in uuids):
            fail(where, f"uuid {u} is used twice")
        else:
            uuids[(where, u)] = path
            ok()

    exp.setdefault("templates", [])
    tnames = {t["template"] for t in exp["templates"]}
    all_triggers = set()
    for t in exp.get("templates", []):
        for it in t.get("items", []) or []:
            for tr in it.get("triggers", []) or []:
                all_triggers.add((tr["name"], tr["expression"]))
        for r in t.get("discovery_rules", []) or []:
            for p in r.get("item_prototypes", []) or []:
                for tr in p.get("trigger_prototypes", []) or []:
                    all_triggers.add((tr["name"], tr["expression"]))
            for tr in r.get("trigger_prototypes", []) or []:
                all_triggers.add((tr["name"], tr["expression"]))
    for tr in exp.get("triggers", []) or []:
        all_triggers.add((tr["name"], tr["expression"]))

    for t in exp.get("templates", []):
        tname = t["template"]
        uid(f"{tname}", t)
        for g in t.get("groups", []) or []:
            if g["name"] not in groups:
                fail(tname, f"group {g['name']!r} is not exported")
        valuemaps = set()
        for vm in t.get("valuemaps", []) or []:
            uid(f"{tname} valuemap {vm['name']}", vm)
            valuemaps.add(vm["name"])
        items = t.get("items", []) or []
        keys = [i["key"] for i in items]
        rules = t.get("discovery_rules", []) or []
        all_keys = keys + [r["key"] for r in rules] + \
            [p["key"] for r in rules for p in r.get("item_prototypes", []) or []]
        for k in {k for k in all_keys if all_keys.count(k) > 1}:
            fail(tname, f"key {k!r} used twice")
        for it in items:
            where = f"{tname} item {it['key']}"
            uid(where, it)
            check_item(where, it, keys, valuemaps, False)
            for tr in it.get("triggers", []) or []:
                w = f"{tname} trigger {tr.get('name')!r}"
                uid(w, tr)
                check_trigger(w, tr, tname, set(keys), set(), it["key"], False, all_triggers)
        for r in rules:
            where = f"{tname} discovery {r['key']}"
            uid(where, r)
            check_item(where, r, keys, valuemaps, True)
            pkeys = {p["key"] for p in r.get("item_prototypes", []) or []}
            for p in r.get("item_prototypes", []) or []:
                w = f"{tname} prototype {p['key']}"
                uid(w, p)
                check_item(w, p, keys + list(pkeys), valuemaps, True)
                if not LLD_MACRO.search(p["key"]):
                    fail(w, "prototype key without an LLD macro")
                for tr in p.get("trigger_prototypes", []) or []:
                    wt = f"{tname} trigger prototype {tr.get('name')!r}"
                    uid(wt, tr)
                    check_trigger(wt, tr, tname, set(keys), pkeys, p["key"], True, all_triggers)
            for tr in r.get("trigger_prototypes", []) or []:
                wt = f"{tname} trigger prototype {tr.get('name')!r}"
                uid(wt, tr)
                check_trigger(wt, tr, tname, set(keys), pkeys, None, True, all_triggers)
        # macros: used ones defined, defined ones used
        defined = {m["macro"] for m in t.get("macros", []) or []}
        tops = [tr for tr in exp.get("triggers", []) or []
                if f"(/{tname}/" in tr.get("expression", "")]
        body = {k: v for k, v in t.items() if k != "macros"}
        used = {m.split(":")[0].rstrip("}") + "}" for s in strings([body, tops])
                for m in USER_MACRO.findall(s)}
        for m in sorted(used - defined):
            fail(tname, f"macro {m} is used but not defined")
        for m in sorted(defined - used):
            fail(tname, f"macro {m} is defined but never used")
        ok()

    for tr in exp.get("triggers", []) or []:
        w = f"trigger {tr.get('name')!r}"
        uid(w, tr)
        try:
            hosts = {h for h, _ in item_refs(tr["expression"])}
        except ValueError as e:
            fail(w, str(e))
            continue
        if len(hosts) != 1 or not hosts <= tnames:
            fail(w, f"references templates {sorted(hosts)}")
            continue
        t = next(t for t in exp["templates"] if t["template"] in hosts)
        check_trigger(w, tr, t["template"], {i["key"] for i in t.get("items", []) or []},
                      set(), None, False, all_triggers)


# ------------------------------------------------------------------------------------------
# Values
# ------------------------------------------------------------------------------------------
def substitute(text, macros, host_conn):
    def user(m):
        name = m.group(0)
        if name not in macros:
            raise KeyError(f"macro {name} has no value")
        return macros[name]
    return USER_MACRO.sub(user, text).replace("{HOST.CONN}", host_conn)


def run_item(item, macros, args):
    """The raw value of an agent or external item, or raises RuntimeError."""
    name, params = split_key(item["key"])
    params = [substitute(p, macros, args.host_conn) for p in params]
    kind = item.get("type", "ZABBIX_PASSIVE")
    if kind == "EXTERNAL":
        cmd = [os.path.join(args.bin_dir, name)] + params
        # Zabbix stores stdout and stderr together as the value
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        print(f"  run  {' '.join(repr(c) if c == '' or ' ' in c else c for c in cmd)}")
        return p.stdout.decode().rstrip()
    if kind == "ZABBIX_PASSIVE":
        key = join_key(name, params)
        p = subprocess.run([args.agentd, "-c", args.agent_conf, "-t", key],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        out = p.stdout.decode()
        print(f"  run  zabbix_agentd -t {key}")
        m = re.search(r"\[t\|(.*)\]\s*$", out, re.S)
        if not m:
            raise RuntimeError(f"agent did not return a text value: {out.strip()}")
        return m.group(1)
    raise RuntimeError(f"cannot run an item of type {kind}")


def check_value(where, item, master_value, lld=None):
    steps = item.get("preprocessing", []) or []
    if lld:
        steps = [dict(s, parameters=[LLD_MACRO.sub(lambda m: lld[m.group(0)], p)
                                     for p in s.get("parameters") or [""]]) for s in steps]
    try:
        value = preprocess(steps, master_value)
    except (PathError, ValueError) as e:
        fail(where, str(e))
        return
    vt = item.get("value_type", "UNSIGNED")
    if vt == "FLOAT" and not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", value):
        fail(where, f"FLOAT item got {value!r}, not a number")
    elif vt == "UNSIGNED" and not re.fullmatch(r"\d+", value):
        fail(where, f"UNSIGNED item got {value!r}, not an unsigned integer")
    else:
        ok()
        print(f"  value {where} = {value}")


def check_values(doc, args, selected, overrides, used_overrides):
    for t in doc["zabbix_export"].get("templates", []):
        tname = t["template"]
        if selected and tname not in selected:
            continue
        macros = {m["macro"]: str(m.get("value", "")) for m in t.get("macros", []) or []}
        for k, v in overrides.items():
            if k in macros:
                macros[k] = v
                used_overrides.add(k)
        values = {}
        for it in t.get("items", []) or []:
            if it.get("type") == "DEPENDENT":
                continue
            try:
                values[it["key"]] = run_item(it, macros, args)
                doc = load_json(values[it["key"]])
                if not (isinstance(doc, dict) and {"state", "exit_code", "summary"} <= set(doc)):
                    raise ValueError(f"not a plugin's JSON: {values[it['key']]}")
                ok()
            except (RuntimeError, KeyError, ValueError, subprocess.TimeoutExpired) as e:
                values.pop(it["key"], None)
                fail(f"{tname} item {it['key']}", f"master value unusable: {e}")
        for it in t.get("items", []) or []:
            if it.get("type") == "DEPENDENT" and it["master_item"]["key"] in values:
                check_value(f"{tname}: {it['key']}", it, values[it["master_item"]["key"]])
        for r in t.get("discovery_rules", []) or []:
            try:
                rows = load_json(run_item(r, macros, args))
            except (RuntimeError, KeyError, ValueError, subprocess.TimeoutExpired) as e:
                fail(f"{tname} discovery {r['key']}", f"no LLD value: {e}")
                continue
            if isinstance(rows, dict):
                rows = rows.get("data")
            if not isinstance(rows, list) or not rows or not all(
                    isinstance(x, dict) and all(LLD_MACRO.fullmatch(k) for k in x) for x in rows):
                fail(f"{tname} discovery {r['key']}", f"not a non-empty LLD array: {rows!r}")
                continue
            ok()
            for row in rows:
                row = {k: str(v) for k, v in row.items()}
                for p in r.get("item_prototypes", []) or []:
                    missing = set(LLD_MACRO.findall(" ".join(strings(p)))) - set(row)
                    if missing:
                        fail(f"{tname} prototype {p['key']}",
                             f"{sorted(missing)} not in the discovery row {row}")
                        continue
                    key = LLD_MACRO.sub(lambda m: row[m.group(0)], p["key"])
                    mk = p["master_item"]["key"]
                    if mk in values:
                        check_value(f"{tname}: {key}", p, values[mk], row)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--run", action="store_true", help="run the masters and check values")
    ap.add_argument("--template", action="append", default=[], help="only these (with --run)")
    ap.add_argument("--macro", action="append", default=[], help="'{$M}=VALUE' (with --run)")
    ap.add_argument("--host-conn", default="127.0.0.1")
    ap.add_argument("--bin-dir", default=".")
    ap.add_argument("--agentd", default="zabbix_agentd")
    ap.add_argument("--agent-conf", default="/etc/zabbix/zabbix_agentd.conf")
    args = ap.parse_args()

    overrides = dict(m.split("=", 1) for m in args.macro)
    docs, uuids = [], {}
    for f in args.files:
        try:
            with open(f) as fh:
                doc = yaml.safe_load(fh)
        except (OSError, yaml.YAMLError) as e:
            fail(f, str(e))
            continue
        print(f"structure {f}")
        check_structure(f, doc, uuids)
        docs.append(doc)
    if args.run:
        used = set()
        for doc in docs:
            check_values(doc, args, set(args.template), overrides, used)
        for m in sorted(set(overrides) - used):
            fail("--macro", f"{m} is not a macro of the selected templates")
    print(f"zabbix_template_check: {CHECKS} checks, {len(FAILURES)} failures")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
