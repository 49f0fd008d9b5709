#!/usr/bin/env python3
"""A service for scripts/image/test-image.sh to watch: the endpoints deploywatch checks.

    service.py PORT_FILE MODE COMMIT HEADERS_FILE

It listens on a free loopback port and writes the port to PORT_FILE once it accepts
connections. MODE is "healthy" (every endpoint answers 200) or "failing" (readiness answers
503, as a service whose database is down). /health/info reports COMMIT, the version the run
expects. Every Authorization header received is appended to HEADERS_FILE, to prove that a
secret input reached the checks from inside the container.

The standard library only: it runs on any machine with python3, the CI runner included.
"""

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


# GITHUB_API_URL points under this prefix: GitHub's API, refusing the job token.
GITHUB_PREFIX = "/github-api/"


def main():
    port_file, mode, commit, headers_file = sys.argv[1:5]
    if mode not in ("healthy", "failing"):
        sys.exit(f"service.py: mode must be healthy or failing, not {mode!r}")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            auth = self.headers.get("Authorization")
            if auth:
                with open(headers_file, "a", encoding="utf-8") as f:
                    f.write(auth + "\n")
            path = self.path.split("?", 1)[0]
            if path == "/health/ready":
                if mode == "healthy":
                    self.reply(200, {"status": "ok", "checks": {"database": "ok"}})
                else:
                    self.reply(503, {"status": "down", "checks": {"database": "connection refused"}})
            elif path == "/health/live":
                self.reply(200, {"status": "ok"})
            elif path == "/health/info":
                self.reply(200, {"commit": commit, "version": "1.0.0"})
            elif path == "/api/v1/status":
                self.reply(200, {"status": "ok"})
            elif path.startswith(GITHUB_PREFIX):
                self.refuse()
            else:
                self.reply(404, {"error": "not found"})

        def do_POST(self):
            if self.path.startswith(GITHUB_PREFIX):
                self.refuse()
            else:
                self.reply(404, {"error": "not found"})

        do_PATCH = do_POST

        def refuse(self):
            # What GitHub answers a token without the permission (a pull request from a
            # fork): the run must go on, report it once, and keep its verdict.
            self.reply(403, {"message": "Resource not accessible by integration"})

        def reply(self, code, body):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt, *args):
            pass  # the checks poll every interval; their lines would drown the test's output

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # Written after bind and listen, then renamed: the reader never sees a partial port.
    with open(port_file + ".tmp", "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    os.replace(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
