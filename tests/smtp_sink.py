"""A real SMTP server on loopback (aiosmtpd) for the mail tests, which tests can stop
and start again to make an outage. Each test module brings its own handler (what the
server accepts, refuses or delays)."""

import socket

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    def __init__(self, mailbox, port: int):
        self.mailbox, self.port, self.controller = mailbox, port, None

    def start(self):
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
