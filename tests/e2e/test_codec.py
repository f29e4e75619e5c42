#!/usr/bin/env python3
"""meshproxy's HTTP/1.1 codec and connection manager against hostile and unusual requests:
limits, framing conflicts (request smuggling), versions, request targets, path normalisation and
upgrades, each answered as PROXY-SEMANTICS §1 says Envoy answers under Istio."""
import harness
from harness import Client, free_port, gateway_manifest

ROUTES = """  - name: echo
    route: [{destination: {host: a.local, port: {number: 80}}}]
"""


class Codec(harness.ProxyTest):
    def setUp(self):
        super().setUp()
        self.a = self.upstream("a")
        self.port = free_port()
        self.p = self.proxy(self.compile(gateway_manifest(self.port, {"a": self.a.port}, ROUTES)))

    def exchange(self, raw, check_close=True):
        c = Client(self.port)
        try:
            c.send(raw)
            r = c.read_response()
            r.closed_after = c.closed() if check_close else None
            return r
        finally:
            c.close()

    def assertLocalError(self, raw, status, reason, details):
        # R1.4: status from the codec, body = reason phrase, connection: close, then closed.
        r = self.exchange(raw)
        self.assertEqual(r.status, status, repr(r)[:300])
        self.assertEqual(r.body.decode(), reason)
        self.assertEqual(r.header("connection"), "close")
        self.assertTrue(r.closed_after, "connection left open after a codec error")
        self.assertEqual(r.header("server"), "istio-envoy")
        self.assertLogged(f" {status} DPE {details} ")
        return r

    def assertLogged(self, fragment):
        """Some access log line contains `fragment` (the log is flushed every 100 ms)."""
        def find():
            try:
                with open(self.p.access_log) as f:
                    return any(fragment in line for line in f)
            except FileNotFoundError:
                return False
        try:
            harness.wait_until(find, timeout=3, what=f"access log line with {fragment!r}")
        except AssertionError as e:
            with open(self.p.access_log) as f:
                tail = [line[:200] for line in f.read().splitlines()[-3:]]
            self.fail(f"{e}; last lines: {tail}")

    def assertForwarded(self, raw, path=None):
        r = self.exchange(raw, check_close=False)
        self.assertEqual(r.status, 200, repr(r)[:300])
        if path is not None:
            self.assertEqual(r.json()["path"], path)
        return r

    def test_r1_1_header_block_limit_is_60k_including_url(self):
        # R1.1: URL + names + values > 60 KiB → 431; just under passes.
        under = "/" + "u" * 30000
        ok = f"GET {under} HTTP/1.1\r\nhost: h\r\nx-big: {'v' * 30000}\r\n\r\n"
        self.assertForwarded(ok.encode())
        over = f"GET {under} HTTP/1.1\r\nhost: h\r\nx-big: {'v' * 32000}\r\n\r\n"
        self.assertLocalError(over.encode(), 431, "Request Header Fields Too Large",
                              "http1.headers_too_large")

    def test_r1_2_more_than_100_headers(self):
        # R1.2: 100 headers pass (host + 99), 101 → 431 too_many_headers.
        hundred = "".join(f"x-h{i}: v\r\n" for i in range(99))
        self.assertForwarded(f"GET / HTTP/1.1\r\nhost: h\r\n{hundred}\r\n".encode())
        extra = hundred + "x-h99: v\r\n"
        self.assertLocalError(f"GET / HTTP/1.1\r\nhost: h\r\n{extra}\r\n".encode(), 431,
                              "Request Header Fields Too Large", "http1.too_many_headers")

    def test_r1_5_te_and_cl_together(self):
        self.assertLocalError(b"POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 3\r\n"
                              b"transfer-encoding: chunked\r\n\r\n0\r\n\r\n", 400, "Bad Request",
                              "http1.content_length_and_chunked_not_allowed")

    def test_r1_5_te_not_exactly_chunked(self):
        for te in ("gzip, chunked", "identity"):
            with self.subTest(te=te):
                self.assertLocalError(f"POST / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: {te}"
                                      f"\r\n\r\n".encode(), 501, "Not Implemented",
                                      "http1.invalid_transfer_encoding")

    def test_r1_5_duplicate_content_length_even_equal(self):
        for second in ("3", "4"):
            with self.subTest(second=second):
                self.assertLocalError(f"POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 3\r\n"
                                      f"content-length: {second}\r\n\r\nabc".encode(), 400,
                                      "Bad Request", "http1.codec_error")

    def test_r1_5_no_framing_means_empty_body(self):
        # R1.5: neither CL nor TE → empty body; the bytes after the head are the next request.
        c = Client(self.port)
        c.send(b"POST /first HTTP/1.1\r\nhost: h\r\n\r\nGET /second HTTP/1.1\r\nhost: h\r\n\r\n")
        first, second = c.read_response(), c.read_response()
        self.assertEqual((first.json()["path"], first.json()["body_size"]), ("/first", 0))
        self.assertEqual(second.json()["path"], "/second")
        c.close()

    def test_r1_6_unknown_method(self):
        self.assertLocalError(b"FROB / HTTP/1.1\r\nhost: h\r\n\r\n", 400, "Bad Request",
                              "http1.codec_error")
        self.assertForwarded(b"PROPFIND / HTTP/1.1\r\nhost: h\r\n\r\n")

    def test_r1_7_invalid_header_value_and_underscore_names(self):
        self.assertLocalError(b"GET / HTTP/1.1\r\nhost: h\r\nx-bad: a\x01b\r\n\r\n", 400,
                              "Bad Request", "http1.invalid_characters")
        r = self.assertForwarded(b"GET / HTTP/1.1\r\nhost: h\r\nx_under: yes\r\n\r\n")
        self.assertIn(["x_under", "yes"], r.json()["headers"])

    def test_r1_8_connection_nominated_headers(self):
        r = self.assertForwarded(b"GET / HTTP/1.1\r\nhost: h\r\nconnection: x-secret\r\n"
                                 b"x-secret: 1\r\nx-kept: 2\r\n\r\n")
        names = [k for k, _ in r.json()["headers"]]
        self.assertNotIn("x-secret", names)
        self.assertIn("x-kept", names)
        self.assertLocalError(b"GET / HTTP/1.1\r\nhost: h\r\nconnection: x-forwarded-for\r\n\r\n",
                              400, "Bad Request", "http1.connection_header_rejected")

    def test_r1_9_http10_is_426(self):
        self.assertLocalError(b"GET / HTTP/1.0\r\nhost: h\r\n\r\n", 426, "Upgrade Required",
                              "low_version")

    def test_r1_10_missing_host(self):
        r = self.exchange(b"GET / HTTP/1.1\r\nx: y\r\n\r\n")
        self.assertEqual((r.status, r.body), (400, b""))
        self.assertLogged(" 400 - missing_host_header ")  # a connection manager reply, no flag

    def test_r1_11a_absolute_form(self):
        r = self.assertForwarded(b"GET http://abs.example:8080/x?y=1 HTTP/1.1\r\nhost: other\r\n"
                                 b"\r\n", path="/x?y=1")
        self.assertEqual(dict(r.json()["headers"])["host"], "abs.example:8080")
        r = self.exchange(b"GET https://abs.example/x HTTP/1.1\r\nhost: other\r\n\r\n")
        self.assertEqual(r.status, 403)
        self.assertEqual(r.body, b"https in the clear")

    def test_r1_11b_asterisk_target_is_404(self):
        r = self.exchange(b"OPTIONS * HTTP/1.1\r\nhost: h\r\n\r\n")
        self.assertEqual(r.status, 404)
        self.assertLogged(" 404 - absolute_path_rejected ")

    def test_r1_12_fragment_stripped(self):
        self.assertForwarded(b"GET /a/b#frag HTTP/1.1\r\nhost: h\r\n\r\n", path="/a/b")

    def test_r1_13_normalised_path_is_forwarded(self):
        cases = {
            "/a/b/../c": "/a/c",
            "/a/b/../../../../c": "/c",
            "/a/b/%2E%2E/c": "/a/c",
            "/a/./b/%2e/c?q=/../x": "/a/b/c?q=/../x",
            "/a/..\\c": "/c",
            "/%5c%25": "/%5c%25",
        }
        for sent, forwarded in cases.items():
            with self.subTest(path=sent):
                self.assertForwarded(f"GET {sent} HTTP/1.1\r\nhost: h\r\n\r\n".encode(),
                                     path=forwarded)

    def test_r1_14_r1_15_slashes_and_escaped_slashes_kept(self):
        self.assertForwarded(b"GET /a//b HTTP/1.1\r\nhost: h\r\n\r\n", path="/a//b")
        self.assertForwarded(b"GET /a%2Fb HTTP/1.1\r\nhost: h\r\n\r\n", path="/a%2Fb")

    def test_r1_19_websocket_upgrade_is_piped(self):
        c = Client(self.port)
        c.send(b"GET /ws HTTP/1.1\r\nhost: h\r\nconnection: Upgrade\r\nupgrade: websocket\r\n\r\n")
        r = c.read_response()
        self.assertEqual(r.status, 101)
        self.assertEqual(r.header("upgrade"), "websocket")
        self.assertIsNone(r.header("transfer-encoding"))
        c.send(b"hello frames")
        got = b""
        while len(got) < len(b"HELLO FRAMES"):
            got += c.sock.recv(100)
        self.assertEqual(got, b"HELLO FRAMES")
        c.close()

    def test_r1_19_other_upgrade_is_403_and_h2c_is_stripped(self):
        r = self.exchange(b"GET / HTTP/1.1\r\nhost: h\r\nconnection: upgrade\r\n"
                          b"upgrade: tls/1.2\r\n\r\n")
        self.assertEqual((r.status, r.body), (403, b""))
        self.assertEqual(r.header("connection"), "close")
        r = self.assertForwarded(b"GET / HTTP/1.1\r\nhost: h\r\nconnection: Upgrade, "
                                 b"HTTP2-Settings\r\nupgrade: h2c\r\nhttp2-settings: AAMAAABkAAQAoAAAAAIAAAAA"
                                 b"\r\n\r\n")
        names = [k for k, _ in r.json()["headers"]]
        for gone in ("upgrade", "http2-settings", "connection"):
            self.assertNotIn(gone, names)

    def test_garbage_and_truncated_requests_never_crash(self):
        # R1.4: bad input gets the codec's error answer or a close; the proxy keeps serving.
        for raw in (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", b"GET\r\n\r\n",
                    b"GET / HTTP/1.1\r\nhost h\r\n\r\n", b"\r\n\r\n\r\n",
                    b"POST / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n"):
            c = Client(self.port)
            c.send(raw)
            try:
                r = c.read_response()
                self.assertGreaterEqual(r.status, 400, r)
            except (EOFError, ConnectionResetError):
                pass
            c.close()
        self.assertForwarded(b"GET /still-alive HTTP/1.1\r\nhost: h\r\n\r\n")


if __name__ == "__main__":
    harness.main()
