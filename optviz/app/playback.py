"""The playback bar: play/pause, step, restart, scrubber, speed and loop.

A 60 Hz timer advances a fractional frame by ``speed / 60`` steps per tick and emits
``frame_changed`` only when the integer frame moves; drawing stays with the receivers,
on the main thread.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

#: Playback speeds in steps per second; 0 means "instant" (jump to the end).
SPEEDS = (10, 30, 100, 300, 1000, 3000, 0)
TICK_MS = 16


class PlaybackBar(QtWidgets.QWidget):
    frame_changed = QtCore.Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._frame = 0.0
        self._last = 0
        self.play_button = QtWidgets.QPushButton("Play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Play / pause (Space)")
        icons = QtWidgets.QStyle.StandardPixmap
        self.back_button = QtWidgets.QToolButton()
        self.back_button.setIcon(self.style().standardIcon(icons.SP_MediaSeekBackward))
        self.back_button.setToolTip("Step back (Left)")
        self.forward_button = QtWidgets.QToolButton()
        self.forward_button.setIcon(self.style().standardIcon(icons.SP_MediaSeekForward))
        self.forward_button.setToolTip("Step forward (Right)")
        self.restart_button = QtWidgets.QToolButton()
        self.restart_button.setIcon(self.style().standardIcon(icons.SP_MediaSkipBackward))
        self.restart_button.setToolTip("Restart (Home)")
        self.scrubber = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.scrubber.setToolTip("Scrub through the steps")
        self.step_label = QtWidgets.QLabel("step 0 / 0")
        self.step_label.setMinimumWidth(120)
        self.speed = QtWidgets.QComboBox()
        for s in SPEEDS:
            self.speed.addItem("instant" if s == 0 else f"{s} steps/s", s)
        self.speed.setCurrentIndex(SPEEDS.index(300))
        self.speed.setToolTip("Playback speed")
        self.loop = QtWidgets.QCheckBox("loop")
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        for w in (self.restart_button, self.back_button, self.play_button, self.forward_button):
            layout.addWidget(w)
        layout.addWidget(self.scrubber, 1)
        layout.addWidget(self.step_label)
        layout.addWidget(self.speed)
        layout.addWidget(self.loop)
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self.play_button.toggled.connect(self._on_play_toggled)
        self.back_button.clicked.connect(lambda: self.step(-1))
        self.forward_button.clicked.connect(lambda: self.step(1))
        self.restart_button.clicked.connect(self.restart)
        self.scrubber.valueChanged.connect(self._on_scrub)
        self.set_steps(0)

    @property
    def frame(self) -> int:
        return self._last

    @property
    def playing(self) -> bool:
        return self.play_button.isChecked()

    def set_steps(self, steps: int) -> None:
        """The number of steps of the current result; keeps the frame if it still fits."""
        with QtCore.QSignalBlocker(self.scrubber):
            self.scrubber.setRange(0, steps)
        self.set_frame(min(self._last, steps))

    def set_frame(self, frame: int) -> None:
        frame = max(0, min(int(frame), self.scrubber.maximum()))
        self._frame = float(frame)
        self._last = frame
        with QtCore.QSignalBlocker(self.scrubber):
            self.scrubber.setValue(frame)
        self.step_label.setText(f"step {frame} / {self.scrubber.maximum()}")
        self.frame_changed.emit(frame)

    def play(self) -> None:
        self.play_button.setChecked(True)

    def pause(self) -> None:
        self.play_button.setChecked(False)

    def toggle(self) -> None:
        self.play_button.toggle()

    def step(self, delta: int) -> None:
        self.pause()
        self.set_frame(self._last + delta)

    def restart(self) -> None:
        self.set_frame(0)

    def _on_play_toggled(self, playing: bool) -> None:
        self.play_button.setText("Pause" if playing else "Play")
        if playing:
            if self._last >= self.scrubber.maximum():
                self.set_frame(0)
            self.timer.start()
        else:
            self.timer.stop()

    def _on_scrub(self, value: int) -> None:
        self.set_frame(value)

    def _tick(self) -> None:
        end = self.scrubber.maximum()
        speed = self.speed.currentData()
        self._frame = float(end) if speed == 0 else self._frame + speed * TICK_MS / 1000.0
        if self._frame >= end:
            if self.loop.isChecked() and speed != 0:
                self._frame = 0.0
            else:
                self._frame = float(end)
                self.pause()
        frame = int(self._frame)
        if frame != self._last:
            self._last = frame
            with QtCore.QSignalBlocker(self.scrubber):
                self.scrubber.setValue(frame)
            self.step_label.setText(f"step {frame} / {end}")
            self.frame_changed.emit(frame)
