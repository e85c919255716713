#!/usr/bin/env python3
"""chart2fhir on Spark: an archive of clinical documents to FHIR bundles, one Spark task per
slice of the inputs.

    python3 spark/chart2fhir_spark.py INPUT OUTPUT_DIR [--master local[2]] [--binary PATH]
        [--partitions N] [--glob GLOB] [chart2fhir batch flags ...]

INPUT is a folder (walked as `chart2fhir batch FOLDER` walks it), a glob (`'/archive/**/*.pdf'`,
quoted), or a listing: a text file with one path per line or a CSV with a `path` column and an
optional patient identifier column (as `batch --manifest` reads it), or a Parquet file / folder
whose name ends in `.parquet` with the same columns. Relative paths in a listing are relative to
the listing's folder.

Every task runs the `chart2fhir` binary (shipped to the executors with the job, dictionaries
compiled in) as `chart2fhir batch --manifest - --print-results`, so each input keeps batch's
worker process, memory limit, no-progress timeout, atomic writes and content-hash resume.
Outputs land under OUTPUT_DIR exactly as `chart2fhir batch ... --out OUTPUT_DIR` lays them out,
with the same bytes; OUTPUT_DIR/results.parquet has one row per input (path, status, error,
reason, size, pages, counts, sha256, output, elapsed_ms, and the task that ran it).

Inputs and OUTPUT_DIR must be paths that every executor sees (a shared mount: NFS, /dbfs, EFS,
a FUSE-mounted bucket). Running the same command again skips what is complete. Exit status: 0
all written or skipped, 1 some inputs failed (see results.parquet), 2 usage error, 3 the job
itself failed.

Patient data: nothing here prints document text; paths and error labels only.
"""

import argparse
import ctypes
import fnmatch
import glob as globmod
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

# Flags the driver sets itself for every task: not to be given through.
OWNED = {
    "--out",
    "--manifest",
    "--print-results",
    "--shard",
    "--log",
    "-j",
    "--jobs",
    "-q",
    "--quiet",
}

RESULT_FIELDS = [
    ("path", "string"),
    ("patient_identifier", "string"),
    ("status", "string"),
    ("error", "string"),
    ("reason", "string"),
    ("size", "long"),
    ("pages", "int"),
    ("allergies", "int"),
    ("medications", "int"),
    ("conditions", "int"),
    ("sha256", "string"),
    ("output", "string"),
    ("elapsed_ms", "long"),
    ("partition", "int"),
    ("attempt", "int"),
]

# A temporary file or folder that chart2fhir's atomic writes leave when killed mid-write:
# `.NAME.PID.tmp` (or `.NAME.PID.old` for an NDJSON folder being replaced).
LEFTOVER = re.compile(r"^\..+\.[0-9]+\.(tmp|old)$")


class Usage(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Inputs (on the driver)


def expand_braces(pattern):
    """`*.{pdf,txt}` -> [`*.pdf`, `*.txt`] (globset's alternatives; nesting allowed)."""
    m = re.search(r"\{([^{}]*)\}", pattern)
    if not m:
        return [pattern]
    out = []
    for alt in m.group(1).split(","):
        out.extend(expand_braces(pattern[: m.start()] + alt + pattern[m.end() :]))
    return out


def walk(root, pattern):
    """The files `chart2fhir batch ROOT --glob PATTERN` reads, as paths relative to ROOT:
    sorted, recursive, hidden files left out, the glob matched on the path or the name."""
    pats = expand_braces(pattern)

    def wanted(full, name):
        return any(fnmatch.fnmatchcase(full, p) or fnmatch.fnmatchcase(name, p) for p in pats)

    stack = [root]
    out = []
    while stack:
        d = stack.pop()
        try:
            names = sorted(os.listdir(d))
        except OSError as e:
            print(f"chart2fhir-spark: {d}: cannot read the folder: {e.strerror}", file=sys.stderr)
            continue
        subdirs = []
        for n in names:
            full = os.path.join(d, n)
            if os.path.isdir(full):
                subdirs.append(full)
            elif not n.startswith(".") and wanted(full, n):
                out.append(os.path.relpath(full, root))
        stack.extend(reversed(subdirs))
    out.sort()
    return out


def split_line(line):
    """One listing line into cells, as batch's manifest reader splits it (tabs, else commas
    with quotes)."""
    sep = "\t" if "\t" in line else ","
    cells, cur, quoted, i = [], [], False, 0
    while i < len(line):
        c = line[i]
        if c == '"' and quoted and i + 1 < len(line) and line[i + 1] == '"':
            cur.append('"')
            i += 1
        elif c == '"':
            quoted = not quoted
        elif c == sep and not quoted:
            cells.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    cells.append("".join(cur).strip())
    if len(cells) == 1 and sep == "," and '"' not in line:
        return [line]
    return cells


def identifier_column(names):
    for i, c in enumerate(names):
        c = c.lower()
        if "identifier" in c or c in ("mrn", "patient"):
            return i
    return None


def read_text_listing(path):
    """(path as written, identifier) per line of a text / CSV listing, as batch reads one."""
    rows, columns = [], None
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n").rstrip("\r").strip()
            if not line or line.startswith("#"):
                continue
            cells = split_line(line)
            if number == 1 and any(c.lower() == "path" for c in cells):
                p = next(i for i, c in enumerate(cells) if c.lower() == "path")
                columns = (p, identifier_column(cells))
                continue
            if columns:
                p, i = columns
                value = cells[p] if p < len(cells) else ""
                ident = cells[i] if i is not None and i < len(cells) and cells[i] else None
            else:
                value, ident = line, None
            if not value:
                print(f"chart2fhir-spark: {path}: line {number}: no path", file=sys.stderr)
                continue
            rows.append((value, ident))
    return rows


def is_glob(s):
    return any(c in s for c in "*?[")


def glob_root(pattern):
    parts = pattern.split(os.sep)
    fixed = []
    for p in parts:
        if is_glob(p):
            break
        fixed.append(p)
    root = os.sep.join(fixed) or "."
    return os.path.abspath(root)


def as_local(path):
    if path.startswith("file://"):
        return path[len("file://") :]
    if path.startswith("file:"):
        return path[len("file:") :]
    return path


def check_path(p):
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", p) and not p.startswith("file:"):
        raise Usage(
            f"{p.split(':')[0]}: inputs are read by the chart2fhir binary as files: give paths"
            " on a filesystem every executor mounts (e.g. /dbfs/..., an NFS or FUSE mount)"
        )
    if p != p.strip() or any(c in p for c in "\n\r\t"):
        raise Usage("an input path starts or ends with a space or holds a tab or line break")


# ---------------------------------------------------------------------------------------------
# One task (on an executor)


def _death_signal():
    """A function for the child, between fork and exec, that makes the kernel kill it when the
    Python worker that started it dies (a task killed by Spark, a lost executor): no orphan
    keeps reading. Loaded before the fork: nothing is loaded in the child."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None  # not Linux
    return lambda: prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _quote(cell):
    return '"' + cell.replace('"', '""') + '"'


def run_partition(conf, index, rows):
    """Runs one slice of the inputs through `chart2fhir batch` and yields one result row per
    input. Raises (so Spark retries the task) when batch did not answer for every input."""
    from pyspark import SparkFiles, TaskContext

    rows = list(rows)
    if not rows:
        return
    ctx = TaskContext.get()
    attempt = ctx.attemptNumber() if ctx else 0
    exe = SparkFiles.get(conf["binary_name"])
    if not os.access(exe, os.X_OK):
        os.chmod(exe, 0o755)
    extra = list(conf["extra"])
    for name in conf["dict_names"]:
        extra += ["--dict", SparkFiles.get(name)]
    env = dict(os.environ)
    env.update(conf["env"])
    tmp = tempfile.mkdtemp(prefix="chart2fhir-task-")
    log = os.path.join(tmp, "log.ndjson")
    cmd = [exe, "batch", "--manifest", "-", "--out", conf["out"], "--print-results", "-q"]
    cmd += ["-j", str(conf["jobs"]), "--log", log] + extra
    fail = conf.get("inject_failure")
    fail_after = fail[1] if fail and fail[0] == index and attempt == 0 else None
    proc = subprocess.Popen(
        cmd,
        cwd=conf["base"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_death_signal(),  # noqa: PLW1509 (nothing in it takes a lock)
    )

    def feed():
        # Always a header and quoted cells, so that a path like '#1.pdf' or 'path' is not read
        # as a comment or a header.
        try:
            ident = conf["with_identifier"]
            proc.stdin.write(b"path,patient_identifier\n" if ident else b"path\n")
            for path, identifier in rows:
                line = _quote(path) + ("," + _quote(identifier or "") if ident else "")
                proc.stdin.write((line + "\n").encode())
            proc.stdin.close()
        except OSError:
            pass

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    errs = []
    reader = threading.Thread(target=lambda: errs.append(proc.stderr.read()), daemon=True)
    reader.start()
    done = 0
    try:
        for raw in proc.stdout:
            if done >= len(rows):
                raise RuntimeError("chart2fhir batch answered more lines than it was given inputs")
            o = json.loads(raw)
            path, ident = rows[done]
            if os.path.normpath(o.get("input") or "") != os.path.normpath(path):
                raise RuntimeError(f"chart2fhir batch answered out of order at input {done}")
            counts = o.get("counts") or {}
            yield (
                os.path.normpath(os.path.join(conf["base"], path)),
                ident,
                o.get("status"),
                o.get("error"),
                o.get("reason"),
                o.get("size"),
                o.get("pages"),
                counts.get("allergies"),
                counts.get("medications"),
                counts.get("conditions"),
                o.get("sha256"),
                o.get("output"),
                o.get("elapsed_ms"),
                index,
                attempt,
            )
            done += 1
            if fail_after is not None and done >= fail_after:
                proc.kill()
                raise RuntimeError(
                    f"failure injected in partition {index} after {done} inputs (a test)"
                )
        rc = proc.wait()
        reader.join()
        if rc not in (0, 1) or done != len(rows):
            tail = (errs[0] if errs else b"").decode("utf-8", "replace")[-2000:]
            raise RuntimeError(
                f"chart2fhir batch ended with status {rc} after {done} of {len(rows)} inputs: {tail}"
            )
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def sweep(folder):
    """Removes what atomic writes killed mid-write left in one output folder."""
    removed = 0
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    for n in names:
        if LEFTOVER.match(n):
            p = os.path.join(folder, n)
            try:
                if os.path.isdir(p) and not os.path.islink(p):
                    shutil.rmtree(p)
                else:
                    os.remove(p)
                removed += 1
            except OSError:
                pass
    return removed


# ---------------------------------------------------------------------------------------------
# The driver


def parse(argv):
    ap = argparse.ArgumentParser(
        prog="chart2fhir_spark.py",
        description="Run `chart2fhir batch` over an archive on Spark. Flags not listed here go"
        " to `chart2fhir batch` (--format, --bundle, --recorded, --ocr, --file-timeout,"
        " --max-memory-mb, --allow-multiple-patients, --force, ...).",
        allow_abbrev=False,
    )
    ap.add_argument("input", help="a folder, a glob, or a text / CSV / .parquet listing of paths")
    ap.add_argument(
        "output_dir", help="where the outputs and results.parquet go (shared by all executors)"
    )
    ap.add_argument("--master", help="Spark master (default: spark-submit's, else local[*])")
    ap.add_argument(
        "--binary",
        help="the chart2fhir executable to ship (default: target/release/chart2fhir, else chart2fhir on PATH)",
    )
    ap.add_argument(
        "--partitions",
        type=int,
        help="Spark tasks (default: 4 per core, or one per 100 inputs when more, rounded up to a multiple of the cores)",
    )
    ap.add_argument(
        "--glob",
        default="*.{pdf,PDF,txt,TXT}",
        help="files taken from a folder INPUT (as batch --glob)",
    )
    ap.add_argument(
        "--jobs-per-task", type=int, help="batch workers per task (default: spark.task.cpus)"
    )
    ap.add_argument(
        "--dict",
        action="append",
        default=[],
        help="a site's term table (shipped with the job; repeatable)",
    )
    ap.add_argument(
        "--results", help="where the results table goes (default: OUTPUT_DIR/results.parquet)"
    )
    ap.add_argument("--inject-failure", metavar="PARTITION:AFTER", help=argparse.SUPPRESS)
    args, extra = ap.parse_known_args(argv)
    for a in extra:
        if a.split("=")[0] in OWNED:
            raise Usage(f"{a}: the driver sets this for every task")
    if args.inject_failure:
        p, k = args.inject_failure.split(":")
        args.inject_failure = (int(p), int(k))
    return args, extra


def default_partitions(n, cores):
    """Tasks enough that the last ones, run while other cores idle, are a small part of the
    job (a task costs a process start, some tens of milliseconds); a multiple of the cores."""
    cores = max(1, cores)
    parts = max(4 * cores, math.ceil(n / 100))
    return math.ceil(parts / cores) * cores


def find_binary(given):
    if given:
        if not os.path.isfile(given):
            raise Usage(f"{given}: no such file (--binary)")
        return os.path.abspath(given)
    here = os.path.dirname(os.path.abspath(__file__))
    built = os.path.join(os.path.dirname(here), "target", "release", "chart2fhir")
    if os.path.isfile(built):
        return built
    found = shutil.which("chart2fhir")
    if found:
        return found
    raise Usage("no chart2fhir binary: build it (cargo build --release) or give --binary PATH")


def validate_flags(binary, extra, dicts):
    """Runs batch on no input with the flags given, so that a bad flag is a usage error here,
    not a failed task on every executor."""
    with tempfile.TemporaryDirectory() as d:
        cmd = [
            binary,
            "batch",
            "--manifest",
            os.devnull,
            "--out",
            d,
            "-q",
            "--log",
            os.path.join(d, "log"),
        ]
        for f in dicts:
            cmd += ["--dict", f]
        try:
            r = subprocess.run(cmd + extra, check=False, capture_output=True, timeout=60)
        except OSError:
            return  # the driver cannot run the executors' binary (another platform): skip
        if r.returncode == 2:
            raise Usage("chart2fhir batch: " + r.stderr.decode("utf-8", "replace").strip())


def main(argv):
    try:
        args, extra = parse(argv)
        binary = find_binary(args.binary)
        dicts = [os.path.abspath(d) for d in args.dict]
        names = [os.path.basename(d) for d in dicts]
        if len(set(names)) != len(names):
            raise Usage("two --dict files have the same name")
        validate_flags(binary, extra, dicts)
        out = os.path.abspath(as_local(args.output_dir))
        os.makedirs(out, exist_ok=True)

        source = args.input
        listing_rows = None
        parquet = None
        with_identifier = False
        local = as_local(source)
        if source.rstrip("/").endswith(".parquet"):
            parquet = source if "://" in source else "file://" + os.path.abspath(local)
            base = os.path.dirname(os.path.abspath(local.rstrip("/")))
        elif os.path.isdir(local):
            base = os.path.abspath(local)
            listing_rows = [(p, None) for p in walk(base, args.glob)]
        elif os.path.isfile(local):
            with open(local, "rb") as f:
                if f.read(5) == b"%PDF-":
                    raise Usage(
                        f"{source}: a PDF, not a listing (one document: chart2fhir extract)"
                    )
            base = os.path.dirname(os.path.abspath(local))
            listing_rows = read_text_listing(local)
            with_identifier = any(i for _, i in listing_rows)
        elif is_glob(local):
            base = glob_root(local)
            found = sorted(
                f for f in globmod.glob(os.path.abspath(local), recursive=True) if os.path.isfile(f)
            )
            listing_rows = [(os.path.relpath(f, base), None) for f in found]
            if not found:
                raise Usage(f"{source}: no file matches")
        else:
            raise Usage(f"{source}: no such file, folder or glob match")
        if listing_rows is not None:
            for p, _ in listing_rows:
                check_path(p)
    except Usage as e:
        print(f"chart2fhir-spark: {e}", file=sys.stderr)
        return 2

    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    builder = SparkSession.builder.appName("chart2fhir")
    if args.master:
        builder = builder.master(args.master)
    if (args.master or "local").startswith("local"):
        builder = (
            builder.config("spark.ui.enabled", "false")
            .config("spark.driver.memory", "1g")
            .config("spark.sql.shuffle.partitions", "4")
            # The JVM only moves result rows (the work is in the chart2fhir processes): a
            # quick start matters more here than peak speed.
            .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
            .config("spark.sql.codegen.wholeStage", "false")
        )
    if not sys.stderr.isatty():
        builder = builder.config("spark.ui.showConsoleProgress", "false")
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    sc = spark.sparkContext
    started = time.time()
    marker = os.path.join(out, "_chart2fhir_spark_running")
    unfinished = os.path.exists(marker)
    with open(marker, "w") as f:
        f.write("a chart2fhir Spark job writes here; removed when it ends\n")
    try:
        sc.addFile(binary)
        for d in dicts:
            sc.addFile(d)
        if parquet:
            df = spark.read.parquet(parquet)
            cols = [f.name for f in df.schema.fields]
            strings = [f.name for f in df.schema.fields if isinstance(f.dataType, T.StringType)]
            path_col = next(
                (c for c in cols if c.lower() == "path"), strings[0] if strings else None
            )
            if path_col is None:
                raise Usage(f"{source}: no path column")
            i = identifier_column(cols)
            ident_col = cols[i] if i is not None else None
            with_identifier = ident_col is not None
            df = df.select(path_col, *([ident_col] if ident_col else []))
            rdd = df.rdd.map(lambda r: (as_local(r[0]), r[1] if len(r) > 1 else None)).cache()
            n = rdd.count()
            # Bad paths become usage errors on the driver, not failed tasks.
            bad = rdd.filter(
                lambda r: not r[0] or r[0] != r[0].strip() or any(c in r[0] for c in "\n\r\t")
            ).count()
            if bad:
                raise Usage(
                    f"{source}: {bad} rows with an empty path or one with spaces, tabs or line breaks at its ends"
                )
            parts = args.partitions or default_partitions(n, sc.defaultParallelism)
            rdd = rdd.repartition(max(1, min(parts, n)))
        else:
            n = len(listing_rows)
            parts = args.partitions or default_partitions(n, sc.defaultParallelism)
            rdd = sc.parallelize(listing_rows, max(1, min(parts, n)))
        parts = rdd.getNumPartitions()
        env = {}
        if os.environ.get("SOURCE_DATE_EPOCH") and "--recorded" not in extra:
            # Executors do not inherit the driver's environment; the bytes must not depend on it.
            env["SOURCE_DATE_EPOCH"] = os.environ["SOURCE_DATE_EPOCH"]
        conf = {
            "binary_name": os.path.basename(binary),
            "dict_names": names,
            "extra": extra,
            "env": env,
            "out": out,
            "base": base,
            "jobs": args.jobs_per_task or int(sc.getConf().get("spark.task.cpus", "1")),
            "with_identifier": with_identifier,
            "inject_failure": args.inject_failure,
        }
        print(
            f"chart2fhir-spark: {n} inputs in {parts} tasks -> {out}", file=sys.stderr, flush=True
        )
        schema = T.StructType(
            [
                T.StructField(
                    name,
                    {"string": T.StringType(), "long": T.LongType(), "int": T.IntegerType()}[kind],
                    True,
                )
                for name, kind in RESULT_FIELDS
            ]
        )
        results_rdd = rdd.mapPartitionsWithIndex(lambda i, rows: run_partition(conf, i, rows))
        results = args.results or "file://" + os.path.join(out, "results.parquet")
        spark.createDataFrame(results_rdd, schema).write.mode("overwrite").parquet(results)

        tasks_done = time.time()
        table = spark.read.parquet(results)
        # One pass for the summary: per status and error label, how many, pages, an example.
        groups = (
            table.groupBy("status", "error")
            .agg(
                F.count("*").alias("n"),
                F.sum("pages").alias("pages"),
                F.min("path").alias("example"),
            )
            .collect()
        )
        rows = sum(g["n"] for g in groups)
        by_status = {}
        for g in groups:
            by_status[g["status"]] = by_status.get(g["status"], 0) + g["n"]
        pages = sum(g["pages"] or 0 for g in groups)
        failures = [g for g in groups if g["status"] == "failed"]
        # Tasks killed mid-write (in this run: retried attempts; or a run that did not end)
        # leave temporary files beside the outputs, never under an output's own name.
        retried = table.filter("attempt > 0").limit(1).count() > 0
        swept = 0
        if retried or unfinished:
            folders = table.filter("output IS NOT NULL").rdd.map(
                lambda r: os.path.dirname(r.output)
            )
            swept = folders.distinct().map(sweep).sum()
    except Usage as e:
        print(f"chart2fhir-spark: {e}", file=sys.stderr)
        spark.stop()
        return 2
    except Exception as e:  # noqa: BLE001 (the job failed: a task past its retries ...)
        # The task's own words (a Python traceback inside the Java one) say more than the
        # Java call that failed.
        why = re.findall(r"RuntimeError: (.*)", str(e)) or str(e).splitlines()[:1]
        print(f"chart2fhir-spark: the job failed: {why[-1][:500]}", file=sys.stderr)
        spark.stop()
        return 3
    spark.stop()
    os.remove(marker)
    secs = max(tasks_done - started, 0.001)
    w, f, s = (by_status.get(k, 0) for k in ("written", "failed", "skipped"))
    print(
        f"chart2fhir-spark: {rows} inputs: {w} written, {f} failed, {s} skipped (already done);"
        f" {pages} pages; {secs:.1f} s ({pages / secs:.0f} pages/s) in {parts} tasks"
        f" (then {time.time() - tasks_done:.1f} s for this summary)",
        file=sys.stderr,
    )
    for r in sorted(failures, key=lambda r: r[0] or ""):
        print(f"  failed, {r['error']}: {r['n']} (e.g. {r['example']})", file=sys.stderr)
    if swept:
        print(f"  removed {swept} temporary files that killed tasks had left", file=sys.stderr)
    print(f"results: {results}", file=sys.stderr)
    if rows != n:
        print(f"chart2fhir-spark: {n} inputs but {rows} result rows", file=sys.stderr)
        return 3
    return 1 if f else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
