"""Opens N keep-alive connections to 127.0.0.1:PORT, makes one request on each, and holds them
open until stdin closes. Prints "ready" once all are established and answered."""
import socket
import sys

port, count = int(sys.argv[1]), int(sys.argv[2])
connections = []
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n")
    connections.append(s)
for s in connections:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            sys.exit("connection closed by the server")
        data += chunk
print("ready", flush=True)
sys.stdin.read()
