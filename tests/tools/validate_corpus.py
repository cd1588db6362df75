#!/usr/bin/python3
"""Validate the message corpus against the JSON Schemas in schemas/.

Usage: /usr/bin/python3 tests/tools/validate_corpus.py [--check] SCHEMAS_DIR CORPUS_DIR

Needs Debian's python3-jsonschema (4.10); run it with /usr/bin/python3.

For every file CORPUS_DIR/<kind>/<name> (kinds and files sorted), prints
    <kind>/<name>\t<valid|invalid>\t<short reason or ->
using SCHEMAS_DIR/<kind>.schema.json. A message is valid iff:
  1. its raw size is at most 65536 bytes,
  2. its bytes decode as strict UTF-8,
  3. json.loads succeeds (NaN/Infinity, which are not JSON, are rejected),
  4. Draft202012Validator(schema).is_valid(obj).
Duplicated keys keep the last value (json.loads default).

With --check, every verdict must match the file name prefix (ok_ -> valid,
bad_ -> invalid); mismatches are listed on stderr and the exit status is 1.
Exit status 2 on anything unexpected (missing or invalid schema, unreadable dir).
"""
import json
import os
import sys

try:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError, best_match
except ImportError:  # pragma: no cover
    sys.exit("validate_corpus.py: jsonschema not found; run with /usr/bin/python3 "
             "(Debian python3-jsonschema)")

MAX_BYTES = 65536
KINDS = ("place", "event", "request", "response", "deadletter")


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _short(text, limit=120):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def load_validator(schemas_dir, kind):
    path = os.path.join(schemas_dir, f"{kind}.schema.json")
    with open(path, "rb") as f:
        schema = json.loads(f.read().decode("utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def verdict(validator, raw):
    """Returns (is_valid, reason)."""
    if len(raw) > MAX_BYTES:
        return False, f"size {len(raw)} > {MAX_BYTES} bytes"
    try:
        text = raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        return False, _short(f"invalid UTF-8 at byte {e.start}: {e.reason}")
    try:
        obj = json.loads(text, parse_constant=_reject_constant)
    except ValueError as e:
        return False, _short(f"malformed JSON: {e}")
    if validator.is_valid(obj):
        return True, "-"
    err = best_match(validator.iter_errors(obj))
    where = "/" + "/".join(str(p) for p in err.absolute_path)
    message = " ".join(err.message.split())
    if err.validator == "pattern":  # the patterns are long: show the value instead
        message = f"{_short(json.dumps(err.instance, ensure_ascii=False), 60)} does not match the pattern"
    elif len(message) > 100:  # the message quotes a long instance: name the rule instead
        message = f"fails {err.validator} {_short(json.dumps(err.validator_value), 60)}"
    return False, _short(f"schema {where}: {message}")


def main(argv):
    args = [a for a in argv[1:] if a != "--check"]
    check = len(args) != len(argv) - 1
    if len(args) != 2 or any(a.startswith("-") for a in args):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    schemas_dir, corpus_dir = args

    kinds = sorted(d for d in os.listdir(corpus_dir)
                   if os.path.isdir(os.path.join(corpus_dir, d)))
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        print(f"unknown corpus kind(s): {', '.join(unknown)}", file=sys.stderr)
        return 2

    mismatches = []
    counts = {}
    for kind in kinds:
        try:
            validator = load_validator(schemas_dir, kind)
        except SchemaError as e:
            print(f"{kind}.schema.json is not a valid schema: {_short(e.message)}",
                  file=sys.stderr)
            return 2
        except (OSError, ValueError) as e:
            print(f"cannot load {kind}.schema.json: {_short(e)}", file=sys.stderr)
            return 2
        kind_dir = os.path.join(corpus_dir, kind)
        for name in sorted(os.listdir(kind_dir)):
            path = os.path.join(kind_dir, name)
            if not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                raw = f.read()
            ok, reason = verdict(validator, raw)
            label = "valid" if ok else "invalid"
            print(f"{kind}/{name}\t{label}\t{reason}")
            c = counts.setdefault(kind, [0, 0])
            c[0 if ok else 1] += 1
            if check:
                if name.startswith("ok_"):
                    expected = True
                elif name.startswith("bad_"):
                    expected = False
                else:
                    mismatches.append(f"{kind}/{name}: name must start with ok_ or bad_")
                    continue
                if ok != expected:
                    mismatches.append(f"{kind}/{name}: expected "
                                      f"{'valid' if expected else 'invalid'}, got {label} ({reason})")

    if check:
        total = [sum(c[0] for c in counts.values()), sum(c[1] for c in counts.values())]
        summary = ", ".join(f"{k} {c[0]} valid/{c[1]} invalid" for k, c in counts.items())
        print(f"summary: {summary}; total {total[0]} valid/{total[1]} invalid", file=sys.stderr)
        if mismatches:
            print(f"{len(mismatches)} mismatch(es):", file=sys.stderr)
            for m in mismatches:
                print(f"  {m}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
