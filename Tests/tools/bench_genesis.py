#!/usr/bin/env python3
"""Writes a genesis with N funded accounts, for measuring proofs served from a large state
(`agora bench proofs --node`, docs/state.md "Proofs served over HTTP"). The accounts are
deterministic (address i = the first 20 bytes of SHA-256("bench-account-i"), Bech32m "ag1…"),
so two runs build the same tree. Takes the chain's other fields from an existing genesis.

    agora keys new --keys /tmp/k --name val
    agora init --data-dir /tmp/g1 --chain-id big --validator-key /tmp/k/val.json --faucet 0
    python3 Tests/tools/bench_genesis.py --from /tmp/g1/genesis.json --accounts 100000 --out /tmp/big-genesis.json
    agora init --data-dir /tmp/big --chain-id big --validator-key /tmp/k/val.json --genesis /tmp/big-genesis.json
"""
import argparse, hashlib, json

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def polymod(values):
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def bech32m(hrp, data):
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    pm = polymod(expanded + data + [0] * 6) ^ 0x2BC830A3
    return hrp + "1" + "".join(CHARSET[d] for d in data + [(pm >> 5 * (5 - i)) & 31 for i in range(6)])


def five_bit(raw):
    acc = bits = 0
    out = []
    for b in raw:
        acc = (acc << 8) | b
        bits += 8
        while bits >= 5:
            bits -= 5
            out.append((acc >> bits) & 31)
    if bits:
        out.append((acc << (5 - bits)) & 31)
    return out


def address(i):
    return bech32m("ag", five_bit(hashlib.sha256(b"bench-account-%d" % i).digest()[:20]))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--from", dest="source", required=True, help="an existing genesis.json (chain ID, validators, params)")
    p.add_argument("--accounts", type=int, required=True)
    p.add_argument("--amount", type=int, default=1000)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    genesis = json.load(open(a.source))
    genesis["allocations"] = [{"address": address(i), "amount": a.amount} for i in range(a.accounts)]
    with open(a.out, "w") as f:
        json.dump(genesis, f, indent=1)


if __name__ == "__main__":
    main()
