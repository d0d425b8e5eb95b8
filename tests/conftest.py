"""Test-wide setup: Qt renders offscreen, so the suite needs no display."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The app compiles the kernels it does not need at once in a background child process;
# here every test compiles what it uses, so that child would only double the work.
os.environ.setdefault("OPTVIZ_BACKGROUND_COMPILE", "0")

# CI runs the property tests with a fixed seed sequence, so a red build always reproduces
# (and never comes from a draw no one can replay); local runs keep exploring new inputs.
if os.environ.get("CI"):
    from hypothesis import settings

    settings.register_profile("ci", derandomize=True)
    settings.load_profile("ci")
