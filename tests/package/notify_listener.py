#!/usr/bin/env python3
"""A stand-in for systemd's notification socket: binds a Unix datagram socket
at argv[1] and appends every message it receives to argv[2], one datagram per
line with newlines inside a datagram written as '|'. Runs until killed."""
import os
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
if os.path.exists(path):
    os.unlink(path)
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
os.chmod(path, 0o666)
with open(out, "a", buffering=1) as log:
    while True:
        data = sock.recv(4096)
        log.write(data.decode(errors="replace").replace("\n", "|") + "\n")
