"""A player key and its bearer token, obtained as a client would: ask for a challenge, sign it
with Ed25519 (bound to the community's signing key, docs/api.md), exchange it for a token; the
player is registered on the way.

    token.py key FILE           writes a new key to FILE, prints its `ed25519:<hex>` name
    token.py token FILE URL     prints a bearer token for the key in FILE at the server URL
"""
import base64
import json
import sys
import urllib.request

from nacl.signing import SigningKey


AUTH_DOMAIN = b"ic-server/auth/v1"


def post(url, body, token=None):
    data = json.dumps(body).encode() if body is not None else b""
    request = urllib.request.Request(url, data=data, method="POST")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def name(key):
    return "ed25519:" + key.verify_key.encode().hex()


command, path = sys.argv[1], sys.argv[2]
if command == "key":
    key = SigningKey.generate()
    open(path, "wb").write(bytes(key))
    print(name(key))
elif command == "token":
    key = SigningKey(open(path, "rb").read())
    url = sys.argv[3]
    with urllib.request.urlopen(f"{url}/.well-known/ic-community", timeout=10) as response:
        community = json.loads(response.read())
    community_key = bytes.fromhex(community["signing_key"].removeprefix("ed25519:"))
    status, challenge = post(f"{url}/v1/auth/challenge", {"key": name(key)})
    assert status == 200, (status, challenge)
    message = AUTH_DOMAIN + base64.b64decode(challenge["challenge"]) + community_key
    signed = key.sign(message).signature
    status, token = post(
        f"{url}/v1/auth/token",
        {
            "key": name(key),
            "challenge": challenge["challenge"],
            "signature": base64.b64encode(signed).decode(),
        },
    )
    assert status == 200, (status, token)
    status, registered = post(f"{url}/v1/players", None, token["token"])
    assert status == 201, (status, registered)
    print(token["token"])
else:
    sys.exit(f"unknown command {command}")
