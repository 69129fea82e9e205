#!/usr/bin/env python3
"""The packaging tests of test_package.py's ArchTests for arm64: package.sh
--arch arm64 cross-builds the runtime on this machine (Debian's
gcc-aarch64-linux-gnu, the lean dependencies cross-built by
scripts/lean-deps.sh arm64) and the zips run in the empty root under
qemu-user, started explicitly (qemu-aarch64-static copied into the root),
since binfmt_misc may not be mounted where the suite runs.

Needs root, as test_package.py does; skipped on an arm64 machine, where
test_package.py itself covers arm64.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_package as base  # noqa: E402


@unittest.skipUnless(base.IS_ROOT, "needs root (chroot and mknod for the "
                     "empty root); CI runs this suite as root")
@unittest.skipIf(base.HOST_ARCH == "arm64", "test_package.py covers arm64 "
                 "natively on this machine")
class Arm64PackageTest(base.ArchTests, unittest.TestCase):

    ARCH = "arm64"


if __name__ == "__main__":
    unittest.main()
