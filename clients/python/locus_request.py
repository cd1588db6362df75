#!/usr/bin/python3
"""Asks locus for places through Kafka, as any app would: publishes a request to the
requests topic and waits for the answer with the same request_id on the responses topic.
Uses only Debian's python3-confluent-kafka.

    clients/python/locus_request.py --bootstrap 127.0.0.1:PORT coffee --lat 40.73 --lon -73.99
    clients/python/locus_request.py --bootstrap $B "cofee shop" --user 470 --json

Prints the ranked places (or, with --json, the response message). Exit codes as `locus
recommend`: 0 an answer, 1 no answer (Kafka unreachable, timeout), 3 an error answer.
"""
import argparse
import json
import sys
import time
import uuid

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("activity", help="what to do, e.g. coffee")
    ap.add_argument("--bootstrap", required=True, help="Kafka bootstrap servers")
    ap.add_argument("--user", help="user id")
    ap.add_argument("--lat", type=float)
    ap.add_argument("--lon", type=float)
    ap.add_argument("--radius-km", type=float)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--requests-topic", default="locus.requests")
    ap.add_argument("--responses-topic", default="locus.responses")
    ap.add_argument("--timeout", type=float, default=30, help="seconds to wait for the answer")
    ap.add_argument("--json", action="store_true", help="print the response message as is")
    opts = ap.parse_args(argv)
    if (opts.lat is None) != (opts.lon is None):
        ap.error("--lat and --lon go together")
    return opts


def listen_from_end(bootstrap, topic):
    """A group-less consumer positioned at the current end of every partition of `topic`, so
    it sees only answers produced from now on."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "locus-py-" + uuid.uuid4().hex,
                         "enable.auto.commit": False})
    metadata = consumer.list_topics(topic, timeout=10)
    if topic not in metadata.topics or metadata.topics[topic].error is not None:
        raise KafkaException(f"topic {topic} is not there")
    partitions = []
    for p in metadata.topics[topic].partitions:
        _, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        partitions.append(TopicPartition(topic, p, high))
    consumer.assign(partitions)
    return consumer


def main(argv):
    opts = parse_args(argv)
    request_id = "py-" + uuid.uuid4().hex[:16]
    request = {"request_id": request_id, "activity": opts.activity, "k": opts.k}
    if opts.user:
        request["user_id"] = opts.user
    if opts.lat is not None:
        request["lat"], request["lon"] = opts.lat, opts.lon
    if opts.radius_km is not None:
        request["radius_km"] = opts.radius_km

    try:
        consumer = listen_from_end(opts.bootstrap, opts.responses_topic)
        # Kafka's default key partitioner (murmur2, as Java clients and locus's own producers):
        # a user's request then reaches the partition, and the instance, holding their state.
        producer = Producer({"bootstrap.servers": opts.bootstrap, "partitioner": "murmur2_random"})
        # Keyed by user (or request id when anonymous), as the contract says.
        producer.produce(opts.requests_topic, key=opts.user or request_id,
                         value=json.dumps(request).encode())
        if producer.flush(10) != 0:
            raise KafkaException("the request was not delivered")
    except KafkaException as e:
        print(f"locus_request: {e}", file=sys.stderr)
        return 1

    deadline = time.time() + opts.timeout
    answer = None
    try:
        while answer is None and time.time() < deadline:
            m = consumer.poll(0.5)
            if m is None or m.error():
                continue
            message = json.loads(m.value())
            if message.get("request_id") == request_id:
                answer = message
    finally:
        consumer.close()
    if answer is None:
        print(f"locus_request: no answer to {request_id} within {opts.timeout} s", file=sys.stderr)
        return 1

    if opts.json:
        print(json.dumps(answer, ensure_ascii=False))
    elif answer["status"] != "ok":
        print(f"error: {answer.get('error', '')}")
        if answer.get("suggestions"):
            print("did you mean: " + ", ".join(answer["suggestions"]))
    else:
        print(f"{answer['activity']} ({answer['model_version']}, {answer['took_ms']:.1f} ms)")
        print(f"{'#':>2}  {'place':<32} {'score':>8} {'km':>7}  reasons")
        for i, item in enumerate(answer["items"], 1):
            km = f"{item['distance_km']:.2f}" if "distance_km" in item else "-"
            print(f"{i:>2}  {item['name'][:32]:<32} {item['score']:>8.3f} {km:>7}  "
                  + "; ".join(item.get("reasons", [])))
    return 0 if answer["status"] == "ok" else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
