#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Send one QMP command to a QEMU and print its return as JSON.

  qmp.py SOCKET COMMAND [ARGUMENTS-JSON] [--event NAME[:DEVICE]] [--timeout S]

With --event, wait after the command's return until QEMU sends event NAME
(for DEVICE, when given: the event's "device" or "id"), at most S seconds
(default 60).  Exits 0 on success, 1 with QMP's error description on
stderr, 2 on a timeout or a connection that QEMU closed.
"""

import json
import socket
import sys
import time


def main(argv):
    args = [a for a in argv]
    event, timeout = None, 60.0
    if "--event" in args:
        i = args.index("--event")
        event = args[i + 1]
        del args[i:i + 2]
    if "--timeout" in args:
        i = args.index("--timeout")
        timeout = float(args[i + 1])
        del args[i:i + 2]
    if len(args) not in (2, 3):
        sys.exit(__doc__)
    path, cmd = args[0], args[1]
    arguments = json.loads(args[2]) if len(args) == 3 else None

    deadline = time.monotonic() + timeout
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.connect(path)
    f = sock.makefile("rw")

    def recv():
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        line = f.readline()
        if not line:
            print(f"qmp.py: {path}: QEMU closed the connection", file=sys.stderr)
            sys.exit(2)
        return json.loads(line)

    def send(obj):
        f.write(json.dumps(obj) + "\n")
        f.flush()

    def wait_return():
        events = []
        while True:
            msg = recv()
            if "event" in msg:
                events.append(msg)
            elif "return" in msg or "error" in msg:
                return msg, events

    def matches(msg):
        name, _, dev = event.partition(":")
        if msg.get("event") != name:
            return False
        data = msg.get("data", {})
        return not dev or dev in (data.get("device"), data.get("id"))

    recv()  # the greeting
    send({"execute": "qmp_capabilities"})
    wait_return()
    req = {"execute": cmd}
    if arguments is not None:
        req["arguments"] = arguments
    send(req)
    try:
        reply, events = wait_return()
        if "error" in reply:
            print(f"qmp.py: {cmd}: {reply['error'].get('desc')}", file=sys.stderr)
            return 1
        print(json.dumps(reply["return"]))
        if event:
            if any(matches(e) for e in events):
                return 0
            while True:
                if matches(recv()):
                    return 0
    except (socket.timeout, TimeoutError):
        print(f"qmp.py: {cmd}: no {'event ' + event if event else 'reply'} "
              f"within {timeout:g} s", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
