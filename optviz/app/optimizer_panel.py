"""The optimizer list and the hyperparameter and schedule editor of the selected one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from optviz.optimizers.registry import OPTIMIZERS, HyperParam
from optviz.optimizers.spec import Optimizer
from optviz.scene import Entry, next_color, unique_label
from optviz.schedules import SCHEDULES, Schedule

from .widgets import LogEdit, SciSpinBox, UnitEdit, color_icon

_LOG_RANGES = {"lr": (-6.0, 1.0), "eps": (-16.0, 0.0), "eps_root": (-20.0, 0.0)}


class OptimizerPanel(QtWidgets.QWidget):
    """Edits a tuple of scene entries; emits ``entries_changed`` with a new tuple."""

    entries_changed = QtCore.Signal(object)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._entries: tuple[Entry, ...] = ()
        self.list = QtWidgets.QListWidget()
        self.list.setMaximumHeight(170)
        self.list.itemChanged.connect(self._on_item_changed)
        self.list.currentRowChanged.connect(self._on_selection)
        self.add_button = QtWidgets.QToolButton(text="Add")
        self.add_button.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_menu = QtWidgets.QMenu(self)
        for name, info in OPTIMIZERS.items():
            action = self.add_menu.addAction(f"{info.title}  ({name})")
            action.setToolTip(info.reference)
            action.triggered.connect(lambda _=False, n=name: self.add(n))
        self.add_button.setMenu(self.add_menu)
        self.remove_button = QtWidgets.QPushButton("Remove")
        self.duplicate_button = QtWidgets.QPushButton("Duplicate")
        self.color_button = QtWidgets.QPushButton("Colour…")
        self.remove_button.clicked.connect(self.remove_selected)
        self.duplicate_button.clicked.connect(self.duplicate_selected)
        self.color_button.clicked.connect(self.recolor_selected)
        buttons = QtWidgets.QHBoxLayout()
        for b in (self.add_button, self.remove_button, self.duplicate_button, self.color_button):
            buttons.addWidget(b)
        self.editor = HyperparameterEditor()
        self.editor.optimizer_edited.connect(self._on_optimizer_edited)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        layout.addWidget(self.editor, 1)

    # --- model -----------------------------------------------------------------------
    @property
    def entries(self) -> tuple[Entry, ...]:
        return self._entries

    def set_entries(self, entries, select: int | None = None) -> None:
        """Show ``entries`` (no signal). Keeps the selection unless ``select`` is given."""
        row = self.list.currentRow() if select is None else select
        self._entries = tuple(entries)
        with QtCore.QSignalBlocker(self.list):
            self.list.clear()
            for e in self._entries:
                item = QtWidgets.QListWidgetItem(color_icon(e.color), e.optimizer.label)
                item.setFlags(
                    item.flags()
                    | QtCore.Qt.ItemFlag.ItemIsEditable
                    | QtCore.Qt.ItemFlag.ItemIsUserCheckable
                )
                state = QtCore.Qt.CheckState
                item.setCheckState(state.Checked if e.enabled else state.Unchecked)
                item.setToolTip(e.optimizer.describe())
                self.list.addItem(item)
            row = min(max(row, 0), len(self._entries) - 1)
            self.list.setCurrentRow(row)
        self._on_selection(row)

    def _emit(self, entries, select: int | None = None) -> None:
        self.set_entries(entries, select)
        self.entries_changed.emit(self._entries)

    # --- actions ----------------------------------------------------------------------
    def add(self, name: str) -> None:
        label = unique_label(OPTIMIZERS[name].title, self._entries)
        entry = Entry(Optimizer(name, label=label), next_color(self._entries))
        self._emit(self._entries + (entry,), select=len(self._entries))

    def remove_selected(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self._entries):
            self._emit(self._entries[:row] + self._entries[row + 1 :], select=max(0, row - 1))

    def duplicate_selected(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self._entries):
            e = self._entries[row]
            label = unique_label(e.optimizer.label, self._entries)
            copy = Entry(e.optimizer.replace(label=label), next_color(self._entries), e.enabled)
            entries = self._entries[: row + 1] + (copy,) + self._entries[row + 1 :]
            self._emit(entries, select=row + 1)

    def recolor_selected(self, color: str | None = None) -> None:
        row = self.list.currentRow()
        if not 0 <= row < len(self._entries):
            return
        if color is None:
            chosen = QtWidgets.QColorDialog.getColor(QtGui.QColor(self._entries[row].color), self)
            if not chosen.isValid():
                return
            color = chosen.name()
        self._replace(row, replace(self._entries[row], color=color))

    def _replace(self, row: int, entry: Entry) -> None:
        entries = list(self._entries)
        entries[row] = entry
        self._emit(entries, select=row)

    def _on_item_changed(self, item: QtWidgets.QListWidgetItem) -> None:
        row = self.list.row(item)
        e = self._entries[row]
        enabled = item.checkState() == QtCore.Qt.CheckState.Checked
        label = item.text().strip() or e.optimizer.label
        if enabled != e.enabled or label != e.optimizer.label:
            optimizer = e.optimizer.replace(label=label)
            self._replace(row, replace(e, enabled=enabled, optimizer=optimizer))

    def _on_selection(self, row: int) -> None:
        has = 0 <= row < len(self._entries)
        for b in (self.remove_button, self.duplicate_button, self.color_button):
            b.setEnabled(has)
        self.editor.set_optimizer(self._entries[row].optimizer if has else None)

    def _on_optimizer_edited(self, optimizer: Optimizer) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self._entries):
            self._replace(row, replace(self._entries[row], optimizer=optimizer))


class HyperparameterEditor(QtWidgets.QGroupBox):
    """A form with one widget per hyperparameter, and the learning-rate schedule."""

    optimizer_edited = QtCore.Signal(object)

    def __init__(self, parent=None) -> None:
        super().__init__("Hyperparameters", parent)
        self._optimizer: Optimizer | None = None
        #: Per hyperparameter: show a value in its widget without emitting an edit.
        self._show_value: dict[str, Callable] = {}
        self._form = QtWidgets.QFormLayout()
        self._form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.error = QtWidgets.QLabel()
        self.error.setStyleSheet("color: #e15759")
        self.error.setWordWrap(True)
        self.schedule = ScheduleEditor()
        self.schedule.schedule_edited.connect(self._on_schedule)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(self._form)
        layout.addWidget(self.error)
        layout.addWidget(self.schedule)
        layout.addStretch(1)
        self.widgets: dict[str, QtWidgets.QWidget] = {}

    def set_optimizer(self, optimizer: Optimizer | None) -> None:
        if (
            optimizer is not None
            and self._optimizer is not None
            and (optimizer.name == self._optimizer.name and optimizer == self._optimizer)
        ):
            return
        rebuild = (
            optimizer is None or self._optimizer is None or optimizer.name != self._optimizer.name
        )
        self._optimizer = optimizer
        self.error.clear()
        if rebuild:
            while self._form.rowCount():
                self._form.removeRow(0)
            self.widgets = {}
            self._show_value = {}
            if optimizer is None:
                self.setTitle("Hyperparameters")
                self.schedule.setVisible(False)
                return
            info = optimizer.info
            self.setTitle(f"{info.title} — {info.reference}")
            self.setToolTip(
                f"{info.title} update:\n{info.equations}\n\neffective lr: {info.effective_lr}"
            )
            for p in info.params:
                widget, show = self._make_widget(p, optimizer.params[p.name])
                label = QtWidgets.QLabel(p.name)
                tip = f"{p.help}\ndefault {p.default!r}; valid: {p.range_text()}"
                label.setToolTip(tip)
                widget.setToolTip(tip)
                self._form.addRow(label, widget)
                self.widgets[p.name] = widget
                self._show_value[p.name] = show
        else:  # the same optimizer with other values (a scene opened, tuned, a sweep cell)
            for name, show in self._show_value.items():
                show(optimizer.params[name])
        self.schedule.setVisible("lr" in optimizer.params)
        self.schedule.set_schedule(optimizer.schedule, optimizer.params.get("lr", 0.0))

    def _make_widget(self, p: HyperParam, value) -> tuple[QtWidgets.QWidget, Callable]:
        """The widget editing hyperparameter ``p`` and a function that shows a new value
        in it without emitting an edit."""

        def changed(v, name=p.name):
            self._edit(name, v)

        def quietly(set_value):
            def show(v):
                with QtCore.QSignalBlocker(w):
                    set_value(v)

            return show

        if p.kind in ("lr", "log"):
            low, high = _LOG_RANGES.get(p.name, (-8.0, 1.0))
            w = LogEdit(value, low, high)
            w.value_changed.connect(changed)
            show = w.set_value
        elif p.kind == "unit":
            w = UnitEdit(value, 1.0 if p.high_inclusive else 0.9999)
            w.value_changed.connect(changed)
            show = w.set_value
        elif p.kind == "pair":
            w = QtWidgets.QWidget()
            row = QtWidgets.QVBoxLayout(w)
            row.setContentsMargins(0, 0, 0, 0)
            edits = [UnitEdit(v, 1.0 if p.high_inclusive else 0.9999) for v in value]
            for e in edits:
                row.addWidget(e)
                e.value_changed.connect(lambda _v, es=edits: changed(tuple(x.value() for x in es)))

            def show(v, edits=edits):
                for e, x in zip(edits, v):
                    e.set_value(x)

        elif p.kind == "bool":
            w = QtWidgets.QCheckBox()
            w.setChecked(bool(value))
            w.toggled.connect(changed)
            show = quietly(lambda v: w.setChecked(bool(v)))
        elif p.kind == "int":
            w = QtWidgets.QSpinBox()
            w.setRange(int(p.low), 1_000_000)
            w.setValue(int(value))
            w.setKeyboardTracking(False)
            w.valueChanged.connect(changed)
            show = quietly(lambda v: w.setValue(int(v)))
        elif p.kind == "etas":
            w = QtWidgets.QLineEdit(", ".join(f"{v:g}" for v in value))
            w.editingFinished.connect(lambda: changed(_parse_floats(w.text())))
            show = quietly(lambda v: w.setText(", ".join(f"{x:g}" for x in v)))
        else:  # nonneg
            w = SciSpinBox(0.0, 1e6)
            w.setValue(float(value))
            w.valueChanged.connect(changed)
            show = quietly(lambda v: w.setValue(float(v)))
        return w, show

    def _edit(self, name: str, value) -> None:
        if self._optimizer is None:
            return
        try:
            optimizer = self._optimizer.replace(**{name: value})
        except ValueError as err:
            self.error.setText(str(err))
            return
        self.error.clear()
        self._optimizer = optimizer
        self.optimizer_edited.emit(optimizer)

    def _on_schedule(self, schedule: Schedule | None) -> None:
        if self._optimizer is not None:
            self._optimizer = self._optimizer.replace(schedule=schedule)
            self.schedule.set_schedule(schedule, self._optimizer.params.get("lr", 0.0))
            self.optimizer_edited.emit(self._optimizer)


def _parse_floats(text: str):
    try:
        return tuple(float(v) for v in text.replace(";", ",").split(",") if v.strip())
    except ValueError:
        return (text,)  # validation reports it


class ScheduleEditor(QtWidgets.QGroupBox):
    """Pick a learning-rate schedule, edit its parameters, see its curve."""

    schedule_edited = QtCore.Signal(object)
    PREVIEW_STEPS = 1000

    def __init__(self, parent=None) -> None:
        super().__init__("Learning-rate schedule", parent)
        self.combo = QtWidgets.QComboBox()
        self.combo.addItems(list(SCHEDULES))
        self.combo.currentTextChanged.connect(self._on_kind)
        self.params = QtWidgets.QLineEdit()
        self.params.setPlaceholderText("e.g. T_max=300, eta_min=0")
        self.params.editingFinished.connect(self._apply)
        self.error = QtWidgets.QLabel()
        self.error.setStyleSheet("color: #e15759")
        self.error.setWordWrap(True)
        self.preview = pg.PlotWidget()
        self.preview.setFixedHeight(80)
        self.preview.hideAxis("bottom")
        self.preview.setMouseEnabled(False, False)
        self.preview_curve = self.preview.plot(pen=pg.mkPen("#edc948", width=1.5))
        layout = QtWidgets.QFormLayout(self)
        layout.addRow("schedule", self.combo)
        layout.addRow("parameters", self.params)
        layout.addRow(self.error)
        layout.addRow(self.preview)
        self._base_lr = 0.0

    def set_schedule(self, schedule: Schedule | None, base_lr: float) -> None:
        self._base_lr = base_lr
        with QtCore.QSignalBlocker(self.combo):
            self.combo.setCurrentText(schedule.name if schedule else "constant")
        if schedule is not None:
            shown = {k: v for k, v in schedule.to_dict().items() if k != "name"}
            self.params.setText(", ".join(f"{k}={_fmt(v)}" for k, v in shown.items()))
        else:
            self.params.clear()
        self.error.clear()
        self._draw(schedule)

    def _on_kind(self, name: str) -> None:
        self.params.setText(
            ", ".join(
                f"{p.name}={_fmt(_suggest(p.name, self._base_lr))}"
                for p in SCHEDULES[name]
                if p.default is None and p.kind != "optional_int"
            )
        )
        self._apply()

    def _apply(self) -> None:
        name = self.combo.currentText()
        try:
            kwargs = _parse_kwargs(self.params.text())
            schedule = None if name == "constant" and not kwargs else Schedule(name, **kwargs)
        except ValueError as err:
            self.error.setText(str(err))
            return
        self.error.clear()
        self._draw(schedule)
        self.schedule_edited.emit(schedule)

    def _draw(self, schedule: Schedule | None) -> None:
        steps = self.PREVIEW_STEPS
        values = (
            schedule.values(self._base_lr, steps) if schedule else np.full(steps, self._base_lr)
        )
        self.preview_curve.setData(np.arange(1, steps + 1), values)
        top = float(np.nanmax(values)) if values.size else 0.0
        self.preview.setYRange(0.0, top * 1.1 if top > 0 else 1.0, padding=0)


def _suggest(name: str, lr: float):
    return {
        "step_size": 200,
        "milestones": [300, 600],
        "gamma": 0.5,
        "k": 0.01,
        "T_max": 1000,
        "T_0": 250,
        "base_lr": lr / 10,
        "max_lr": lr,
        "total_steps": 2000,
    }.get(name, 1)


def _fmt(v) -> str:
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _parse_kwargs(text: str) -> dict:
    """Parse ``a=1, b=[2, 3], mode=triangular`` without eval."""
    out: dict = {}
    depth, current, parts = 0, "", []
    for ch in text:
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += ch == "["
        depth -= ch == "]"
        current += ch
    parts.append(current)
    for part in filter(str.strip, parts):
        if "=" not in part:
            raise ValueError(f"expected name=value, got {part.strip()!r}")
        key, raw = (s.strip() for s in part.split("=", 1))
        out[key] = _parse_value(raw)
    return out


def _parse_value(raw: str):
    if raw.startswith("[") and raw.endswith("]"):
        return [_parse_value(v.strip()) for v in raw[1:-1].split(",") if v.strip()]
    if raw in ("True", "true"):
        return True
    if raw in ("False", "false"):
        return False
    if raw in ("None", "none"):
        return None
    try:
        f = float(raw)
    except ValueError:
        return raw
    return int(f) if f.is_integer() and "." not in raw and "e" not in raw.lower() else f
