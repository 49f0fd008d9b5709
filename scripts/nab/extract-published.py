#!/usr/bin/env python3
"""Extract the detections of NAB's published detectors on the twelve AWS CloudWatch series.

Usage: extract-published.py <NAB checkout> > internal/nab/testdata/published.json

For each detector and profile, NAB's shipped results (results/<detector>/realAWSCloudwatch/)
are cut at the detector's corpus-optimised threshold (config/thresholds.json): a row is a
detection when its anomaly_score is at least the threshold, as NAB's sweeper decides. Only the
timestamps of detections are kept, which is all a scorer needs at a fixed threshold; the test
in internal/nab scores them and must find the published numbers of the benchmark's README.
"""
import csv, json, os, sys

SERIES = ["ec2_cpu_utilization_24ae8d", "ec2_cpu_utilization_53ea38", "ec2_cpu_utilization_77c1ca",
          "ec2_cpu_utilization_825cc2", "ec2_cpu_utilization_c6585a", "ec2_cpu_utilization_fe7f93",
          "ec2_disk_write_bytes_1ef3de", "ec2_network_in_257a54", "elb_request_count_8c0756",
          "grok_asg_anomaly", "iio_us-east-1_i-a2eb1cd9_NetworkIn", "rds_cpu_utilization_cc0c53"]
DETECTORS = ["numenta", "contextOSE", "ARTime", "earthgeckoSkyline", "knncad", "randomCutForest",
             "windowedGaussian", "twitterADVec", "random"]
PROFILES = ["standard", "reward_low_FP_rate", "reward_low_FN_rate"]

root = sys.argv[1]
thresholds = json.load(open(os.path.join(root, "config", "thresholds.json")))
out = {}
for det in DETECTORS:
    rows = {}
    for s in SERIES:
        with open(os.path.join(root, "results", det, "realAWSCloudwatch", f"{det}_{s}.csv")) as f:
            rows[s] = [(r["timestamp"], float(r["anomaly_score"])) for r in csv.DictReader(f)]
    out[det] = {}
    for p in PROFILES:
        t = thresholds[det][p]["threshold"]
        out[det][p] = {"threshold": t, "detections": {
            f"realAWSCloudwatch/{s}.csv": [ts for ts, sc in rows[s] if sc >= t] for s in SERIES}}
json.dump(out, sys.stdout, indent=1, sort_keys=True)
print()
