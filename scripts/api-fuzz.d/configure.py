"""Turns a freshly initialized ic-server.toml into the fuzzing server's: every capability on,
loopback ports, and limits high enough that the fuzzer reaches past the rate limiter."""
import re
import sys

path, http_port, relay_port = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path, encoding="utf-8").read()
text = re.sub(r'(?m)^preset = ".*"$', 'preset = "competitive"', text, count=1)
text = text.replace('listen = "0.0.0.0:19710"', f'listen = "127.0.0.1:{http_port}"')
text = text.replace('listen = "0.0.0.0:19711"', f'listen = "127.0.0.1:{relay_port}"')
text = re.sub(r"(?m)^rate_limit_per_minute = .*$", "rate_limit_per_minute = 100000", text)
text = re.sub(
    r"(?m)^registrations_per_ip_per_day = .*$", "registrations_per_ip_per_day = 10000", text
)
open(path, "w", encoding="utf-8").write(text)
