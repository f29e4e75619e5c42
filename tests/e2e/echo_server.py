#!/usr/bin/env python3
"""A loopback upstream for meshproxy's end-to-end tests: answers every request with JSON saying
what it received (backend name, method, path, headers in order, body size and SHA-256).

Usage: echo_server.py --name NAME [--port 0] [--ready-file F]
Prints "PORT <n>" on stdout once listening (and writes it to --ready-file). Special paths:
  /status/<code>          answers with that status
  /slow/<ms>              waits that long before answering
  /bytes/<n>              answers with n bytes of body (content-length)
  /chunked/<n>            answers with n bytes in chunks of 1000 (transfer-encoding: chunked)
  /trickle/<n>            n bytes (rounded down to 300s) chunked, written 7 bytes at a time
  /close                  answers with `connection: close` and closes
  /drop                   closes the connection without answering
  /early                  answers 413 at once without reading the request body, then closes
  /flaky/<key>/<n>/<how>  the first n requests with this key fail: <how> is a status code
                          (answered with it and the headers of `fail-header=name:value`
                          query parameters), `reset` (closed unanswered) or `slow<ms>` (answered
                          200 after that delay); later ones are answered normally. Every
                          request is counted under its key, and the first byte of its body is
                          remembered.
  /count/<key>            {"count": n, "body_sizes": [...], "headers": [...]} for that key
                          (headers: the last request's), not counted itself
A query parameter `respond-header=name:value` (repeatable) adds that header to the answer.
A request with `upgrade: websocket` gets 101 and then every byte echoed back upper-cased.
Request bodies are read as content-length or chunked; `expect: 100-continue` is honoured.
"""
import argparse
import hashlib
import http.client
import json
import random
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "echo"
    sys_version = ""

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        # Head and body leave in separate writes: without NODELAY, Nagle holds the body back
        # until the proxy's delayed ACK and every answer takes tens of milliseconds.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _read_body(self):
        digest = hashlib.sha256()
        size = 0
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                line = self.rfile.readline(1024)
                n = int(line.split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                data = self.rfile.read(n)
                digest.update(data)
                size += len(data)
                self.rfile.readline(8)
        else:
            remaining = int(self.headers.get("content-length", "0") or 0)
            while remaining > 0:
                data = self.rfile.read(min(remaining, 65536))
                if not data:
                    break
                digest.update(data)
                size += len(data)
                remaining -= len(data)
        return size, digest.hexdigest()

    def handle_expect_100(self):
        self.send_response_only(100)
        self.end_headers()
        return True

    def _flaky(self, parts):
        """/flaky/<key>/<n>/<how>: True when this request was answered (or dropped) here."""
        key, n, how = parts[2], int(parts[3]), parts[4]
        size, sha = self._read_body()
        with self.server.lock:
            seen = self.server.counts.get(key, 0)
            self.server.counts[key] = seen + 1
            self.server.body_sizes.setdefault(key, []).append(size)
            self.server.headers[key] = [[k.lower(), v] for k, v in self.headers.items()]
        if seen >= n:
            return False, size, sha
        if how == "reset":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return True, size, sha
        if how.startswith("slow"):
            time.sleep(int(how[4:]) / 1000.0)
            return False, size, sha
        body = b"failure %d of %d\n" % (seen + 1, n)
        self.send_response(int(how))
        self.send_header("x-backend", self.server.name)
        for item in urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get(
                "fail-header", []):
            name, _, value = item.partition(":")
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return True, size, sha

    delay = 0.0
    fail_status = 0
    fail_rate = 1.0
    rng = random.Random()

    def _any(self):
        path = self.path
        if self.delay:
            time.sleep(self.delay)
        if (self.fail_status and not path.startswith("/count/") and
                (self.fail_rate >= 1.0 or self.rng.random() < self.fail_rate)):
            self._read_body()
            body = b"broken\n"
            self.send_response(self.fail_status)
            self.send_header("x-backend", self.server.name)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        parts = path.split("?")[0].split("/")
        if len(parts) >= 3 and parts[1] == "count":
            with self.server.lock:
                report = {"count": self.server.counts.get(parts[2], 0),
                          "body_sizes": self.server.body_sizes.get(parts[2], []),
                          "headers": self.server.headers.get(parts[2], [])}
            body = (json.dumps(report) + "\n").encode()
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        flaky_body = None
        if len(parts) >= 5 and parts[1] == "flaky":
            answered, size, sha = self._flaky(parts)
            if answered:
                return
            flaky_body = (size, sha)
        if path == "/drop":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if self.headers.get("upgrade", "").lower() == "websocket":
            self._websocket()
            return
        if path == "/early":
            body = b"too large\n"
            self.send_response(413)
            self.send_header("content-length", str(len(body)))
            self.send_header("connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
            return
        size, sha = self._read_body() if flaky_body is None else flaky_body
        status = 200
        body = None
        chunked = False
        close = False
        parts = path.split("?")[0].split("/")
        if len(parts) >= 3 and parts[1] == "status" and parts[2].isdigit():
            status = int(parts[2])
        elif len(parts) >= 3 and parts[1] == "slow" and parts[2].isdigit():
            time.sleep(min(int(parts[2]), 30000) / 1000.0)
        elif len(parts) >= 3 and parts[1] == "bytes" and parts[2].isdigit():
            body = b"x" * min(int(parts[2]), 64 << 20)
        elif len(parts) >= 3 and parts[1] == "chunked" and parts[2].isdigit():
            body = b"y" * min(int(parts[2]), 64 << 20)
            chunked = True
        elif len(parts) >= 3 and parts[1] == "trickle" and parts[2].isdigit():
            # A chunked body written a few bytes at a time: chunk headers arrive split.
            self.send_response(200)
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            payload = b"".join(b"%x\r\n%s\r\n" % (len(p), p)
                               for p in [b"z" * 300] * (min(int(parts[2]), 100000) // 300))
            payload += b"0\r\n\r\n"
            for i in range(0, len(payload), 7):
                self.wfile.write(payload[i:i + 7])
                self.wfile.flush()
                time.sleep(0.0005)
            return
        elif parts[1:2] == ["close"]:
            close = True
        if body is None:
            report = {
                "backend": self.server.name,
                "method": self.command,
                "path": self.path,
                "version": self.request_version,
                "headers": [[k.lower(), v] for k, v in self.headers.items()],
                "body_size": size,
                "body_sha256": sha,
                "peer": self.client_address[0],
            }
            body = (json.dumps(report) + "\n").encode()
        self.send_response(status)
        self.send_header("x-backend", self.server.name)
        if self.command == "HEAD":
            self.send_header("content-length", str(len(body)))
            body = b""
        elif chunked:
            self.send_header("transfer-encoding", "chunked")
        else:
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
        if close:
            self.send_header("connection", "close")
            self.close_connection = True
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        for item in query.get("respond-header", []):
            name, _, value = item.partition(":")
            self.send_header(name, value)
        self.end_headers()
        if chunked:
            for i in range(0, len(body), 1000):
                piece = body[i:i + 1000]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        elif body:
            self.wfile.write(body)

    def _websocket(self):
        """Answers 101 and then echoes every byte back in upper case until the peer closes."""
        self.send_response(101)
        self.send_header("upgrade", "websocket")
        self.send_header("connection", "Upgrade")
        self.send_header("x-backend", self.server.name)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        while True:
            data = self.rfile.read1(65536)
            if not data:
                break
            self.wfile.write(data.upper())
            self.wfile.flush()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _any

    def __getattr__(self, name):
        # Every other method Envoy accepts (R1.6: PROPFIND, PURGE, ...) is echoed too.
        if name.startswith("do_"):
            return self._any
        raise AttributeError(name)


def main():
    http.client._MAXHEADERS = 10000  # the proxy enforces the header limits, not this server
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--ready-file")
    ap.add_argument("--idle-close", type=float,
                    help="close a keep-alive connection idle this many seconds (as nginx's "
                         "keepalive_timeout does)")
    ap.add_argument("--delay-ms", type=int, default=0,
                    help="wait this long before answering any request (a slow upstream)")
    ap.add_argument("--fail-status", type=int, default=0,
                    help="answer every request (but /count) with this status (a broken upstream)")
    ap.add_argument("--fail-rate", type=float, default=1.0,
                    help="with --fail-status: the share of requests that fail, drawn per request")
    ap.add_argument("--seed", type=int, help="seed of the --fail-rate draws")
    args = ap.parse_args()
    Handler.delay = args.delay_ms / 1000.0
    Handler.fail_status = args.fail_status
    Handler.fail_rate = args.fail_rate
    Handler.rng = random.Random(args.seed)
    if args.idle_close:
        Handler.timeout = args.idle_close  # waiting for the next request line times out
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.name = args.name
    server.lock = threading.Lock()
    server.counts = {}
    server.body_sizes = {}
    server.headers = {}
    port = server.server_address[1]
    print(f"PORT {port}", flush=True)
    if args.ready_file:
        with open(args.ready_file, "w") as f:
            f.write(str(port))
    server.serve_forever()


if __name__ == "__main__":
    main()
