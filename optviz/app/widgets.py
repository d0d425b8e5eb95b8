"""Small editor widgets: scientific spin box, log-scale slider + spin box, unit slider."""

from __future__ import annotations

import math

from PySide6 import QtCore, QtGui, QtWidgets


class SciSpinBox(QtWidgets.QDoubleSpinBox):
    """A spin box that shows values like 1e-08 (``digits`` significant digits) and steps
    multiplicatively (x10^0.1).

    The value is kept as set, not rounded to what is shown: leaving the box without
    editing its text does not change it.
    """

    #: Qt's most decimals (DBL_MAX_10_EXP + DBL_DIG): ``setValue`` rounds to decimals,
    #: and fewer would round small values (1.5e-20 to 2e-20 with 20).
    DECIMALS = 323

    def __init__(self, low: float = 0.0, high: float = 1e6, parent=None, digits: int = 4) -> None:
        super().__init__(parent)
        self.digits = digits
        self.setDecimals(self.DECIMALS)  # the text comes from textFromValue
        self.setRange(low, high)
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt override)
        return f"{value:.{self.digits}g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802
        # Qt reads the text back when the box loses focus: the text of the current value
        # means that value, not its rounding.
        if text.strip() == self.textFromValue(self.value()):
            return self.value()
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        try:
            float(text)
            state = QtGui.QValidator.State.Acceptable
        except ValueError:
            state = QtGui.QValidator.State.Intermediate
        return state, text, pos

    def stepBy(self, steps: int) -> None:  # noqa: N802
        v = self.value()
        if v <= 0:
            self.setValue(1e-4 if steps > 0 else 0.0)
        else:
            self.setValue(v * 10 ** (0.1 * steps))


class _SliderSpin(QtWidgets.QWidget):
    """A slider and a spin box showing one value; ``to_tick`` and ``from_tick`` map
    values to slider positions (0..TICKS) and back."""

    value_changed = QtCore.Signal(float)
    TICKS = 1000

    def __init__(
        self, spin: QtWidgets.QDoubleSpinBox, value: float, to_tick, from_tick, parent=None
    ) -> None:
        super().__init__(parent)
        self._to_tick, self._from_tick = to_tick, from_tick
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setRange(0, self.TICKS)
        self.spin = spin
        self.spin.setKeyboardTracking(False)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        self.set_value(value)
        self.slider.valueChanged.connect(self._on_slider)
        self.spin.valueChanged.connect(self._on_spin)

    def value(self) -> float:
        return self.spin.value()

    def set_value(self, value: float) -> None:
        with QtCore.QSignalBlocker(self.slider), QtCore.QSignalBlocker(self.spin):
            self.spin.setValue(value)
            self.slider.setValue(self._to_tick(value))

    def _on_slider(self, tick: int) -> None:
        value = self._from_tick(tick)
        with QtCore.QSignalBlocker(self.spin):
            self.spin.setValue(value)
        self.value_changed.emit(value)

    def _on_spin(self, value: float) -> None:
        with QtCore.QSignalBlocker(self.slider):
            self.slider.setValue(self._to_tick(value))
        self.value_changed.emit(value)


class LogEdit(_SliderSpin):
    """A log-scale slider with a spin box, for learning rates and epsilons."""

    def __init__(self, value: float, log_low: float, log_high: float, parent=None) -> None:
        self._log_low, self._log_high = log_low, log_high
        spin = SciSpinBox(0.0, 10**log_high)
        spin.setMinimumWidth(90)
        super().__init__(spin, value, self._log_tick, self._log_value, parent)

    def _log_tick(self, value: float) -> int:
        if value <= 0:
            return 0
        frac = (math.log10(value) - self._log_low) / (self._log_high - self._log_low)
        return round(min(1.0, max(0.0, frac)) * self.TICKS)

    def _log_value(self, tick: int) -> float:
        value = 10 ** (self._log_low + (self._log_high - self._log_low) * tick / self.TICKS)
        return float(f"{value:.3g}")


class UnitEdit(_SliderSpin):
    """A slider over [0, high] with a spin box, for betas, momentum and decay rates."""

    def __init__(self, value: float, high: float = 0.9999, parent=None) -> None:
        self._high = high
        spin = QtWidgets.QDoubleSpinBox()
        spin.setDecimals(4)
        spin.setRange(0.0, high)
        spin.setSingleStep(0.01)
        super().__init__(
            spin,
            value,
            lambda v: round(v / high * self.TICKS),
            lambda tick: round(tick / self.TICKS * high, 4),
            parent,
        )


def color_icon(color: str, size: int = 14) -> QtGui.QIcon:
    pixmap = QtGui.QPixmap(size, size)
    pixmap.fill(QtGui.QColor(color))
    return QtGui.QIcon(pixmap)


def menu_before_help(bar: QtWidgets.QMenuBar, title: str) -> QtWidgets.QMenu:
    """A new menu in ``bar`` placed just before Help (Help stays the last menu)."""
    menu = QtWidgets.QMenu(title, bar)
    help_menu = next((a for a in bar.actions() if a.text() == "&Help"), None)
    if help_menu is not None:
        bar.insertMenu(help_menu, menu)
    else:
        bar.addMenu(menu)
    return menu
