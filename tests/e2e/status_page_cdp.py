#!/usr/bin/python3
"""Drives a headless Chromium over the DevTools protocol for tests/e2e/status_page.sh.

usage: status_page_cdp.py DEVTOOLS_PORT_FILE URL SELECTOR TEXT TIMEOUT_S OUT_HTML

Chromium must already run with --remote-debugging-port=0 and a --user-data-dir whose
DevToolsActivePort file is DEVTOOLS_PORT_FILE. Opens URL in the first page, waits in real time
(unlike --dump-dom's virtual time, which does not wait for a streamed answer) until the element
matching SELECTOR has the text TEXT, at most TIMEOUT_S seconds, then writes the DOM to OUT_HTML.
Prints every console error and uncaught exception on stdout, one a line, prefixed "CONSOLE
ERROR:"; exits 0 when TEXT was seen, 1 on timeout, 2 on a protocol failure.
"""
import json
import sys
import time
import urllib.request

import websocket  # Debian's python3-websocket


def main():
    port_file, url, selector, text, timeout_s, out_html = sys.argv[1:7]
    deadline = time.monotonic() + float(timeout_s)
    port = None
    while time.monotonic() < deadline and port is None:
        try:
            with open(port_file) as f:
                port = int(f.readline().strip())
        except (OSError, ValueError):
            time.sleep(0.1)
    if port is None:
        print("no DevToolsActivePort written by chromium")
        return 2
    pages = []
    while time.monotonic() < deadline and not pages:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as r:
                pages = [p for p in json.load(r) if p.get("type") == "page"]
        except OSError:
            time.sleep(0.1)
    if not pages:
        print("chromium lists no page")
        return 2
    ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=2)
    next_id = [0]
    errors = []

    def note(msg):
        method = msg.get("method")
        params = msg.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = params.get("exceptionDetails", {})
            errors.append(d.get("exception", {}).get("description") or d.get("text"))
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(" ".join(str(a.get("value", a.get("description"))) for a in
                                   params.get("args", [])))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            errors.append(params["entry"].get("text"))

    def call(method, params=None):
        next_id[0] += 1
        ws.send(json.dumps({"id": next_id[0], "method": method, "params": params or {}}))
        while time.monotonic() < deadline:
            try:
                msg = json.loads(ws.recv())
            except websocket.WebSocketTimeoutException:
                continue
            if msg.get("id") == next_id[0]:
                return msg.get("result", {})
            note(msg)
        raise TimeoutError(method)

    def evaluate(expr):
        r = call("Runtime.evaluate", {"expression": expr, "returnByValue": True})
        return r.get("result", {}).get("value")

    try:
        call("Runtime.enable")
        call("Log.enable")
        call("Page.enable")
        call("Page.navigate", {"url": url})
        probe = ("(() => { const e = document.querySelector(%s); return e ? e.textContent : null; })()"
                 % json.dumps(selector))
        seen = False
        while time.monotonic() < deadline:
            if evaluate(probe) == text:
                seen = True
                break
            time.sleep(0.2)
        html = evaluate("document.documentElement.outerHTML") or ""
        with open(out_html, "w") as f:
            f.write(html)
    except (TimeoutError, OSError, websocket.WebSocketException) as e:
        print(f"DevTools protocol: {e!r}")
        return 2
    for e in errors:
        print("CONSOLE ERROR:", e)
    return 0 if seen else 1


if __name__ == "__main__":
    sys.exit(main())
