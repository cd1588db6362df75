#!/usr/bin/python3
"""Drives the locus web page in a real headless Chromium over the DevTools protocol: loads
the page, types an activity key by key, picks the suggestion the autocomplete offers, clicks
the map to stand somewhere, and checks that the ranked answers render (names, distances,
reasons) and that the live counter shows the state. Saves a screenshot. Exits 0 when every
check passed; otherwise prints what failed (and still saves the screenshot when it can).

Usage: browser_check.py --url http://127.0.0.1:PORT --screenshot FILE --type cof
           --expect-suggestion "Coffee Shop" --expect-first "Popular Cafe" --expect-applied 8
Needs Debian's chromium and python3-websocket.
"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket  # python3-websocket (websocket-client)


class Page:
    """One DevTools page session: commands by id, events ignored."""

    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.next_id = 0

    def send(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def eval(self, expression):
        r = self.send("Runtime.evaluate", expression=expression, returnByValue=True,
                      awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait_for(self, expression, timeout_s, what):
        deadline = time.time() + timeout_s
        value = None
        while time.time() < deadline:
            value = self.eval(expression)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout_s} s waiting for {what} ({expression})")

    def key(self, key, text=None, code=None, key_code=0):
        args = {"key": key, "windowsVirtualKeyCode": key_code}
        if code:
            args["code"] = code
        if text:
            self.send("Input.dispatchKeyEvent", type="keyDown", text=text, unmodifiedText=text,
                      **args)
        else:
            self.send("Input.dispatchKeyEvent", type="rawKeyDown", **args)
        self.send("Input.dispatchKeyEvent", type="keyUp", **args)

    def click(self, x, y):
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left",
                      clickCount=1)


def start_chromium(profile):
    binary = shutil.which("chromium") or "/usr/bin/chromium"
    args = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--remote-debugging-port=0", "--remote-allow-origins=*",
            f"--user-data-dir={profile}", "--window-size=1200,1000", "about:blank"]
    log = open(os.path.join(profile, "chromium.log"), "wb")
    proc = subprocess.Popen(args, stdout=log, stderr=log)
    port_file = os.path.join(profile, "DevToolsActivePort")
    deadline = time.time() + 60
    while time.time() < deadline:
        if os.path.exists(port_file):
            lines = open(port_file).read().split("\n")
            if lines and lines[0].strip():
                return proc, int(lines[0])
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("chromium did not open its DevTools port; log:\n" +
                       open(os.path.join(profile, "chromium.log"), errors="replace").read()[-3000:])


def page_target(port):
    deadline = time.time() + 30
    while time.time() < deadline:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            for t in json.load(r):
                if t.get("type") == "page" and t.get("webSocketDebuggerUrl"):
                    return t["webSocketDebuggerUrl"]
        time.sleep(0.2)
    raise RuntimeError("no page target")


def check(page, opts):
    page.send("Page.enable")
    page.send("Runtime.enable")
    page.send("Page.navigate", url=opts.url.rstrip("/") + "/")
    page.wait_for("document.readyState === 'complete' && !!document.getElementById('activity')",
                  30, "the page to load")
    page.wait_for("state.places.length > 0", 30, "the places on the map")

    # Type the activity key by key, as a person would.
    page.eval("document.getElementById('activity').focus()")
    for ch in opts.type:
        page.key(ch, text=ch)
    suggestions = page.wait_for(
        "(() => { const l = [...document.querySelectorAll('#suggestions li')]"
        ".map(li => li.textContent); return l.length ? l : null; })()",
        20, "autocomplete suggestions")
    if opts.expect_suggestion not in suggestions:
        raise AssertionError(f"suggestions {suggestions} lack {opts.expect_suggestion!r}")

    # Stand in the middle of the map (places are drawn over their coordinates).
    rect = page.eval("(() => { const r = document.getElementById('map').getBoundingClientRect();"
                     " return [r.left, r.top, r.width, r.height]; })()")
    page.click(rect[0] + rect[2] / 2, rect[1] + rect[3] / 2)
    page.wait_for("state.position !== null", 10, "the map click to set a position")

    # Pick the suggestion with the keyboard; that asks.
    page.eval("document.getElementById('activity').focus()")
    index = suggestions.index(opts.expect_suggestion)
    for _ in range(index + 1):
        page.key("ArrowDown", code="ArrowDown", key_code=40)
    page.key("Enter", code="Enter", key_code=13)

    items = page.wait_for(
        "(() => { const l = [...document.querySelectorAll('#answers li')].map(li => ({"
        "name: li.querySelector('.name').textContent, meta: li.querySelector('.meta').textContent,"
        "reasons: li.querySelector('.reasons').textContent})); return l.length ? l : null; })()",
        30, "the answer list to render")
    status = page.eval("document.getElementById('status').textContent")
    if opts.expect_suggestion not in status:
        raise AssertionError(f"status {status!r} does not name {opts.expect_suggestion!r}")
    if items[0]["name"] != opts.expect_first:
        raise AssertionError(f"first answer is {items[0]['name']!r}, not {opts.expect_first!r}")
    for item in items:
        if "km" not in item["meta"] or not item["reasons"]:
            raise AssertionError(f"answer without distance or reasons: {item}")

    # The live counter: events/s is a number once two scrapes are in, applied is the state.
    page.wait_for("/^[0-9.]+$/.test(document.getElementById('rate').textContent)", 20,
                  "the events-per-second counter")
    applied = page.wait_for(
        f"document.getElementById('applied').textContent === '{opts.expect_applied}' && "
        "document.getElementById('applied').textContent", 20, "the applied-events counter")
    return {"suggestions": suggestions, "items": items, "status": status, "applied": applied}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--screenshot", required=True)
    ap.add_argument("--type", required=True)
    ap.add_argument("--expect-suggestion", required=True)
    ap.add_argument("--expect-first", required=True)
    ap.add_argument("--expect-applied", required=True)
    opts = ap.parse_args()

    profile = tempfile.mkdtemp(prefix="locus-chromium-")
    proc = None
    failure = None
    try:
        proc, port = start_chromium(profile)
        page = Page(page_target(port))
        try:
            result = check(page, opts)
            print(json.dumps(result, indent=1))
        except (AssertionError, RuntimeError) as e:
            failure = str(e)
        shot = page.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        os.makedirs(os.path.dirname(os.path.abspath(opts.screenshot)), exist_ok=True)
        with open(opts.screenshot, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        print(f"screenshot: {opts.screenshot}")
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(profile, ignore_errors=True)
    if failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
