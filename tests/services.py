"""Exit 0 when the named services answer on their standard local ports (used by make test)."""

import socket
import sys

PORTS = {"postgres": 5432, "redis": 6379}


def up(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


sys.exit(0 if all(up(PORTS[name]) for name in sys.argv[1:]) else 1)
