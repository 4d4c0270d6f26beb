"""judgeflow's Ray bridge: a Python driver whose actors each host one Node worker (see bridge.py)."""

PROTOCOL_VERSION = 2
