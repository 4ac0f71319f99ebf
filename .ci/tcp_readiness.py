"""The Kafka pods' readiness as it was before the in-sync probe: a TCP
connect every 10 s and no minReadySeconds (stdin to stdout). CI rolls a
production render rewritten so, and the live boot must fail it."""
import re
import sys

text = sys.stdin.read()
probe = re.compile(
    r"        readinessProbe:\n          exec:\n(?:              .*\n|            .*\n)+?"
    r"          periodSeconds: 5\n          timeoutSeconds: 10\n          successThreshold: 2\n"
)
text, probes = probe.subn(
    "        readinessProbe:\n          tcpSocket:\n            port: internal\n"
    "          periodSeconds: 10\n          timeoutSeconds: 5\n",
    text,
)
text, waits = re.subn(r"  minReadySeconds: 10\n", "", text)
if probes == 0 or waits == 0:
    sys.exit(f"tcp_readiness: {probes} probes and {waits} minReadySeconds replaced")
print(text, end="")
