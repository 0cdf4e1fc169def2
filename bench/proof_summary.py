#!/usr/bin/python3
"""Summarises a bench/run-proof.sh run: the ratio of the gateway's CPU per delivered exchange to
the in-process ceiling, saturation, latency against offered load, nginx beside it, memory.
Writes summary.json and the tables the plots read (offered.tsv, cpu_split.tsv) into the run's
directory, and prints the summary.

    bench/proof_summary.py <run dir> <rss at start> <rss after load> <rss before idle> <rss idle> <idle held>
    bench/proof_summary.py --soak-only <run dir>
"""
import glob
import json
import os
import sys

# X-Road's published sizing, for scale: a security server is sized for tens to a few hundred
# messages per second (the brief, "What the field's anchors do").
XROAD_MESSAGES_PER_S = "tens to a few hundred"


def load(path):
    with open(path) as f:
        return json.load(f)


def soak_summary(run):
    """The soak's RSS curve (soak-rss.tsv) and load report (soak.json), or None without a soak."""
    path = os.path.join(run, "soak-rss.tsv")
    if not os.path.exists(path):
        return None
    samples = [tuple(int(x) for x in line.split("\t")) for line in open(path) if line.strip()]
    if not samples:
        return None
    later = [kb for t, kb in samples if t >= 60]
    out = {"seconds": samples[-1][0], "rss_kb_first": samples[0][1], "rss_kb_last": samples[-1][1],
           "rss_kb_min_after_1min": min(later) if later else None,
           "rss_kb_max_after_1min": max(later) if later else None}
    if os.path.exists(os.path.join(run, "soak.json")):
        out["load"] = load(os.path.join(run, "soak.json"))
    return out


def main():
    if sys.argv[1] == "--soak-only":
        # Only the soak is new: its figures go into the summary of the run it was added to.
        run = sys.argv[2]
        summary = load(os.path.join(run, "summary.json"))
        summary["soak"] = soak_summary(run)
        with open(os.path.join(run, "summary.json"), "w") as f:
            json.dump(summary, f, indent=2)
        print(json.dumps(summary["soak"], indent=2))
        return
    run = sys.argv[1]
    rss_start, rss_loaded, rss_before_idle, rss_idle, idle_held = (int(a) for a in sys.argv[2:7])
    ceiling = load(os.path.join(run, "ceiling.json"))
    summary = {"machine": load(os.path.join(run, "machine.json")), "ceiling": ceiling, "families": {}}
    split = []
    for family in ("national", "oots"):
        saturation = load(os.path.join(run, f"saturation-{family}.json"))
        c = ceiling[family]
        cpu = saturation["server_cpu_us_per_delivered"]
        summary["families"][family] = {
            "saturation_delivered_per_s": round(saturation["delivered_per_s"]),
            "gateway_cpu_us_per_exchange": round(cpu, 1),
            "ceiling_us_per_exchange": round(c["ceiling_us"], 1),
            "ratio_to_ceiling": round(cpu / c["ceiling_us"], 2),
            "ratio_target": 1.4,
            "log_writer_cpu_us_per_exchange": round(saturation.get("log_writer_cpu_us_per_delivered") or 0, 1),
            "latency_ms_at_saturation": saturation["latency_ms"],
            "outcomes": saturation["outcomes"],
            "verified": saturation["verified"],
            "verification_failures": saturation["verification_failures"],
        }
        decode = c.get("decode_validate_verify_us", c.get("decode_validate_us"))
        split.append((family, decode, c["sign_us"], c["log_append_us"], max(cpu - c["ceiling_us"], 0)))
    with open(os.path.join(run, "cpu_split.tsv"), "w") as f:
        f.write("family\tdecode/validate/verify\tsign\tlog append\tall else\n")
        for row in split:
            f.write("\t".join([row[0]] + [f"{v:.1f}" for v in row[1:]]) + "\n")

    rows = []
    for path in glob.glob(os.path.join(run, "open-*.json")):
        percent = int(os.path.basename(path)[5:-5])
        r = load(path)
        rows.append((percent, r["offered_per_s"], r["delivered_per_s"], r["latency_ms"]["p50"], r["latency_ms"]["p99"],
                     r["server_cpu_us_per_delivered"] or 0))
    rows.sort()
    with open(os.path.join(run, "offered.tsv"), "w") as f:
        f.write("percent\toffered\tdelivered\tp50_ms\tp99_ms\tcpu_us\n")
        for row in rows:
            f.write("\t".join(str(round(v, 3)) for v in row) + "\n")
    summary["open_loop"] = [dict(zip(("percent_of_saturation", "offered_per_s", "delivered_per_s", "p50_ms", "p99_ms",
                                      "gateway_cpu_us"), row)) for row in rows]
    at70 = next((r for r in rows if r[0] == 70), None)
    summary["p99_ms_at_70_percent"] = at70[4] if at70 else None
    summary["p99_target_ms"] = 25

    nosync_path = os.path.join(run, "saturation-national-nosync.json")
    if os.path.exists(nosync_path):
        nosync = load(nosync_path)
        cpu = nosync["server_cpu_us_per_delivered"]
        summary["national_without_fsync"] = {
            "saturation_delivered_per_s": round(nosync["delivered_per_s"]),
            "gateway_cpu_us_per_exchange": round(cpu, 1),
            "log_writer_cpu_us_per_exchange": round(nosync.get("log_writer_cpu_us_per_delivered") or 0, 1),
            "ratio_to_ceiling": round(cpu / ceiling["national"]["ceiling_us"], 2),
        }
    nginx = load(os.path.join(run, "nginx.json"))
    summary["nginx_mtls_proxy"] = {
        "delivered_per_s": round(nginx["delivered_per_s"]),
        "cpu_us_per_request": round(nginx["server_cpu_us_per_delivered"], 1),
        "latency_ms": nginx["latency_ms"],
    }
    summary["xroad_published_sizing_messages_per_s"] = XROAD_MESSAGES_PER_S
    summary["memory_kb"] = {
        "rss_start": rss_start,
        "rss_after_saturation": rss_loaded,
        "rss_before_idle": rss_before_idle,
        "rss_with_idle_connections": rss_idle,
        "idle_connections": idle_held,
        "kb_per_idle_connection": round((rss_idle - rss_before_idle) / idle_held, 2) if idle_held else None,
        "target_kb_per_idle_connection": 10,
    }
    if soak_summary(run):
        summary["soak"] = soak_summary(run)
    with open(os.path.join(run, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
