#!/usr/bin/python3
"""Checks the compose/ stack without Docker: every file parses (YAML, JSON), and ports,
topics, partitions, credentials, config keys and metric names agree with config/locus.yaml,
compose/locus.yaml and the metrics locus exports (http/ops.cc).

Prints "ok ..." lines and, for the C++ test that also loads the config through locus's own
loader, "ENV NAME=VALUE" lines with the locus service's environment. Exits 1 with every
problem listed when something disagrees.
Usage: validate_compose.py REPO_ROOT"""
import json
import os
import re
import sys

import yaml

problems = []


def check(cond, message):
    if not cond:
        problems.append(message)
    return cond


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def config_keys(cfg, prefix=""):
    """Dotted keys of a config mapping down to sections' fields (maps like aliases stop)."""
    keys = set()
    for k, v in cfg.items():
        if isinstance(v, dict) and not prefix:
            keys |= config_keys(v, k + ".")
        else:
            keys.add(prefix + k)
    return keys


def main(root):
    compose_dir = os.path.join(root, "compose")
    defaults = load_yaml(os.path.join(root, "config", "locus.yaml"))
    stack_cfg = load_yaml(os.path.join(compose_dir, "locus.yaml"))
    compose = load_yaml(os.path.join(compose_dir, "docker-compose.yml"))
    prom = load_yaml(os.path.join(compose_dir, "prometheus.yml"))
    known = config_keys(defaults)

    # compose/locus.yaml uses only keys config/locus.yaml documents.
    for key in sorted(config_keys(stack_cfg)):
        check(key in known, f"compose/locus.yaml: unknown config key {key}")

    services = compose.get("services", {})
    for name in ("kafka", "kafka-init", "mysql", "locus", "prometheus", "grafana"):
        check(name in services, f"docker-compose.yml: no service {name}")
    check(not any("zookeeper" in n for n in services), "a ZooKeeper service: Kafka must run KRaft")

    # Kafka in KRaft mode from the official image.
    kafka = services["kafka"]
    kenv = {k: str(v) for k, v in kafka.get("environment", {}).items()}
    check(kafka["image"].startswith("apache/kafka:"), "kafka: not the official apache/kafka image")
    check("controller" in kenv.get("KAFKA_PROCESS_ROLES", ""), "kafka: not in KRaft mode")
    check("KAFKA_CONTROLLER_QUORUM_VOTERS" in kenv, "kafka: no controller quorum")
    advertised = re.search(r"PLAINTEXT://([^,]+)", kenv.get("KAFKA_ADVERTISED_LISTENERS", ""))
    bootstrap = advertised.group(1) if advertised else ""
    check(bootstrap, "kafka: no PLAINTEXT advertised listener")

    # Every topic of the config is created, with the config's partitions; places compacted.
    init = services["kafka-init"]
    script = "\n".join(init.get("command", [])) if isinstance(init.get("command"), list) \
        else str(init.get("command"))
    partitions = stack_cfg["kafka"].get("partitions", defaults["kafka"]["partitions"])
    check(partitions == defaults["kafka"]["partitions"],
          f"compose partitions {partitions} differ from config/locus.yaml")
    topics = {k: v for k, v in defaults["kafka"].items() if k.endswith("_topic")}
    for key, topic in topics.items():
        check(stack_cfg["kafka"].get(key, topic) == topic,
              f"compose/locus.yaml kafka.{key} differs from config/locus.yaml ({topic})")
        line = next((l for l in script.splitlines() if f"--topic {topic} " in l + " "), None)
        if check(line is not None, f"kafka-init does not create {topic}"):
            check(f"--partitions {partitions}" in line, f"{topic}: not {partitions} partitions")
            if key == "places_topic":
                check("cleanup.policy=compact" in line, f"{topic} must be compacted")
    print(f"ok topics {' '.join(sorted(topics.values()))} with {partitions} partitions")

    # locus: bootstrap, MySQL, HTTP port as the other services and its config file say.
    loc = services["locus"]
    lenv = {k: str(v) for k, v in loc.get("environment", {}).items()}
    for name in lenv:
        m = re.fullmatch(r"LOCUS_([A-Z]+)_([A-Z_]+)", name)
        if check(m is not None, f"locus: environment {name} is not LOCUS_<SECTION>_<FIELD>"):
            check(f"{m.group(1).lower()}.{m.group(2).lower()}" in known,
                  f"locus: {name} overrides no config key")
        print(f"ENV {name}={lenv[name]}")
    effective_bootstrap = lenv.get("LOCUS_KAFKA_BOOTSTRAP_SERVERS",
                                   stack_cfg["kafka"].get("bootstrap_servers", ""))
    check(effective_bootstrap == bootstrap,
          f"locus bootstraps {effective_bootstrap!r}, Kafka advertises {bootstrap!r}")
    mysql_host = lenv.get("LOCUS_MYSQL_HOST", stack_cfg["mysql"]["host"])
    mysql_port = int(lenv.get("LOCUS_MYSQL_PORT", stack_cfg["mysql"]["port"]))
    check(mysql_host in services, f"locus: MySQL host {mysql_host} is no service")
    check(mysql_port == 3306, f"locus: MySQL port {mysql_port}, MySQL listens on 3306")
    menv = services["mysql"].get("environment", {})
    check(services["mysql"]["image"].startswith("mysql:8"), "mysql: not MySQL 8")
    for field, var in (("database", "MYSQL_DATABASE"), ("user", "MYSQL_USER"),
                       ("password", "MYSQL_PASSWORD")):
        check(str(menv.get(var)) == str(stack_cfg["mysql"][field]),
              f"mysql {var}={menv.get(var)} but locus uses mysql.{field}={stack_cfg['mysql'][field]}")
    listen = lenv.get("LOCUS_HTTP_LISTEN", stack_cfg["http"]["listen"])
    http_port = int(listen.rsplit(":", 1)[1])
    check(listen.startswith("0.0.0.0:"), f"locus listens on {listen}: unreachable from Prometheus")
    published = [str(p).split(":")[-1] for p in loc.get("ports", [])]
    check(str(http_port) in published, f"locus: port {http_port} is not published ({published})")
    mounts = [v.split(":")[1] for v in loc.get("volumes", []) if v.startswith("./")]
    command = loc.get("command", [])
    conf = command[command.index("--config") + 1] if "--config" in command else ""
    check(conf in mounts, f"locus: --config {conf} is not the mounted compose/locus.yaml")
    print(f"ok locus -> kafka {bootstrap}, mysql {mysql_host}:{mysql_port}, http :{http_port}")

    # Dockerfile: Debian 12, the packages of scripts/setup, the web page, the port.
    with open(os.path.join(compose_dir, "Dockerfile"), encoding="utf-8") as f:
        docker = f.read()
    froms = re.findall(r"^FROM\s+(\S+)", docker, re.M)
    check(froms and all(f.split(" ")[0] in ("debian:12", "debian:bookworm") for f in froms),
          f"Dockerfile: not built on Debian 12 ({froms})")
    check("RUN scripts/setup" in docker, "Dockerfile: does not install with scripts/setup")
    check(f"EXPOSE {http_port}" in docker, f"Dockerfile: does not expose {http_port}")
    check("/usr/share/locus/web" in docker and "/usr/share/locus/web" in command,
          "locus: the web page is not installed and served")

    # Prometheus scrapes locus's /metrics on its port.
    jobs = {j["job_name"]: j for j in prom.get("scrape_configs", [])}
    if check("locus" in jobs, "prometheus.yml: no locus job"):
        job = jobs["locus"]
        check(job.get("metrics_path", "/metrics") == "/metrics", "prometheus: wrong metrics_path")
        targets = [t for sc in job.get("static_configs", []) for t in sc.get("targets", [])]
        check(f"locus:{http_port}" in targets, f"prometheus: targets {targets} miss locus:{http_port}")
    prom_mounts = services["prometheus"].get("volumes", [])
    check(any(v.startswith("./prometheus.yml:") for v in prom_mounts), "prometheus.yml not mounted")

    # Grafana: data source and dashboard provisioned; every metric the dashboard asks for is
    # one locus exports.
    gdir = os.path.join(compose_dir, "grafana")
    ds = load_yaml(os.path.join(gdir, "provisioning", "datasources", "prometheus.yml"))
    source = ds["datasources"][0]
    check(source["type"] == "prometheus", "grafana: data source is not Prometheus")
    check(source["url"].endswith("prometheus:9090"), "grafana: data source is not the service")
    providers = load_yaml(os.path.join(gdir, "provisioning", "dashboards", "locus.yml"))
    dash_path = providers["providers"][0]["options"]["path"]
    check(any(v.endswith(":" + dash_path + ":ro") or v.endswith(":" + dash_path)
              for v in services["grafana"].get("volumes", [])),
          f"grafana: dashboards folder {dash_path} is not mounted")
    with open(os.path.join(gdir, "dashboards", "locus.json"), encoding="utf-8") as f:
        dash = json.load(f)
    with open(os.path.join(root, "http", "ops.cc"), encoding="utf-8") as f:
        exported = set(re.findall(r'"(locus_[a-z_]+)"', f.read()))
    exported |= {m + suffix for m in exported for suffix in ("_bucket", "_sum", "_count")}
    titles = [p["title"] for p in dash["panels"]]
    for wanted in ("Ingest rate", "lag", "Dead letters", "p99", "Snapshot age"):
        check(any(wanted.lower() in t.lower() for t in titles), f"dashboard: no panel for {wanted}")
    for panel in dash["panels"]:
        check(panel["datasource"]["uid"] == source["uid"], f"{panel['title']}: other data source")
        for target in panel["targets"]:
            for metric in re.findall(r"\b(locus_[a-z_]+)", target["expr"]):
                check(metric in exported, f"dashboard {panel['title']!r}: {metric} is not exported")
    print(f"ok dashboard panels: {', '.join(titles)}")

    for p in problems:
        print("PROBLEM", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
