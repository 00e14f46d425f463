"""Check a case's printed history offline: python check_case_integrity.py CASE.json PUBLIC.pem

CASE.json is the answer of `GET /cases/{id}/integrity`; PUBLIC.pem the deployment's Ed25519
public key (CASEFLOW_AUDIT_PUBLIC_KEY_FILE). Needs only Python and `cryptography`. Checks that
every event hashes to its chain link from the link before it, and that the checkpoint's
signature is the key's. Exit 0 when both hold. See docs/integrity.md for what this proves.
"""

import base64
import hashlib
import json
import struct
import sys
import uuid

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import load_pem_public_key


def link(prev: bytes, position: int, aggregate: str, version: int, topic: str, state: bytes):
    oid, t = uuid.UUID(aggregate).bytes, topic.encode()
    return hashlib.sha256(prev + struct.pack(">QH", position, len(oid)) + oid
                          + struct.pack(">qI", version, len(t)) + t
                          + struct.pack(">Q", len(state)) + state).digest()


def main(case_file: str, key_file: str) -> int:
    case = json.load(open(case_file))
    ok = True
    for e in case["events"]:
        if e["chainhash"] is None or e["prev_chainhash"] is None:
            print(f"position {e['position']}: not in the chain")
            ok = False
            continue
        mine = link(bytes.fromhex(e["prev_chainhash"]), e["position"], case["case_id"],
                    e["version"], e["topic"], base64.b64decode(e["state"]))
        good = mine.hex() == e["chainhash"]
        ok &= good
        print(f"position {e['position']} version {e['version']}: {'ok' if good else 'ALTERED'}")
    cp = case.get("checkpoint")
    if cp is None:
        print("no signed checkpoint covers these events yet")
        return 0 if ok else 1
    signed = f"caseflow-checkpoint-v1\n{cp['position']}\n{cp['chainhash']}\n{cp['time']}\n"
    try:
        load_pem_public_key(open(key_file, "rb").read()).verify(
            base64.b64decode(cp["signature"]), signed.encode())
        print(f"checkpoint at {cp['position']} ({cp['time']}): signature ok")
    except InvalidSignature:
        print(f"checkpoint at {cp['position']}: signature NOT by this key")
        ok = False
    last = case["events"][-1] if case["events"] else None
    if last and last["position"] == cp["position"] and last["chainhash"] != cp["chainhash"]:
        print("the checkpoint signs another hash for the last event")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
