#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Send one QMP command to a QEMU and print its return as JSON.

  qmp.py SOCKET COMMAND [ARGUMENTS-JSON] [--event NAME[:DEVICE]] [--timeout S]
  qmp.py SOCKET COMMAND [ARGUMENTS-JSON] --until FIELD=VALUE[,VALUE...]
         [--interval S] [--timeout S]

With --event, wait after the command's return until QEMU sends event NAME
(for DEVICE, when given: the event's "device" or "id"), at most S seconds
(default 60).  With --until, send the command again every S seconds
(--interval, default 0.5) until its return's FIELD (a dotted path, e.g.
"status") has one of the VALUEs, at most --timeout seconds, and print
that last return (e.g. query-migrate until status=completed,failed).
Exits 0 on success, 1 with QMP's error description on stderr, 2 on a
timeout (the last return printed, with --until) or a connection that
QEMU closed.
"""

import json
import socket
import sys
import time


def main(argv):
    args = [a for a in argv]
    event, timeout, until, interval = None, 60.0, None, 0.5
    if "--event" in args:
        i = args.index("--event")
        event = args[i + 1]
        del args[i:i + 2]
    if "--until" in args:
        i = args.index("--until")
        field, _, values = args[i + 1].partition("=")
        until = (field.split("."), values.split(","))
        del args[i:i + 2]
    if "--interval" in args:
        i = args.index("--interval")
        interval = float(args[i + 1])
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
    def field_of(ret):
        for key in until[0]:
            ret = ret.get(key) if isinstance(ret, dict) else None
        return "" if ret is None else str(ret)

    send(req)
    try:
        reply, events = wait_return()
        if "error" in reply:
            print(f"qmp.py: {cmd}: {reply['error'].get('desc')}", file=sys.stderr)
            return 1
        while until and field_of(reply["return"]) not in until[1]:
            if time.monotonic() + interval > deadline:
                print(json.dumps(reply["return"]))
                print(f"qmp.py: {cmd}: {'.'.join(until[0])} still "
                      f"\"{field_of(reply['return'])}\" after {timeout:g} s",
                      file=sys.stderr)
                return 2
            time.sleep(interval)
            send(req)
            reply, more = wait_return()
            events += more
            if "error" in reply:
                print(f"qmp.py: {cmd}: {reply['error'].get('desc')}",
                      file=sys.stderr)
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
