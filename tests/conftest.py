"""Test-wide setup: Qt renders offscreen, so the suite needs no display."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The app compiles the kernels it does not need at once in a background child process;
# here every test compiles what it uses, so that child would only double the work.
os.environ.setdefault("OPTVIZ_BACKGROUND_COMPILE", "0")
