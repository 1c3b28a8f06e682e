"""An SMTP relay that asks its clients to sign in, as a company's relay does:
aiosmtpd with AUTH (PLAIN, LOGIN) required, over plain TCP for the tests. It
accepts the user `gatehouse` with the password given, refuses anyone else
with 535 (as a relay whose password was changed), and writes what it accepts
into the Maildir given.

    python smtp_relay.py PORT MAILDIR PASSWORD
"""

import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword

port, maildir, password = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode()


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == b"gatehouse"
        and auth_data.password == password
    )
    return AuthResult(success=ok, handled=False)


controller = Controller(
    Mailbox(maildir),
    hostname="127.0.0.1",
    port=port,
    authenticator=authenticator,
    auth_required=True,
    auth_require_tls=False,
)
controller.start()
while True:
    time.sleep(3600)
