"""The preset surfaces of OPTIMIZERS.md: parameters, view boxes, starts and minima.

The formulas themselves are numba functions in ``formulas.py``; this module holds what
the app and the engine need to know about each one. The order of ``PRESETS`` fixes
the surface ids the generated kernels dispatch on (see ``engine/codegen.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

_LOGIT_02 = math.log(0.2 / 0.8)
_LOGIT_09 = math.log(0.9 / 0.1)
# The two-point sigmoid neuron fits both points exactly: w*0.5 + b = logit(0.2) and
# w*2.5 + b = logit(0.9).
_NEURON_W = (_LOGIT_09 - _LOGIT_02) / 2.0
_NEURON_B = _LOGIT_02 - 0.5 * _NEURON_W


@dataclass(frozen=True, slots=True)
class PresetInfo:
    """What a preset carries besides its formula.

    ``params`` are the named parameters with their defaults, in the order of the
    surface's parameter row; ``fixed_row`` is appended after them (data that is not a
    user-facing parameter, such as the sigmoid neuron's two points).
    """

    name: str
    title: str
    formula: str
    view: tuple[tuple[float, float], tuple[float, float]]
    starts: tuple[tuple[float, float], ...]
    minima: tuple[tuple[float, float], ...]
    f_min: float | None
    log_scale: bool
    params: tuple[tuple[str, float], ...] = ()
    fixed_row: tuple[float, ...] = ()
    axis_labels: tuple[str, str] = ("x", "y")


PRESETS: dict[str, PresetInfo] = {
    p.name: p
    for p in (
        PresetInfo(
            "rosenbrock",
            "Rosenbrock",
            "(1-x)^2 + 100(y-x^2)^2",
            ((-2.0, 2.0), (-1.0, 3.0)),
            ((-1.5, 2.0), (-1.2, 1.0)),
            ((1.0, 1.0),),
            0.0,
            True,
        ),
        PresetInfo(
            "beale",
            "Beale",
            "(1.5-x+xy)^2 + (2.25-x+xy^2)^2 + (2.625-x+xy^3)^2",
            ((-4.5, 4.5), (-4.5, 4.5)),
            ((1.0, 1.5), (-1.0, -1.0)),
            ((3.0, 0.5),),
            0.0,
            True,
        ),
        PresetInfo(
            "himmelblau",
            "Himmelblau",
            "(x^2+y-11)^2 + (x+y^2-7)^2",
            ((-5.0, 5.0), (-5.0, 5.0)),
            ((0.0, 0.0), (-1.0, -1.0)),
            (
                (3.0, 2.0),
                (-2.805118086952745, 3.131312518250573),
                (-3.779310253377747, -3.283185991286170),
                (3.584428340330492, -1.848126526964404),
            ),
            0.0,
            True,
        ),
        PresetInfo(
            "booth",
            "Booth",
            "(x+2y-7)^2 + (2x+y-5)^2",
            ((-10.0, 10.0), (-10.0, 10.0)),
            ((-8.0, -6.0),),
            ((1.0, 3.0),),
            0.0,
            True,
        ),
        PresetInfo(
            "matyas",
            "Matyas",
            "0.26(x^2+y^2) - 0.48xy",
            ((-10.0, 10.0), (-10.0, 10.0)),
            ((8.0, -6.0),),
            ((0.0, 0.0),),
            0.0,
            True,
        ),
        PresetInfo(
            "three_hump_camel",
            "Three-hump camel",
            "2x^2 - 1.05x^4 + x^6/6 + xy + y^2",
            ((-2.5, 2.5), (-2.5, 2.5)),
            ((2.0, -1.5),),
            ((0.0, 0.0),),
            0.0,
            True,
        ),
        PresetInfo(
            "six_hump_camel",
            "Six-hump camel",
            "(4-2.1x^2+x^4/3)x^2 + xy + (-4+4y^2)y^2",
            ((-3.0, 3.0), (-2.0, 2.0)),
            ((-1.5, -1.0),),
            ((0.0898420131003, -0.7126564030207), (-0.0898420131003, 0.7126564030207)),
            -1.031628453489877,
            False,
        ),
        PresetInfo(
            "rastrigin",
            "Rastrigin",
            "20 + x^2 - 10cos(2πx) + y^2 - 10cos(2πy)",
            ((-5.12, 5.12), (-5.12, 5.12)),
            ((3.6, -4.2),),
            ((0.0, 0.0),),
            0.0,
            False,
        ),
        PresetInfo(
            "ackley",
            "Ackley",
            "-20exp(-0.2 sqrt(0.5(x^2+y^2))) - exp(0.5(cos2πx + cos2πy)) + e + 20",
            ((-5.0, 5.0), (-5.0, 5.0)),
            ((3.2, 4.1),),
            ((0.0, 0.0),),
            0.0,
            False,
        ),
        PresetInfo(
            "goldstein_price",
            "Goldstein–Price",
            "[1+(x+y+1)^2(19-14x+3x^2-14y+6xy+3y^2)][30+(2x-3y)^2(18-32x+12x^2+48y-36xy+27y^2)]",
            ((-2.0, 2.0), (-2.0, 2.0)),
            ((-1.5, 1.5),),
            ((0.0, -1.0),),
            3.0,
            True,
        ),
        PresetInfo(
            "styblinski_tang",
            "Styblinski–Tang",
            "((x^4-16x^2+5x) + (y^4-16y^2+5y))/2",
            ((-5.0, 5.0), (-5.0, 5.0)),
            ((4.5, 4.5), (0.5, 4.5)),
            ((-2.903534027771178, -2.903534027771178),),
            -78.33233140754282,
            False,
        ),
        PresetInfo(
            "levi13",
            "Lévi N.13",
            "sin^2(3πx) + (x-1)^2(1+sin^2(3πy)) + (y-1)^2(1+sin^2(2πy))",
            ((-4.0, 6.0), (-4.0, 6.0)),
            ((-3.0, -2.5),),
            ((1.0, 1.0),),
            0.0,
            False,
        ),
        PresetInfo(
            "saddle",
            "Saddle",
            "x^2 - y^2",
            ((-2.0, 2.0), (-2.0, 2.0)),
            ((1.8, 0.001), (1.8, 0.1)),
            (),
            None,
            False,
        ),
        PresetInfo(
            "monkey_saddle",
            "Monkey saddle",
            "x^3 - 3xy^2",
            ((-2.0, 2.0), (-2.0, 2.0)),
            ((1.5, 0.5),),
            (),
            None,
            False,
        ),
        PresetInfo(
            "ill_conditioned",
            "Ill-conditioned bowl",
            "0.5(x^2 + kappa y^2)",
            ((-10.0, 10.0), (-4.0, 4.0)),
            ((-9.0, 3.0),),
            ((0.0, 0.0),),
            0.0,
            True,
            params=(("kappa", 50.0),),
        ),
        PresetInfo(
            "sigmoid_neuron",
            "Sigmoid neuron (two points)",
            "0.5 Σ (σ(w x_i + b) - y_i)^2, (x, y) = (0.5, 0.2), (2.5, 0.9)",
            ((-6.0, 6.0), (-6.0, 6.0)),
            ((-2.0, -2.0),),
            ((_NEURON_W, _NEURON_B),),
            0.0,
            False,
            fixed_row=(2.0, 0.5, 0.2, 2.5, 0.9),
            axis_labels=("w", "b"),
        ),
    )
}

PRESET_NAMES: tuple[str, ...] = tuple(PRESETS)
