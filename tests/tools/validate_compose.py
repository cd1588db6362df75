#!/usr/bin/python3
"""Checks the compose/ stack without Docker: every file parses (YAML, JSON), and ports,
topics, partitions, credentials, config keys and metric names agree with config/locus.yaml,
compose/locus.yaml and the metrics locus exports (http/ops.cc). The scaled variant
(docker-compose.scaled.yml: three KRaft brokers, three locus instances) is checked as well:
one quorum over the brokers, replication, the topics of the scale-out design, one consumer
group with a state volume and a port per instance, Prometheus scraping every instance.

Prints "ok ..." lines and, for the C++ test that also loads the config through locus's own
loader, "ENV NAME=VALUE" lines with the locus service's environment and "SCALED_ENV SERVICE
NAME=VALUE" lines with each scaled instance's. Exits 1 with every
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


# Topics of the scale-out design (README "Scale-out on Kafka") not in config/locus.yaml yet:
# name -> compacted. The changelog is partitioned like the events topic.
DESIGN_TOPICS = {
    "locus.internal.changelog": True,
}
# Config keys of compacted topics: the global tables every instance reads completely.
COMPACTED_TOPIC_KEYS = ("places_topic", "model_topic")
SCALED_BROKERS = 3
SCALED_INSTANCES = 3


def compose_literal(text, where):
    """`text` as the container gets it: Compose interpolates $NAME and ${NAME...} from the
    shell that runs it, and $$ is a literal $. A shell variable of a script written as $name
    would arrive empty, so it is a problem."""
    bare = re.findall(r"(?<!\$)\$(?!\$)\{?([A-Za-z_][A-Za-z0-9_]*)", text.replace("$$", ""))
    check(not bare, f"{where}: ${', $'.join(sorted(set(bare)))} would be interpolated by Compose "
                    f"(write $$ for the shell)")
    return text.replace("$$", "$")


def shell_lines(script):
    """The script's lines with $name / ${name} of its own plain assignments (name=value or
    name="value" on a line of their own) substituted, as bash would before splitting."""
    values = {}
    out = []
    for line in script.splitlines():
        m = re.fullmatch(r"\s*([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|'[^']*'|\S*)\s*", line)
        if m:
            value = m.group(2)
            values[m.group(1)] = value[1:-1] if value[:1] in "\"'" else value
            continue
        out.append(re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?",
                          lambda v: values.get(v.group(1), v.group(0)), line))
    return out


def named_volume_mounts(service):
    """(volume, target) of the named volumes a service mounts (not ./ bind mounts)."""
    mounts = []
    for v in service.get("volumes", []):
        parts = str(v).split(":")
        if len(parts) >= 2 and not parts[0].startswith((".", "/")):
            mounts.append((parts[0], parts[1]))
    return mounts


def check_scaled(root, compose_dir, defaults, stack_cfg, known, single):
    path = os.path.join(compose_dir, "docker-compose.scaled.yml")
    if not check(os.path.exists(path), "no compose/docker-compose.scaled.yml"):
        return
    scaled = load_yaml(path)
    services = scaled.get("services", {})
    declared = set((scaled.get("volumes") or {}).keys())
    check(not any("zookeeper" in n for n in services), "scaled: a ZooKeeper service")
    for name in ("kafka-init", "mysql", "prometheus", "grafana"):
        check(name in services, f"scaled: no service {name}")

    # Brokers: KRaft, one quorum over all of them, one cluster id, own ids, listeners, volumes.
    single_kafka = single["services"]["kafka"]["image"]
    brokers = sorted(n for n, s in services.items()
                     if re.fullmatch(r"kafka-\d+", n) and "build" not in s)
    check(len(brokers) == SCALED_BROKERS, f"scaled: brokers {brokers}, want {SCALED_BROKERS}")
    node_ids, voters, cluster_ids, advertised, volumes = {}, set(), set(), {}, {}
    expected_voters = set()
    for name in brokers:
        b = services[name]
        env = {k: str(v) for k, v in (b.get("environment") or {}).items()}
        host = b.get("hostname", name)
        check(b.get("image") == single_kafka,
              f"{name}: image {b.get('image')}, docker-compose.yml runs {single_kafka}")
        roles = set(env.get("KAFKA_PROCESS_ROLES", "").split(","))
        check({"broker", "controller"} <= roles, f"{name}: not broker and controller (KRaft)")
        node_ids[name] = env.get("KAFKA_NODE_ID")
        cluster_ids.add(env.get("CLUSTER_ID", ""))
        voters.add(env.get("KAFKA_CONTROLLER_QUORUM_VOTERS", ""))
        listeners = dict(re.findall(r"([A-Z_]+)://[^:,]*:(\d+)", env.get("KAFKA_LISTENERS", "")))
        check(env.get("KAFKA_CONTROLLER_LISTENER_NAMES") in listeners,
              f"{name}: controller listener {env.get('KAFKA_CONTROLLER_LISTENER_NAMES')} not in "
              f"KAFKA_LISTENERS")
        cport = listeners.get(env.get("KAFKA_CONTROLLER_LISTENER_NAMES", ""), "?")
        expected_voters.add(f"{node_ids[name]}@{host}:{cport}")
        adv = re.search(r"PLAINTEXT://([^,]+)", env.get("KAFKA_ADVERTISED_LISTENERS", ""))
        advertised[name] = adv.group(1) if adv else ""
        check(advertised[name] == f"{host}:{listeners.get('PLAINTEXT', '?')}",
              f"{name}: advertises {advertised[name]!r}, listens as {host}:"
              f"{listeners.get('PLAINTEXT', '?')}")
        for var, want in (("KAFKA_DEFAULT_REPLICATION_FACTOR", "3"),
                          ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "3"),
                          ("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "3"),
                          ("KAFKA_MIN_INSYNC_REPLICAS", "2"),
                          ("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "2"),
                          ("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")):
            check(env.get(var) == want, f"{name}: {var}={env.get(var)}, want {want}")
        mounts = dict((t, v) for v, t in named_volume_mounts(b))
        logs = env.get("KAFKA_LOG_DIRS", "")
        check(logs in mounts, f"{name}: KAFKA_LOG_DIRS {logs!r} is not on a volume")
        volumes[name] = mounts.get(logs)
        check(volumes[name] in declared, f"{name}: volume {volumes[name]} is not declared")
        check("healthcheck" in b, f"{name}: no health check")
    check(len(set(node_ids.values())) == len(brokers), f"scaled: node ids not unique {node_ids}")
    check(len(set(advertised.values())) == len(brokers),
          f"scaled: advertised listeners not unique {advertised}")
    check(len(set(volumes.values())) == len(brokers), f"scaled: brokers share a volume {volumes}")
    check(len(cluster_ids) == 1 and "" not in cluster_ids,
          f"scaled: brokers have different or no CLUSTER_ID {sorted(cluster_ids)}")
    cid = next(iter(cluster_ids), "")
    check(re.fullmatch(r"[A-Za-z0-9_-]{22}", cid) is not None,
          f"scaled: CLUSTER_ID {cid!r} is not a base64 UUID (kafka-storage.sh random-uuid)")
    check(len(voters) == 1 and set(next(iter(voters)).split(",")) == expected_voters,
          f"scaled: quorum voters {sorted(voters)} are not every broker {sorted(expected_voters)}")
    bootstrap = set(advertised.values())
    print(f"ok scaled brokers {' '.join(brokers)}: KRaft quorum {','.join(sorted(expected_voters))}"
          f", replication 3, min.insync.replicas 2")

    # Topics: every one of the config and of the design, all partitions alike, 3 replicas.
    init = services.get("kafka-init", {})
    script = "\n".join(init.get("command", [])) if isinstance(init.get("command"), list) \
        else str(init.get("command"))
    lines = shell_lines(compose_literal(script, "scaled kafka-init"))
    for name in brokers:
        check((init.get("depends_on") or {}).get(name, {}).get("condition") == "service_healthy",
              f"kafka-init does not wait for {name} to be healthy")
    partitions = stack_cfg["kafka"].get("partitions", defaults["kafka"]["partitions"])
    wanted = {t: k in COMPACTED_TOPIC_KEYS
              for k, t in defaults["kafka"].items() if k.endswith("_topic")}
    wanted.update(DESIGN_TOPICS)
    for topic, compacted in wanted.items():
        line = next((l for l in lines if f"--topic {topic} " in l + " "), None)
        if not check(line is not None, f"scaled kafka-init does not create {topic}"):
            continue
        check(f"--partitions {partitions} " in line + " ",
              f"scaled {topic}: not {partitions} partitions")
        check("--replication-factor 3 " in line + " ", f"scaled {topic}: not 3 replicas")
        has_compact = "cleanup.policy=compact" in line
        check(has_compact == compacted,
              f"scaled {topic}: {'must' if compacted else 'must not'} be compacted")
        servers = re.search(r"--bootstrap-server (\S+)", line)
        check(servers is not None and set(servers.group(1).split(",")) == bootstrap,
              f"scaled {topic}: created through {servers.group(1) if servers else None}, "
              f"not every broker")
    print(f"ok scaled topics {' '.join(sorted(wanted))} with {partitions} partitions, 3 replicas")

    # locus instances: the single stack's image and command, one group, own state and port.
    single_locus = single["services"]["locus"]
    instances = sorted(n for n in services if re.fullmatch(r"locus-\d+", n))
    check(len(instances) == SCALED_INSTANCES,
          f"scaled: locus instances {instances}, want {SCALED_INSTANCES}")
    groups, states, host_ports, snapshotting, listens = {}, {}, {}, [], set()
    for name in instances:
        loc = services[name]
        env = {k: str(v) for k, v in (loc.get("environment") or {}).items()}
        for var in env:
            m = re.fullmatch(r"LOCUS_([A-Z]+)_([A-Z_]+)", var)
            if check(m is not None, f"{name}: environment {var} is not LOCUS_<SECTION>_<FIELD>"):
                check(f"{m.group(1).lower()}.{m.group(2).lower()}" in known,
                      f"{name}: {var} overrides no config key")
            print(f"SCALED_ENV {name} {var}={env[var]}")

        def effective(section, field):
            return env.get(f"LOCUS_{section.upper()}_{field.upper()}",
                           stack_cfg.get(section, {}).get(field, defaults[section][field]))

        check(loc.get("build") == single_locus.get("build"), f"{name}: built otherwise than locus")
        check(loc.get("command") == single_locus.get("command"),
              f"{name}: command differs from docker-compose.yml's locus")
        command = loc.get("command", [])
        conf = command[command.index("--config") + 1] if "--config" in command else ""
        binds = {str(v).split(":")[1]: str(v).split(":")[0] for v in loc.get("volumes", [])
                 if str(v).startswith("./")}
        check(binds.get(conf) == "./locus.yaml", f"{name}: --config {conf} is not compose/locus.yaml")
        servers = set(str(effective("kafka", "bootstrap_servers")).split(","))
        check(servers == bootstrap, f"{name}: bootstraps {sorted(servers)}, brokers advertise "
                                    f"{sorted(bootstrap)}")
        groups[name] = str(effective("kafka", "group_id"))
        data_dir = str(effective("state", "data_dir"))
        state = [v for v, t in named_volume_mounts(loc)
                 if data_dir == t or data_dir.startswith(t.rstrip("/") + "/")]
        check(len(state) == 1, f"{name}: state.data_dir {data_dir} is not on a volume of its own")
        states[name] = state[0] if state else None
        check(states[name] in declared, f"{name}: volume {states[name]} is not declared")
        listen = str(effective("http", "listen"))
        listens.add(listen)
        check(listen.startswith("0.0.0.0:"), f"{name}: listens on {listen}, unreachable")
        port = listen.rsplit(":", 1)[1]
        ports = [str(p) for p in loc.get("ports", [])]
        check(len(ports) == 1 and ports[0].split(":")[-1] == port,
              f"{name}: ports {ports} do not publish the HTTP port {port}")
        host_ports[name] = ports[0].split(":")[-2] if ports and ":" in ports[0] else None
        health = " ".join(loc.get("healthcheck", {}).get("test", []))
        check(f":{port}/healthz" in health, f"{name}: no health check on :{port}/healthz")
        deps = loc.get("depends_on") or {}
        check(deps.get("kafka-init", {}).get("condition") == "service_completed_successfully",
              f"{name}: does not wait for kafka-init")
        check(deps.get("mysql", {}).get("condition") == "service_healthy",
              f"{name}: does not wait for MySQL")
        check(effective("mysql", "host") == "mysql" and int(effective("mysql", "port")) == 3306,
              f"{name}: MySQL is not mysql:3306")
        if int(effective("mysql", "snapshot_interval_s")) > 0:
            snapshotting.append(name)
    check(len(set(groups.values())) == 1, f"scaled: instances in different groups {groups}")
    check(len(set(states.values())) == len(instances), f"scaled: instances share state {states}")
    check(None not in host_ports.values() and len(set(host_ports.values())) == len(instances),
          f"scaled: host ports not one per instance {host_ports}")
    check(len(snapshotting) <= 1, f"scaled: several instances write MySQL snapshots {snapshotting}")
    check(services.get("mysql") == single["services"]["mysql"],
          "scaled: mysql differs from docker-compose.yml's")
    http_port = next(iter(listens)).rsplit(":", 1)[1] if listens else "?"
    print(f"ok scaled {' '.join(instances)} -> kafka {','.join(sorted(bootstrap))}, group "
          f"{','.join(sorted(set(groups.values())))}, http "
          f"{' '.join(':' + str(host_ports[n]) for n in instances)}, snapshots by "
          f"{','.join(snapshotting) or 'none'}")

    # Prometheus scrapes every instance.
    prom = services.get("prometheus", {})
    mounted = [str(v).split(":")[0] for v in prom.get("volumes", [])
               if str(v).split(":")[1:2] == ["/etc/prometheus/prometheus.yml"]]
    if check(len(mounted) == 1, "scaled prometheus: no prometheus.yml mounted"):
        pconf = load_yaml(os.path.join(compose_dir, mounted[0]))
        jobs = {j["job_name"]: j for j in pconf.get("scrape_configs", [])}
        if check("locus" in jobs, f"{mounted[0]}: no locus job"):
            targets = [t for sc in jobs["locus"].get("static_configs", [])
                       for t in sc.get("targets", [])]
            for name in instances:
                check(f"{name}:{http_port}" in targets,
                      f"scaled prometheus: targets {targets} miss {name}:{http_port}")
            print(f"ok scaled prometheus ({mounted[0]}) scrapes {' '.join(sorted(targets))}")
    deps = prom.get("depends_on") or []
    check(all(n in deps for n in instances), "scaled prometheus: does not start after every locus")
    check(services.get("grafana") == single["services"]["grafana"],
          "scaled: grafana differs from docker-compose.yml's")


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
    script = compose_literal(script, "kafka-init")
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
            if key in COMPACTED_TOPIC_KEYS:
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

    check_scaled(root, compose_dir, defaults, stack_cfg, known, compose)

    for p in problems:
        print("PROBLEM", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
