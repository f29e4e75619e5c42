"""Raw TCP and TLS upstreams for the tcp_proxy tests, run on threads of the test process (every
wait bounded; stop() closes everything), and a self-signed certificate maker (openssl CLI)."""
import os
import socket
import ssl
import subprocess
import threading

DEADLINE = 10.0


class TcpUpstream:
    """Accepts connections on 127.0.0.1; each one gets `name:` + every chunk it sends echoed
    back, and after the client's FIN a last `name:bye:<bytes seen>` before it closes (so a test
    sees that the half-close reached the upstream and that data still flows the other way).
    `connections` counts accepted connections; `peers` keeps each one's source address."""

    def __init__(self, name, tls_context=None, host="127.0.0.1", port=0):
        self.name = name
        self.tls_context = tls_context
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(128)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.http = False
        self.requests = []  # http mode: each request head as received
        self.snis = []
        self.lock = threading.Lock()
        self.stopping = False
        self.threads = []
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.connections += 1
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()
            self.threads.append(t)

    def _serve(self, conn):
        if self.http:
            return self._serve_http(conn)
        conn.settimeout(DEADLINE)
        try:
            if self.tls_context is not None:
                conn = self.tls_context.wrap_socket(conn, server_side=True)
            seen = 0
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                seen += len(chunk)
                conn.sendall(self.name.encode() + b":" + chunk)
            conn.sendall(f"{self.name}:bye:{seen}".encode())
            if self.tls_context is None:
                conn.shutdown(socket.SHUT_WR)
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def _serve_http(self, conn):
        # One HTTP/1.1 exchange: the request head is recorded and sent back as the body.
        conn.settimeout(DEADLINE)
        try:
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                head += chunk
            head = head.split(b"\r\n\r\n")[0]
            with self.lock:
                self.requests.append(head.decode("latin-1"))
            body = self.name.encode() + b"\n" + head
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: " + str(len(body)).encode() +
                         b"\r\nconnection: close\r\n\r\n" + body)
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self):
        self.stopping = True
        self.sock.close()
        for t in self.threads:
            t.join(timeout=DEADLINE)


def self_signed(workdir, name, hosts):
    """A key and a self-signed certificate for `hosts` (subjectAltName DNS entries); returns
    (cert path, key path)."""
    cert = os.path.join(workdir, name + ".crt")
    key = os.path.join(workdir, name + ".key")
    san = ",".join("DNS:" + h for h in hosts)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    "/CN=" + hosts[0], "-addext", "subjectAltName=" + san, "-keyout", key,
                    "-out", cert], check=True, capture_output=True, timeout=30)
    return cert, key


def http_recorder(name, host, port=0):
    """A TcpUpstream in HTTP mode on host:port: answers each connection's one request with 200
    and the request head as the body, and keeps the heads in `requests`."""
    up = TcpUpstream(name, host=host, port=port)
    up.http = True
    return up


def tls_upstream(workdir, name, hosts):
    """A TcpUpstream that terminates TLS with a certificate for `hosts` and records the SNI of
    each handshake in `snis`. Returns (upstream, certificate path)."""
    cert, key = self_signed(workdir, name, hosts)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    up = TcpUpstream(name, ctx)

    def remember(sslobj, server_name, _ctx):
        with up.lock:
            up.snis.append(server_name)
    ctx.sni_callback = remember
    return up, cert


def recv_until_closed(sock, limit=1 << 20):
    """Everything the peer sends until it closes (bounded by the socket timeout and `limit`)."""
    out = b""
    while len(out) < limit:
        chunk = sock.recv(65536)
        if not chunk:
            break
        out += chunk
    return out


def closed_without_data(sock):
    """True when the peer closes (or resets) the connection without sending a byte."""
    try:
        return recv_until_closed(sock) == b""
    except ConnectionResetError:
        return True  # closed with our bytes unread: nothing was sent either
