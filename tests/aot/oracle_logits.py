#!/usr/bin/python3
"""The transformers oracle's prompt and logits (oracle.safetensors), for checks run outside
GoogleTest (a cross-built trine under qemu).

  oracle_logits.py ids DIR          prints the prompt's token ids, comma separated
  oracle_logits.py compare DIR NPY  compares trine's logits [T, V] with the oracle's as its README
                                    says: relative RMS <= 5e-2 and top-1 agreement >= 0.9
"""
import json
import struct
import sys

import numpy as np

REL_RMS_MAX = 5e-2
TOP1_MIN = 0.9
DTYPES = {"F32": np.float32, "I64": np.int64}


def tensor(oracle_dir, name):
    path = f"{oracle_dir}/oracle.safetensors"
    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
        if name not in header:
            sys.exit(f"{path}: no tensor {name}")
        t = header[name]
        begin, end = t["data_offsets"]
        f.seek(8 + header_len + begin)
        return np.frombuffer(f.read(end - begin), dtype=DTYPES[t["dtype"]]).reshape(t["shape"])


def compare(oracle_dir, npy):
    want = tensor(oracle_dir, "logits").astype(np.float64)
    got = np.load(npy).astype(np.float64)
    if got.shape != want.shape:
        sys.exit(f"{npy}: shape {got.shape}, the oracle's logits are {want.shape}")
    rel = np.linalg.norm(got - want) / np.linalg.norm(want)
    top1 = float(np.mean(got.argmax(axis=1) == want.argmax(axis=1)))
    ok = rel <= REL_RMS_MAX and top1 >= TOP1_MIN
    print(f"{npy}: relative RMS {rel:.3g} (max {REL_RMS_MAX}), top-1 agreement {top1:.3f} (min {TOP1_MIN}): "
          f"{'ok' if ok else 'FAIL'}")
    return 0 if ok else 1


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "ids":
        print(",".join(str(int(i)) for i in tensor(sys.argv[2], "input_ids")))
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "compare":
        return compare(sys.argv[2], sys.argv[3])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
