"""Peer for bench/code15-stream.ts: streams a CODE-15%-layout HDF5 file with
h5py the way the CODE-15% authors' loaders do (blocks of exams along the
first axis), transposing each block to leads-major float32 like ecgx does.
Prints one JSON object. Run with Debian's /usr/bin/python3 (python3-h5py)."""
import json
import resource
import sys
import time

import h5py
import numpy as np

path, block = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 32
t0 = time.perf_counter()
n = 0
checksum = 0.0
with h5py.File(path, "r") as f:
    tr = f["tracings"]
    total = tr.shape[0]
    for i in range(0, total, block):
        x = tr[i:i + block]                                   # [b, 4096, 12] float32
        leads_major = np.ascontiguousarray(x.transpose(0, 2, 1))  # [b, 12, 4096]
        checksum += float(leads_major[:, 0, 0].sum())
        n += leads_major.shape[0]
secs = time.perf_counter() - t0
print(json.dumps({"exams": n, "seconds": secs, "maxRssKb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "checksum": checksum, "h5py": h5py.__version__}))
