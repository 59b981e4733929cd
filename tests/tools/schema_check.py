#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Validates hvsmoke's JSON outputs against vmm/schema/hvsmoke.schema.json.

usage: schema_check.py FILE|DIR...
A directory is searched for *.json, except under hand-made/ (a test's own
deliberately broken inputs). Each file is checked against the definition its
"kind" names. Exit 0: all valid; 1: a file is not (one line per error);
2: the checker cannot run.
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA = os.path.join(ROOT, "vmm", "schema", "hvsmoke.schema.json")
KINDS = {"hvsmoke-run": "run", "hvsmoke-compare": "compare", "hvsmoke-night": "night",
         "hvsmoke-host": "host", "hvsmoke-bench": "bench"}


def files_of(args):
    for a in args:
        if os.path.isdir(a):
            for d, subdirs, names in os.walk(a):
                subdirs[:] = [s for s in subdirs if s != "hand-made"]
                for n in sorted(names):
                    if n.endswith(".json"):
                        yield os.path.join(d, n)
        else:
            yield a


def strict_constant(name):
    # Python reads NaN and Infinity; JSON has neither
    raise ValueError(f"{name} is not JSON")


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        raise ValueError(f"duplicate key(s) {sorted(dup)}")
    return dict(pairs)


def main(argv):
    try:
        import jsonschema
    except ImportError:
        print("schema_check: python3-jsonschema is not installed", file=sys.stderr)
        return 2
    args = argv[1:]
    with open(SCHEMA) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    bad = 0
    for path in files_of(args):
        try:
            with open(path) as f:
                doc = json.load(f, parse_constant=strict_constant,
                                object_pairs_hook=no_duplicates)
        except (OSError, ValueError) as e:
            print(f"{path}: not JSON: {e}")
            bad += 1
            continue
        name = KINDS.get(doc.get("kind") if isinstance(doc, dict) else None)
        if not name:
            print(f"{path}: no known \"kind\" (one of {', '.join(KINDS)})")
            bad += 1
            continue
        sub = dict(schema["$defs"][name])
        sub["$defs"] = schema["$defs"]
        errors = sorted(cls(sub).iter_errors(doc), key=lambda e: list(e.absolute_path))
        for e in errors[:10]:
            where = "/".join(str(p) for p in e.absolute_path) or "(top)"
            print(f"{path}: {where}: {e.message[:300]}")
        bad += bool(errors)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
