"""Set-up shared by the report script tests (credsim_report_test.py, credsim_sweep_report_test.py).

- HAVE_MPL, needs_mpl: whether matplotlib is importable by this interpreter (the plotting tests
  skip without it).
- TempDirTestCase: a fresh temporary directory per test (self.tmp), with write() and read().
- run_script(): a report script as a subprocess, as credsim runs it (python -B), in a directory.
- run_in_process(): a report script's main() in this process, in a directory, with its output
  captured: no interpreter start-up and no matplotlib import per run. Tests render with it and
  keep run_script() for what needs a fresh process (exit codes before matplotlib is imported, a
  second render that must be byte-identical to one made in another process).
- RenderCache: one render per distinct input per test process, shared by the tests that read the
  same outputs (they must not change them).
- main(): the unittest entry point for CTest: exit 77 (CTest SKIP_RETURN_CODE) when matplotlib is
  missing and nothing failed; `--exclude NAME` (a test class, or Class.method) leaves tests to
  another CTest test, so that one file can run as two tests in parallel.

Both report scripts and this module are plain standard library + matplotlib; nothing is written
outside temporary directories (sys.dont_write_bytecode: no __pycache__ in the repo).
"""

import sys

sys.dont_write_bytecode = True  # never leave __pycache__ in the repo

import atexit
import collections
import contextlib
import io
import json
import os
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

try:
    import matplotlib  # noqa: F401
    HAVE_MPL = True
    NO_MPL_REASON = ""
except ImportError as e:
    HAVE_MPL = False
    NO_MPL_REASON = (f"matplotlib is not importable by {sys.executable} ({e}); "
                     "use /usr/bin/python3 with Debian's python3-matplotlib")

needs_mpl = unittest.skipUnless(HAVE_MPL, NO_MPL_REASON)

# A finished run of a report script, in-process or as a subprocess: its exit code, what it
# printed, and the listing of reports/ before and after (the scripts must not write there).
Run = collections.namedtuple("Run", "returncode stdout stderr repo_before repo_after")


def repo_listing():
    return sorted(os.listdir(HERE))


def write_file(path, content, indent=2):
    """Write text as is, anything else as JSON; returns path."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(content if isinstance(content, str) else json.dumps(content, indent=indent))
    return path


def read_file(path, mode="r"):
    with open(path, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
        return f.read()


def run_script(script, args, cwd, env=None, timeout=600):
    """`python -B SCRIPT ARGS...` in cwd, as credsim runs it; env entries are added to ours."""
    full_env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    full_env.update(env or {})
    before = repo_listing()
    proc = subprocess.run([sys.executable, "-B", script, *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=timeout)
    return Run(proc.returncode, proc.stdout, proc.stderr, before, repo_listing())


def run_in_process(main, args, cwd):
    """main(args) of a report script in this process with cwd as the working directory, its
    stdout and stderr captured; a SystemExit (the script's exit 3 without matplotlib) is its
    exit code."""
    out, err = io.StringIO(), io.StringIO()
    before = repo_listing()
    old_cwd = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else 1
    finally:
        os.chdir(old_cwd)
    return Run(code, out.getvalue(), err.getvalue(), before, repo_listing())


class TempDirTestCase(unittest.TestCase):
    """A fresh temporary directory per test, removed afterwards."""

    TMP_PREFIX = "credsim_report_test_"
    JSON_INDENT = 2

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix=self.TMP_PREFIX)
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def write(self, name, content):
        """self.tmp/name with content (text as is, anything else as JSON)."""
        return write_file(os.path.join(self.tmp, name), content, self.JSON_INDENT)

    def read(self, path, mode="r"):
        return read_file(path, mode)


class RenderCache:
    """Each distinct input rendered once per test process by a script's main(), in process.

    get(key, files, args) writes files ({name: content}) into a directory of its own for key,
    runs main(args(dir)) there and returns (Run, dir); later calls with the same key return
    the same result without running again (the files must then be the same: a key names one
    input). Everything lives in one temporary directory, removed when the process exits.
    Callers only read the outputs; a test that changes an output directory renders its own.
    """

    def __init__(self, main, prefix, indent=2):
        self._main = main
        self._prefix = prefix
        self._indent = indent
        self._root = None
        self._done = {}

    def get(self, key, files, args):
        if key not in self._done:
            if self._root is None:
                self._root = tempfile.mkdtemp(prefix=self._prefix)
                atexit.register(shutil.rmtree, self._root, True)
            d = os.path.join(self._root, key)
            os.makedirs(d)
            for name, content in files.items():
                write_file(os.path.join(d, name), content, self._indent)
            self._done[key] = (run_in_process(self._main, args(d), cwd=d), d)
        return self._done[key]


def _test_ids(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from _test_ids(t)
        else:
            yield t


class _Program(unittest.TestProgram):
    """unittest's command line plus `--exclude NAME` (repeatable)."""

    def __init__(self, excluded, **kwargs):
        self.excluded = tuple(excluded)
        super().__init__(**kwargs)  # parses the arguments and runs the tests

    def createTests(self, *args, **kwargs):
        super().createTests(*args, **kwargs)
        if not self.excluded:
            return
        used = set()

        def dropped(test):
            parts = test.id().split(".")  # module.Class.method
            for name in self.excluded:
                if name in (parts[-2], ".".join(parts[-2:])):
                    used.add(name)
                    return True
            return False

        kept = [t for t in _test_ids(self.test) if not dropped(t)]
        unknown = sorted(set(self.excluded) - used)
        if unknown:
            sys.stderr.write(f"--exclude: no test is named {', '.join(unknown)}\n")
            sys.exit(2)
        self.test = unittest.TestSuite(kept)


def main(argv=None):
    """Run the tests of __main__ (as unittest.main, plus --exclude); exit 1 on a failure,
    else 77 when matplotlib is missing (the plotting tests were skipped), else 0."""
    argv = list(sys.argv if argv is None else argv)
    excluded = []
    while "--exclude" in argv:
        i = argv.index("--exclude")
        if i + 1 >= len(argv):
            sys.stderr.write("--exclude needs a test class or Class.method\n")
            sys.exit(2)
        excluded.append(argv[i + 1])
        del argv[i:i + 2]
    result = _Program(excluded, module="__main__", argv=argv, exit=False).result
    if not result.wasSuccessful():
        sys.exit(1)
    sys.exit(77 if not HAVE_MPL else 0)
