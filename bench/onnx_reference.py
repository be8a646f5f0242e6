"""onnxruntime beside `tuna bench serve`: the same exported network, the same rows.

Usage: python onnx_reference.py MODEL.onnx ROWS.csv COLUMN[,COLUMN...] REQUESTS

Prints one JSON object: p50/p99 milliseconds of one `session.run` on 1 row and on 1,000 rows
(REQUESTS timed runs each, after 5 warm-up runs), and rows/s over every row of ROWS.csv
(reading the CSV with numpy included, as `tuna predict` includes its own reading).
The input is `features`, float32 (batch, columns) in the exported pipeline's column order.
"""
import json
import sys
import time

import numpy as np
import onnxruntime as ort


def main():
    model, rows_path, columns, requests = sys.argv[1], sys.argv[2], sys.argv[3].split(","), int(sys.argv[4])
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    output = session.get_outputs()[0].name

    start = time.perf_counter()
    header = open(rows_path).readline().strip().split(",")
    indices = [header.index(c) for c in columns]
    table = np.genfromtxt(rows_path, delimiter=",", skip_header=1, usecols=indices, dtype=np.float32)
    table = table.reshape(len(table), len(columns))
    session.run([output], {"features": table})
    throughput = len(table) / (time.perf_counter() - start)

    result = {"rows": len(table), "rows_per_s": throughput}
    for count in (1, 1000):
        batch = np.ascontiguousarray(np.resize(table, (count, len(columns))))
        for _ in range(5):
            session.run([output], {"features": batch})
        seconds = []
        for _ in range(requests):
            t = time.perf_counter()
            session.run([output], {"features": batch})
            seconds.append(time.perf_counter() - t)
        seconds.sort()
        result[f"p50_ms_{count}"] = seconds[len(seconds) // 2] * 1e3
        result[f"p99_ms_{count}"] = seconds[min(len(seconds) - 1, len(seconds) * 99 // 100)] * 1e3
    print(json.dumps(result))


if __name__ == "__main__":
    main()
