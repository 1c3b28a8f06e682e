"""A custom extension's endpoint, as a customer would run it, for the tests.

It verifies every call the way the Standard Webhooks specification's
published library does (`standardwebhooks` from PyPI), records it, and
answers as it is told. It also serves an OAuth 2.0 token endpoint (client
credentials), for extensions that authenticate that way.

    python webhook_receiver.py PORT

  POST /hooks/<name>        a call: verified with <name>'s secret (or its
                            bearer token), recorded, answered as configured
  PUT  /config/<name>       {"secret": "whsec_...", "status": 202,
                             "delay": 0.0, "body": "...", "bearer": "..."}
  GET  /arrived/<name>      how many calls for <name> have arrived, counted
                            before any delay (a call is recorded after it)
  GET  /calls/<name>        the calls recorded for <name>, oldest first:
                            {"id", "timestamp", "verified", "error", "body",
                             "authorization"}
  POST /token               client credentials: a client named gatehouse...
                            with secret "token-secret" gets the token
                            "oauth-token-1"
  GET  /tokens/<client>     how many tokens that client was given
"""

import base64
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

LOCK = threading.Lock()
CONFIG = {}
CALLS = {}
TOKENS = {}
ARRIVED = {}
TOKEN = "oauth-token-1"


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, status, body=b"", ctype="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_PUT(self):
        name = self.path.rsplit("/", 1)[-1]
        with LOCK:
            CONFIG[name] = json.loads(self._body() or b"{}")
            CALLS.setdefault(name, [])
        self._send(204)

    def do_GET(self):
        name = self.path.rsplit("/", 1)[-1]
        if self.path.startswith("/arrived/"):
            with LOCK:
                arrived = ARRIVED.get(name, 0)
            return self._send(200, json.dumps(arrived).encode())
        if self.path.startswith("/tokens/"):
            with LOCK:
                given = TOKENS.get(name, 0)
            return self._send(200, json.dumps(given).encode())
        with LOCK:
            calls = list(CALLS.get(name, []))
        self._send(200, json.dumps(calls).encode())

    def do_POST(self):
        body = self._body()
        if self.path == "/token":
            return self._token(body)
        name = self.path.rsplit("/", 1)[-1]
        with LOCK:
            conf = dict(CONFIG.get(name, {}))
            ARRIVED[name] = ARRIVED.get(name, 0) + 1
        headers = {k.lower(): v for k, v in self.headers.items()}
        verified, error = False, None
        if conf.get("bearer"):
            verified = headers.get("authorization") == "Bearer " + conf["bearer"]
            error = None if verified else "wrong bearer token"
        elif conf.get("secret"):
            try:
                Webhook(conf["secret"]).verify(body, headers)
                verified = True
            except WebhookVerificationError as e:
                error = str(e)
        else:
            error = "no secret configured"
        if conf.get("delay"):
            time.sleep(float(conf["delay"]))
        with LOCK:
            CALLS.setdefault(name, []).append(
                {
                    "id": headers.get("webhook-id"),
                    "idempotency_key": headers.get("idempotency-key"),
                    "timestamp": headers.get("webhook-timestamp"),
                    "verified": verified,
                    "error": error,
                    "body": body.decode("utf-8", "replace"),
                    "authorization": headers.get("authorization"),
                }
            )
        if not verified:
            return self._send(401, b'{"error": "signature not verified"}')
        status = int(conf.get("status", 202))
        self._send(status, conf.get("body", "").encode())

    def _token(self, body):
        auth = self.headers.get("Authorization", "")
        form = dict(
            p.split("=", 1) for p in body.decode().split("&") if "=" in p
        )
        ok, user = False, ""
        if auth.startswith("Basic "):
            user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
            ok = user.startswith("gatehouse") and pw == "token-secret"
        if not ok or form.get("grant_type") != "client_credentials":
            return self._send(400, b'{"error": "invalid_client"}')
        with LOCK:
            TOKENS[user] = TOKENS.get(user, 0) + 1
        self._send(
            200,
            json.dumps(
                {"access_token": TOKEN, "token_type": "bearer", "expires_in": 3600}
            ).encode(),
        )


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.serve_forever()
