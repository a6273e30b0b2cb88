"""Annotates a JSON Lines corpus on Spark: each partition is piped through `rubric annotate`.

    python examples/spark/annotate.py docs.jsonl out/ --rubric target/release/rubric \\
        -g news.rgz --partitions 64

`rubric annotate` is a stdin-to-stdout JSON Lines filter and each document is
annotated on its own, so Spark only has to cut the corpus into partitions and hand
each one to a `rubric` process on an executor: the same records, in the same order
within a partition, as one `rubric annotate` over the whole corpus. Spark ships the
binary and the compiled gazetteers to the executors (`SparkContext.addFile`); each
executor reads the gazetteer from its local copy, read-only.

Input: JSON Lines, one `{"id": ..., "text": ...}` per line (a file, a directory, a
glob, `.gz`; any path Spark's `textFile` reads: local, HDFS, S3...). Give every
document an `id`: without one, rubric names a document read from standard input
`<stdin>:<line>`, and the line is counted within a partition, not the corpus.

Output: a directory of `part-*` files of rubric records (JSON Lines), as Spark's
`saveAsTextFile` writes them; it must not exist yet. A document rubric cannot read
fails its task and so the job, with rubric's message: Spark commits no partial output.

Run with plain `python` (a local Spark with one worker thread per core, the default
here) or with `spark-submit` and any master: see examples/spark/README.md.
"""

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from pyspark import SparkConf, SparkContext, SparkFiles


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="JSON Lines documents: a file, directory or glob")
    parser.add_argument("output", help="directory to write the records to (must not exist)")
    parser.add_argument(
        "--rubric",
        default="rubric",
        help="the rubric binary to ship to the executors, built for their platform "
        "(default: `rubric` on PATH)",
    )
    parser.add_argument(
        "-g",
        "--gazetteer",
        action="append",
        default=[],
        metavar="PATH",
        help="a gazetteer to ship and match besides the built-in one; compile it first "
        "(`rubric gazetteer compile ... -o news.rgz`): executors then load it instead of "
        "building it. Repeatable.",
    )
    parser.add_argument(
        "--no-default-gazetteer",
        action="store_true",
        help="match only the -g gazetteers, not the one built into rubric",
    )
    parser.add_argument(
        "--partitions",
        type=int,
        default=None,
        help="at least this many partitions (default: Spark's, by input size)",
    )
    parser.add_argument(
        "--annotate-args",
        default="",
        metavar="ARGS",
        help="more `rubric annotate` options, e.g. '--labels PERSON,ORG --offsets utf16'",
    )
    args = parser.parse_args(argv)
    names = [Path(path).name for path in args.gazetteer]
    if len(set(names)) != len(names):
        parser.error(f"-g files must have different names: Spark ships them by name ({names})")
    if args.no_default_gazetteer and not args.gazetteer:
        parser.error("--no-default-gazetteer needs at least one -g PATH")
    return args


def resolve_binary(rubric):
    path = Path(rubric)
    if path.parent == Path(".") and not path.exists():
        found = shutil.which(rubric)
        if found is None:
            sys.exit(f"annotate.py: no `{rubric}` on PATH; pass --rubric path/to/rubric")
        path = Path(found)
    if not os.access(path, os.X_OK):
        sys.exit(f"annotate.py: {path} is not an executable file; build it with "
                 "`cargo build --release` and pass --rubric target/release/rubric")
    return path.resolve()


def annotate_partition(binary_name, gazetteer_names, options):
    """The function each task runs: its lines into `rubric annotate`, records out.

    This is what `RDD.pipe` does, except for one thing: the command is put together
    on the executor. Files shipped with `addFile` are found with `SparkFiles.get`,
    whose directory is known only where the task runs (a temporary directory in
    local mode, the container's working directory on YARN or Kubernetes), while
    `RDD.pipe` takes a command fixed on the driver. Doing it here also keeps
    rubric's error message for the task's failure, which `RDD.pipe` loses."""

    def run(partition, lines):
        binary = SparkFiles.get(binary_name)
        if not os.access(binary, os.X_OK):
            # A copy that lost its mode on the way; it is this application's own.
            os.chmod(binary, 0o755)
        command = [binary, "annotate", "--quiet", *options]
        for name in gazetteer_names:
            command += ["-g", SparkFiles.get(name)]
        with tempfile.TemporaryFile() as stderr:
            process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr
            )
            feeder = threading.Thread(target=feed, args=(lines, process.stdin), daemon=True)
            feeder.start()
            finished = False
            try:
                for record in process.stdout:
                    yield record.rstrip(b"\n").decode("utf-8")
                finished = True
            finally:
                if not finished:
                    # Spark stopped reading early (a `take`, a failing task): no
                    # rubric process is left behind.
                    process.kill()
                    process.wait()
            feeder.join()
            code = process.wait()
            if code != 0:
                stderr.seek(0)
                message = stderr.read().decode("utf-8", "replace").strip()
                # rubric counts lines from the partition's first (`<stdin>:LINE`).
                raise RuntimeError(
                    f"partition {partition}: {shlex.join(command)} exited with {code}: "
                    f"{message[-2000:]}"
                )

    return run


def feed(lines, stdin):
    try:
        for line in lines:
            stdin.write(line.encode("utf-8") + b"\n")
        stdin.close()
    except BrokenPipeError:
        # rubric stopped reading: it exited, and its exit code and message say why.
        pass


def main(argv=None):
    args = parse_args(argv)
    binary = resolve_binary(args.rubric)
    gazetteers = [Path(path).resolve() for path in args.gazetteer]
    for path in gazetteers:
        if not path.is_file():
            sys.exit(f"annotate.py: no gazetteer file {path}")

    # `python annotate.py` runs a local Spark; spark-submit's --master wins.
    conf = SparkConf().setIfMissing("spark.master", "local[*]").setAppName("rubric annotate")
    sc = SparkContext.getOrCreate(conf)
    try:
        sc.addFile(str(binary))
        for path in gazetteers:
            sc.addFile(str(path))
        # One rubric thread per core Spark gives the task: Spark runs as many tasks
        # side by side as the executor has cores.
        threads = sc.getConf().get("spark.task.cpus", "1")
        options = ["--threads", threads, *shlex.split(args.annotate_args)]
        if args.no_default_gazetteer:
            options.append("--no-default-gazetteer")
        lines = sc.textFile(args.input, minPartitions=args.partitions)
        records = lines.mapPartitionsWithIndex(
            annotate_partition(binary.name, [path.name for path in gazetteers], options)
        )
        try:
            records.saveAsTextFile(args.output)
        except Exception as err:  # noqa: BLE001 - Py4J wraps the task's error
            # Spark has logged the whole trace; end with the one line that says
            # which partition and why, as rubric said it.
            reason = next(
                (line.strip() for line in str(err).splitlines() if "exited with" in line),
                str(err).splitlines()[0] if str(err) else type(err).__name__,
            )
            if os.path.isdir(args.output) and not os.listdir(args.output):
                os.rmdir(args.output)  # what the aborted job left: an empty directory
            sys.exit(f"annotate.py: the job failed, nothing was written to {args.output}: "
                     f"{reason}")
    finally:
        sc.stop()
    print(f"annotate.py: records in {args.output}/part-*", file=sys.stderr)


if __name__ == "__main__":
    main()
