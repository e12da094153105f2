"""harness - the serial-console test harness behind tests/run.

Each case of tests/cases.py boots the runtime in its own QEMU (built by
tools/qemu.py) with its own kernel command line, and is judged by what the
guest printed on COM1 and how QEMU ended.

Modules:
  case      the Case record: defaults, validation, loading tests/cases.py
  ktap      parsing KTAP version 1 output
  check     judging one run: exit status, crash, hang, regexes, KTAP
  runner    running one case in QEMU, with a timeout
  report    what is printed: result lines, failure excerpts, progress
  cli       options and the main loop (parallel runs)
  selftest  checks of the above on canned console text (tests/run --selftest)
"""

import os
import sys

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_DIR = os.path.dirname(TESTS_DIR)
TOOLS_DIR = os.path.join(REPO_DIR, "tools")

# tools/qemu.py is the one place that builds QEMU command lines.
if TOOLS_DIR not in sys.path:
    sys.path.insert(0, TOOLS_DIR)
