#!/usr/bin/python3
"""Parses a Prometheus text exposition with the official parser (prometheus_client) and
prints one line per family ("TYPE name type") and per sample ("SAMPLE name{labels} value",
labels sorted, no spaces). Exits non-zero when the text does not parse.
Usage: parse_metrics.py FILE"""
import sys

from prometheus_client.parser import text_string_to_metric_families


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        text = f.read()
    for family in text_string_to_metric_families(text):
        print("TYPE", family.name, family.type)
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            key = f"{sample.name}{{{labels}}}" if labels else sample.name
            if " " in key:
                raise SystemExit(f"label with a space: {key}")
            print("SAMPLE", key, repr(float(sample.value)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
