#!/usr/bin/env python3
"""A tiny HTTP receiver for the remote_write failure tests.

Usage: http_responder.py PORT_FILE LOG_FILE CODES [RETRY_AFTER]
Listens on 127.0.0.1 on a free port (written to PORT_FILE), answers each POST with the next
status of the comma-separated CODES (the last one repeats), with a `Retry-After: RETRY_AFTER`
header on 429 and 503 answers when given, and appends one line per request to LOG_FILE:
"<status> <content-encoding> <content-type> <x-prometheus-remote-write-version> <bytes> <time>
auth=<Authorization> org=<X-Scope-OrgID>" (spaces in header values become '_').
With RESPONDER_TLS_CERT and RESPONDER_TLS_KEY set (PEM files), it serves HTTPS.
"""
import http.server
import os
import ssl
import sys
import time


def main():
    port_file, log_file, codes = sys.argv[1], sys.argv[2], [int(c) for c in sys.argv[3].split(",")]
    retry_after = sys.argv[4] if len(sys.argv) > 4 else None
    state = {"n": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            code = codes[min(state["n"], len(codes) - 1)]
            state["n"] += 1
            with open(log_file, "a") as f:
                f.write("%d %s %s %s %d %.3f auth=%s org=%s\n" % (
                    code, self.headers.get("Content-Encoding"), self.headers.get("Content-Type"),
                    self.headers.get("X-Prometheus-Remote-Write-Version"), len(body), time.time(),
                    str(self.headers.get("Authorization")).replace(" ", "_"),
                    self.headers.get("X-Scope-OrgID")))
            msg = b"refused by test responder\n" if code >= 300 else b""
            self.send_response(code)
            self.send_header("Content-Length", str(len(msg)))
            if retry_after and code in (429, 503):
                self.send_header("Retry-After", retry_after)
            self.end_headers()
            self.wfile.write(msg)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    if os.environ.get("RESPONDER_TLS_CERT"):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.environ["RESPONDER_TLS_CERT"], os.environ["RESPONDER_TLS_KEY"])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
