"""Route Qt's own messages through the app's logger, dropping known harmless noise."""

from __future__ import annotations

import logging

from PySide6 import QtCore

log = logging.getLogger("optviz.qt")

#: Messages Qt prints that say nothing actionable to a user.
HARMLESS = (
    "propagateSizeHints",  # offscreen platform plugin, on every window
)


def _handler(mode: QtCore.QtMsgType, context: QtCore.QMessageLogContext, message: str) -> None:
    if any(text in message for text in HARMLESS):
        return
    level = {
        QtCore.QtMsgType.QtDebugMsg: logging.DEBUG,
        QtCore.QtMsgType.QtInfoMsg: logging.INFO,
        QtCore.QtMsgType.QtWarningMsg: logging.WARNING,
    }.get(mode, logging.ERROR)
    log.log(level, "%s", message)


def install() -> None:
    QtCore.qInstallMessageHandler(_handler)
