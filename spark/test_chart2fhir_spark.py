#!/usr/bin/env python3
"""The Spark driver against `chart2fhir batch` on one machine: the same inputs must give the same
bytes and the same statuses, after a clean run, and after the whole job was killed (every
process of it, SIGKILL) and run again with a task that fails midway and is retried; also for a
folder input (hostile files, OCR pages) and a Parquet listing with patient identifiers.

    python3 spark/test_chart2fhir_spark.py [--binary target/release/chart2fhir] [--shared ../shared]

Prints one line per check and 'N passed, N failed'. Exits 1 when a check failed.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DRIVER = os.path.join(HERE, "chart2fhir_spark.py")

passed, failed = 0, 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok - {name}", flush=True)
    else:
        failed += 1
        print(f"FAILED - {name}{': ' + detail if detail else ''}", flush=True)


def env():
    e = dict(os.environ)
    # Provenance.recorded then comes from each file's modification time, the default: both
    # sides read the same files, so they must agree without help.
    e.pop("SOURCE_DATE_EPOCH", None)
    return e


def one_machine(binary, args, out):
    r = subprocess.run(
        [binary, "batch", *args, "--out", out, "-q", "-j", "2"],
        check=False,
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    with open(os.path.join(out, "manifest.ndjson")) as f:
        lines = [json.loads(l) for l in f]
    return r.returncode, {os.path.abspath(l["input"]): l for l in lines}


def driver(binary, source, out, *extra, master="local[2]"):
    started = time.time()
    r = subprocess.run(
        [sys.executable, DRIVER, source, out, "--master", master, "--binary", binary, *extra],
        check=False,
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    summary = [
        l
        for l in r.stderr.decode("utf-8", "replace").splitlines()
        if l.startswith(("chart2fhir-spark", "  "))
    ]
    print(f"  ({time.time() - started:.0f} s) " + " | ".join(summary[-3:]), flush=True)
    return r.returncode, r.stderr.decode("utf-8", "replace")


def outputs(root):
    """Every file under root (relative path -> bytes) but the logs and the results table."""
    got = {}
    for d, dirs, files in os.walk(root):
        rel = os.path.relpath(d, root)
        if rel.split(os.sep)[0] == "results.parquet":
            continue
        for f in files:
            if f in ("manifest.ndjson",):
                continue
            with open(os.path.join(d, f), "rb") as fh:
                got[os.path.normpath(os.path.join(rel, f))] = fh.read()
    return got


def count_bundles(root):
    """Bundles written so far (names only: files come and go while the job runs)."""
    return sum(
        f.endswith(".json") and not f.startswith(".") for _, _, fs in os.walk(root) for f in fs
    )


def same_outputs(name, a, b):
    oa, ob = outputs(a), outputs(b)
    differ = [k for k in oa if k in ob and oa[k] != ob[k]]
    only_a = sorted(set(oa) - set(ob))
    only_b = sorted(set(ob) - set(oa))
    check(
        f"{name}: {len(ob)} outputs byte-identical to one machine",
        not differ and not only_a and not only_b and len(oa) > 0,
        f"{len(differ)} differ, {len(only_a)} missing, {len(only_b)} extra"
        f" (e.g. {(differ + only_a + only_b)[:3]})",
    )


_spark = None


def session():
    """The test's own Spark session, to read and write Parquet."""
    global _spark
    if _spark is None:
        from pyspark.sql import SparkSession

        _spark = (
            SparkSession.builder.master("local[1]")
            .appName("chart2fhir-spark-test")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.memory", "512m")
            .config("spark.ui.showConsoleProgress", "false")
            .getOrCreate()
        )
        _spark.sparkContext.setLogLevel("ERROR")
    return _spark


def results(out):
    return session().read.parquet("file://" + os.path.join(out, "results.parquet")).collect()


def same_statuses(name, rows, reference, rerun=False):
    """One row per input, each with the reference status (written may be skipped on a rerun)."""
    paths = [r["path"] for r in rows]
    by_path = {r["path"]: r for r in rows}
    wrong = []
    for p, ref in reference.items():
        r = by_path.get(p)
        if r is None:
            wrong.append((p, "missing"))
            continue
        ok = r["status"] == ref["status"] or (
            rerun and ref["status"] == "written" and r["status"] == "skipped"
        )
        if r["status"] == "failed":
            ok = ok and r["error"] == ref["error"]
        if r["status"] == "written":
            ok = ok and (r["sha256"], r["pages"]) == (ref["sha256"], ref["pages"])
        if not ok:
            wrong.append((p, r["status"], ref["status"]))
    check(
        f"{name}: results.parquet has one row per input ({len(rows)}) with the one-machine statuses",
        len(paths) == len(set(paths)) == len(reference) and not wrong,
        f"{len(rows)} rows for {len(reference)} inputs, {len(set(paths))} distinct; wrong: {wrong[:3]}",
    )


def session_processes(sid):
    """The live processes of a session (zombies are dead already)."""
    pids = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
                if state != "Z" and os.getsid(int(p)) == sid:
                    pids.append(int(p))
            except (OSError, IndexError):
                pass
    return pids


def kill_session(sid):
    """SIGKILL to every process of the session (the driver, the JVM, Python workers, chart2fhir
    processes: as when the machines go), until none is left."""
    for _ in range(100):
        pids = session_processes(sid)
        if not pids:
            return True
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)
    return not session_processes(sid)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(REPO, "target", "release", "chart2fhir"))
    ap.add_argument("--shared", default=os.path.join(REPO, "..", "shared"))
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    docs = os.path.abspath(os.path.join(args.shared, "corpus", "dev", "docs"))
    work = tempfile.mkdtemp(prefix="chart2fhir-spark-test-")
    try:
        run(binary, docs, work)
    except Exception as e:  # noqa: BLE001 (a crash of the test is one failed check)
        check("the test ran to its end", False, f"{type(e).__name__}: {e}")
    finally:
        if _spark is not None:
            _spark.stop()
        if args.keep:
            print(f"work folder: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def run(binary, docs, work):
    pdfs = sorted(f for f in os.listdir(docs) if f.endswith(".pdf") and not f.endswith(".fax.pdf"))
    txts = sorted(f for f in os.listdir(docs) if f.endswith(".txt"))
    check(
        f"the dev corpus: {len(pdfs)} PDFs with a text layer and {len(txts)} fax texts",
        len(pdfs) == 226 and len(txts) == 69,
    )
    listing = os.path.join(work, "dev.txt")
    with open(listing, "w") as f:
        f.writelines(os.path.join(docs, n) + "\n" for n in pdfs + txts)

    # 1. The whole dev corpus: one machine, then Spark in local[2].
    one = os.path.join(work, "one")
    rc_one, reference = one_machine(binary, ["--manifest", listing], one)
    print(
        f"  one machine: {sum(l['status'] == 'written' for l in reference.values())} written, "
        f"{sum(l['status'] == 'failed' for l in reference.values())} failed (exit {rc_one})"
    )
    clean = os.path.join(work, "spark")
    rc, _ = driver(binary, listing, clean)
    check("clean run: the driver's exit status is batch's", rc == rc_one, f"{rc} vs {rc_one}")
    same_outputs("clean run", one, clean)
    same_statuses("clean run", results(clean), reference)

    # 2. The whole job killed midway (every process of it, as when the machines go), then run
    # again; in that second run one task fails midway on purpose and Spark retries it.
    killed = os.path.join(work, "killed")
    tasks = ["--partitions", "8"]
    cmd = [sys.executable, DRIVER, listing, killed, "--master", "local[2]", "--binary", binary]
    proc = subprocess.Popen(
        cmd + tasks,
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 300
        while time.time() < deadline and proc.poll() is None:
            if count_bundles(killed) >= 60:
                break
            time.sleep(0.1)
    finally:
        all_gone = kill_session(proc.pid)
        proc.wait()
    written_before = count_bundles(killed)
    check(
        f"kill: the job was killed midway ({written_before} of {len(reference) - 2} outputs written)",
        0 < written_before < len(reference) - 2 and all_gone,
    )
    # The last task (its inputs untouched by the killed run) fails after 10 inputs; Spark's
    # second attempt (local[2,2]: two tries per task) must skip what the first one wrote.
    rc, _ = driver(binary, listing, killed, *tasks, "--inject-failure", "7:10", master="local[2,2]")
    check("kill + rerun: the exit status is batch's", rc == rc_one, f"{rc} vs {rc_one}")
    same_outputs("kill + rerun", one, killed)
    rows = results(killed)
    same_statuses("kill + rerun", rows, reference, rerun=True)
    skipped = sum(r["status"] == "skipped" for r in rows)
    check(
        f"kill + rerun: what was complete is skipped ({skipped} skipped, {written_before} written"
        " before the kill)",
        skipped >= written_before - 4 and skipped > 0,
    )
    retried = [r for r in rows if r["partition"] == 7]
    check(
        "kill + rerun: the failed task's rows come from its second attempt, which skipped what"
        f" the first wrote ({sum(r['status'] == 'skipped' for r in retried)} of {len(retried)})",
        retried
        and all(r["attempt"] == 1 for r in retried)
        and sum(r["status"] == "skipped" for r in retried) >= 10
        and all(r["attempt"] == 0 for r in rows if r["partition"] != 7),
    )

    # 3. A folder (walked as batch walks it): the fixtures, with hostile files and OCR pages.
    fixtures = os.path.join(REPO, "fixtures")
    fx_one = os.path.join(work, "fixtures-one")
    rc_fx, fx_reference = one_machine(binary, [fixtures], fx_one)
    fx = os.path.join(work, "fixtures-spark")
    rc, _ = driver(binary, fixtures, fx)
    check("folder input: the exit status is batch's", rc == rc_fx, f"{rc} vs {rc_fx}")
    same_outputs("folder input", fx_one, fx)
    same_statuses("folder input", results(fx), fx_reference)

    # 4. A Parquet listing with a patient identifier column (as a CSV manifest on one machine).
    some = [os.path.join(docs, n) for n in (pdfs[:12] + txts[:8])]
    csv = os.path.join(work, "some.csv")
    with open(csv, "w") as f:
        f.write("path,patient_identifier\n")
        f.writelines(f"{p},urn:oid:2.16.840.1.113883.19.5|MRN-{i:04}\n" for i, p in enumerate(some))
    pq_one = os.path.join(work, "parquet-one")
    _, pq_reference = one_machine(binary, ["--manifest", csv], pq_one)
    session().createDataFrame(
        [(p, f"urn:oid:2.16.840.1.113883.19.5|MRN-{i:04}") for i, p in enumerate(some)],
        "path string, patient_identifier string",
    ).coalesce(1).write.parquet("file://" + os.path.join(work, "some.parquet"))
    pq = os.path.join(work, "parquet-spark")
    rc, _ = driver(binary, os.path.join(work, "some.parquet"), pq)
    same_outputs("Parquet listing with identifiers", pq_one, pq)
    rows = results(pq)
    same_statuses("Parquet listing with identifiers", rows, pq_reference)
    check(
        "Parquet listing: the identifiers reach the bundles",
        all(r["patient_identifier"] for r in rows)
        and any(b"MRN-0000" in v for v in outputs(pq).values()),
    )


if __name__ == "__main__":
    sys.exit(main())
