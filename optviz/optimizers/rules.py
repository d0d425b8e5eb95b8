"""Optimizer update bodies: one numba scalar function per formula, written once.

Every optimizer ``name`` defines, at module level:

``NAME_STATE``
    How many of the three state slots per coordinate it uses (the kernels load and
    store only those).
``NAME_SLOTS``
    The names of its hyperparameter-row entries, in order. ``registry.py`` packs a
    user's hyperparameters into a flat float64 row with this layout, so the row and
    the body that reads it are defined side by side.
``NAME_init(hp) -> (s0, s1, s2)``
    Initial state of one coordinate (three float64 slots; unused slots are 0).
``NAME_consts(hp, lr, mom, t) -> tuple``
    The per-step scalars shared by every trajectory of a block: bias corrections,
    decay factors, the scheduled ``lr`` and momentum ``mom`` of step ``t`` (t counts
    from 1). Hoisting them out of the per-trajectory loop keeps ``pow`` out of it.
``NAME_coord(p, g, s0, s1, s2, c) -> (p, s0, s1, s2, elr)``
    The update of one coordinate: parameter ``p``, gradient ``g`` (noise already
    added), state slots, the step's constants ``c``. Returns the new parameter, the
    new state and the effective learning rate (the factor that multiplied the
    gradient estimate in this update; see each body).

Optional ``NAME_lookahead(p, s0, s1, s2, c) -> q``: the point where the gradient is
evaluated, when it is not ``p`` (Nesterov's true look-ahead).

These are plain ``@njit`` functions of scalars and tuples, so the CPU kernels call them
now and a ``@cuda.jit`` kernel can call them unchanged. Arithmetic follows the
reference implementation's order of operations (``torch.optim`` single-tensor path,
``optax``) so trajectories agree to the last few ulps, not just in exact arithmetic.
"""

from __future__ import annotations

import math

from numba import njit

from .. import _numba_env  # noqa: F401  (sets NUMBA_CACHE_DIR before numba loads)

# error_model="numpy": a division by zero gives inf/nan (the run is then marked diverged)
# instead of raising, and the absence of that check lets LLVM vectorise the loops.
_jit = njit(cache=True, nogil=True, inline="always", error_model="numpy")


@_jit
def lerp(a, b, w):
    """torch.lerp(a, b, w) as ATen computes it (two formulas split at |w| = 0.5)."""
    if abs(w) < 0.5:
        return a + w * (b - a)
    return b - (b - a) * (1.0 - w)


@_jit
def sign(v):
    """Sign of v: -1, 0 or 1; NaN stays NaN (so divergence is never hidden)."""
    if v > 0.0:
        return 1.0
    if v < 0.0:
        return -1.0
    return v  # 0.0 or NaN


@_jit
def zero_init(hp):
    return 0.0, 0.0, 0.0


# --- gd: x -= lr * g -----------------------------------------------------------
GD_STATE = 0
GD_SLOTS = ()
gd_init = zero_init


@_jit
def gd_consts(hp, lr, mom, t):
    return (lr,)


@_jit
def gd_coord(p, g, s0, s1, s2, c):
    lr = c[0]
    return p - lr * g, s0, s1, s2, lr


# --- sgd: torch.optim.SGD -----------------------------------------------------
# State: s0 = momentum buffer. Momentum comes from ``mom`` (constant or scheduled).
SGD_STATE = 1
SGD_SLOTS = ("dampening", "weight_decay", "nesterov")
sgd_init = zero_init


@_jit
def sgd_consts(hp, lr, mom, t):
    first = 1.0 if t == 1 else 0.0
    return lr, mom, hp[0], hp[1], hp[2], first


@_jit
def sgd_coord(p, g, s0, s1, s2, c):
    lr, mom, dampening, wd, nesterov, first = c
    d = g
    if wd != 0.0:
        d = d + wd * p
    if mom != 0.0:
        # torch starts the buffer at the first gradient itself (no dampening then).
        if first != 0.0:
            s0 = d
        else:
            s0 = s0 * mom + (1.0 - dampening) * d
        if nesterov != 0.0:
            d = d + mom * s0
        else:
            d = s0
    return p + (-lr) * d, s0, s1, s2, lr


# --- momentum (Khapra 5.4): u = mom*u + lr*g; x -= u ---------------------------
MOMENTUM_STATE = 1
MOMENTUM_SLOTS = ()
momentum_init = zero_init


@_jit
def momentum_consts(hp, lr, mom, t):
    return lr, mom


@_jit
def momentum_coord(p, g, s0, s1, s2, c):
    lr, mom = c
    u = mom * s0 + lr * g
    return p - u, u, s1, s2, lr


# --- nag (Khapra 5.5): g = grad(x - mom*u); u = mom*u + lr*g; x -= u ----------
NAG_STATE = 1
NAG_SLOTS = ()
nag_init = zero_init
nag_consts = momentum_consts
nag_coord = momentum_coord


@_jit
def nag_lookahead(p, s0, s1, s2, c):
    return p - c[1] * s0


# --- line_search (Khapra 5.8) ----------------------------------------------------
# Not coordinate-wise: the kernel evaluates the loss at x - eta*g for every eta and
# keeps the lowest (first one on ties), as the notes' code does. Row: the count of
# etas, then up to LINE_SEARCH_MAX_ETAS values.
LINE_SEARCH_MAX_ETAS = 8
LINE_SEARCH_SLOTS = ("n_etas",) + tuple(f"eta{i}" for i in range(LINE_SEARCH_MAX_ETAS))


# --- sign: x -= lr * sign(g) --------------------------------------------------------
SIGN_STATE = 0
SIGN_SLOTS = ()
sign_init = zero_init
sign_consts = gd_consts


@_jit
def sign_coord(p, g, s0, s1, s2, c):
    lr = c[0]
    return p - lr * sign(g), s0, s1, s2, lr


# --- adagrad: torch.optim.Adagrad ----------------------------------------------
# State: s0 = sum of squared gradients. elr = clr / (sqrt(sum) + eps).
ADAGRAD_STATE = 1
ADAGRAD_SLOTS = ("lr_decay", "weight_decay", "initial_accumulator_value", "eps")


@_jit
def adagrad_init(hp):
    return hp[2], 0.0, 0.0


@_jit
def adagrad_consts(hp, lr, mom, t):
    clr = lr / (1 + (t - 1) * hp[0])
    return clr, hp[1], hp[3]


@_jit
def adagrad_coord(p, g, s0, s1, s2, c):
    clr, wd, eps = c
    if wd != 0.0:
        g = g + wd * p
    s0 = s0 + 1.0 * g * g
    std = math.sqrt(s0) + eps
    return p + (-clr) * g / std, s0, s1, s2, clr / std


# --- rmsprop: torch.optim.RMSprop -----------------------------------------------
# State: s0 = square_avg, s1 = grad_avg (centered), s2 = momentum buffer.
# elr = lr / (sqrt(square_avg [- grad_avg^2]) + eps).
RMSPROP_STATE = 3
RMSPROP_SLOTS = ("alpha", "eps", "weight_decay", "centered")
rmsprop_init = zero_init


@_jit
def rmsprop_consts(hp, lr, mom, t):
    return lr, hp[0], hp[1], hp[2], hp[3], mom


@_jit
def rmsprop_coord(p, g, s0, s1, s2, c):
    lr, alpha, eps, wd, centered, mom = c
    if wd != 0.0:
        g = g + wd * p
    s0 = s0 * alpha + (1.0 - alpha) * g * g
    if centered != 0.0:
        s1 = lerp(s1, g, 1.0 - alpha)
        avg = math.sqrt(s0 + (-1.0) * s1 * s1)
    else:
        avg = math.sqrt(s0)
    avg = avg + eps
    if mom > 0.0:
        s2 = s2 * mom + 1.0 * g / avg
        p = p + (-lr) * s2
    else:
        p = p + (-lr) * g / avg
    return p, s0, s1, s2, lr / avg


# --- adadelta: torch.optim.Adadelta ---------------------------------------------
# State: s0 = square_avg, s1 = acc_delta. elr = lr*sqrt(acc_delta+eps)/sqrt(square_avg+eps).
ADADELTA_STATE = 2
ADADELTA_SLOTS = ("rho", "eps", "weight_decay")
adadelta_init = zero_init


@_jit
def adadelta_consts(hp, lr, mom, t):
    return lr, hp[0], hp[1], hp[2]


@_jit
def adadelta_coord(p, g, s0, s1, s2, c):
    lr, rho, eps, wd = c
    if wd != 0.0:
        g = g + wd * p
    s0 = s0 * rho + (1.0 - rho) * g * g
    std = math.sqrt(s0 + eps)
    ratio = math.sqrt(s1 + eps) / std
    delta = ratio * g
    s1 = s1 * rho + (1.0 - rho) * delta * delta
    return p + (-lr) * delta, s0, s1, s2, lr * ratio


# --- adam / amsgrad / adamw: torch.optim.Adam, torch.optim.AdamW ----------------
# State: s0 = exp_avg, s1 = exp_avg_sq, s2 = max_exp_avg_sq (amsgrad).
# elr = lr / (sqrt(v)/sqrt(1-beta2^t) + eps): the factor on m_hat = m/(1-beta1^t).
ADAM_STATE = 3
ADAM_SLOTS = ("beta1", "beta2", "eps", "weight_decay", "amsgrad", "decoupled")
adam_init = zero_init


@_jit
def adam_consts(hp, lr, mom, t):
    beta1, beta2, eps, wd, amsgrad, decoupled = hp[0], hp[1], hp[2], hp[3], hp[4], hp[5]
    step_size = lr / (1 - beta1**t)
    bias_correction2_sqrt = (1 - beta2**t) ** 0.5
    decay = 1 - lr * wd if decoupled != 0.0 else 1.0
    coupled_wd = 0.0 if decoupled != 0.0 else wd
    return lr, beta1, beta2, eps, coupled_wd, amsgrad, step_size, bias_correction2_sqrt, decay


@_jit
def adam_coord(p, g, s0, s1, s2, c):
    lr, beta1, beta2, eps, wd, amsgrad, step_size, bc2_sqrt, decay = c
    p = p * decay  # AdamW's decoupled decay (1.0 for Adam)
    if wd != 0.0:
        g = g + wd * p
    s0 = lerp(s0, g, 1 - beta1)
    s1 = s1 * beta2 + (1 - beta2) * g * g
    if amsgrad != 0.0:
        s2 = max(s2, s1)
        denom = math.sqrt(s2) / bc2_sqrt + eps
    else:
        denom = math.sqrt(s1) / bc2_sqrt + eps
    return p + (-step_size) * s0 / denom, s0, s1, s2, lr / denom


# --- adamax: torch.optim.Adamax -------------------------------------------------
# State: s0 = exp_avg, s1 = exp_inf. elr = lr / exp_inf (the factor on m_hat).
ADAMAX_STATE = 2
ADAMAX_SLOTS = ("beta1", "beta2", "eps", "weight_decay")
adamax_init = zero_init


@_jit
def adamax_consts(hp, lr, mom, t):
    clr = lr / (1 - hp[0] ** t)
    return lr, hp[0], hp[1], hp[2], hp[3], clr


@_jit
def adamax_coord(p, g, s0, s1, s2, c):
    lr, beta1, beta2, eps, wd, clr = c
    if wd != 0.0:
        g = g + wd * p
    s0 = lerp(s0, g, 1 - beta1)
    s1 = max(s1 * beta2, abs(g) + eps)
    return p + (-clr) * s0 / s1, s0, s1, s2, lr / s1


# --- nadam: torch.optim.NAdam -----------------------------------------------------
# State: s0 = exp_avg, s1 = exp_avg_sq, s2 = mu_product (the same in every
# coordinate; kept per coordinate so the body stays coordinate-wise).
# elr = lr / (sqrt(v/(1-beta2^t)) + eps).
NADAM_STATE = 3
NADAM_SLOTS = ("beta1", "beta2", "eps", "weight_decay", "momentum_decay", "decoupled_weight_decay")


@_jit
def nadam_init(hp):
    return 0.0, 0.0, 1.0


@_jit
def nadam_consts(hp, lr, mom, t):
    beta1, beta2, eps, wd, momentum_decay, decoupled = hp[0], hp[1], hp[2], hp[3], hp[4], hp[5]
    bias_correction2 = 1 - beta2**t
    mu = beta1 * (1.0 - 0.5 * (0.96 ** (t * momentum_decay)))
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * momentum_decay)))
    decay = 1 - lr * wd if decoupled != 0.0 else 1.0
    coupled_wd = 0.0 if decoupled != 0.0 else wd
    return lr, beta1, beta2, eps, coupled_wd, decay, bias_correction2, mu, mu_next


@_jit
def nadam_coord(p, g, s0, s1, s2, c):
    lr, beta1, beta2, eps, wd, decay, bias_correction2, mu, mu_next = c
    p = p * decay
    if wd != 0.0:
        g = g + wd * p
    s2 = s2 * mu
    s0 = lerp(s0, g, 1 - beta1)
    s1 = s1 * beta2 + (1 - beta2) * g * g
    denom = math.sqrt(s1 / bias_correction2) + eps
    mu_product_next = s2 * mu_next
    p = p + (-lr * (1.0 - mu) / (1.0 - s2)) * g / denom
    p = p + ((-lr * mu_next) / (1.0 - mu_product_next)) * s0 / denom
    return p, s0, s1, s2, lr / denom


# --- radam: torch.optim.RAdam -----------------------------------------------------
# State: s0 = exp_avg, s1 = exp_avg_sq. elr = lr * rect * sqrt(1-beta2^t)/(sqrt(v)+eps)
# once rho_t > 5, else lr (the un-adapted step on m_hat).
RADAM_STATE = 2
RADAM_SLOTS = ("beta1", "beta2", "eps", "weight_decay", "decoupled_weight_decay")
radam_init = zero_init


@_jit
def radam_consts(hp, lr, mom, t):
    beta1, beta2, eps, wd, decoupled = hp[0], hp[1], hp[2], hp[3], hp[4]
    bias_correction1 = 1 - beta1**t
    bias_correction2 = 1 - beta2**t
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * t * (beta2**t) / bias_correction2
    rectified = 1.0 if rho_t > 5.0 else 0.0
    rect = 0.0
    if rectified != 0.0:
        rect = (
            (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
        ) ** 0.5
    decay = 1 - lr * wd if decoupled != 0.0 else 1.0
    coupled_wd = 0.0 if decoupled != 0.0 else wd
    sqrt_bc2 = bias_correction2**0.5
    return lr, beta1, beta2, eps, coupled_wd, decay, bias_correction1, sqrt_bc2, rect, rectified


@_jit
def radam_coord(p, g, s0, s1, s2, c):
    lr, beta1, beta2, eps, wd, decay, bias_correction1, sqrt_bc2, rect, rectified = c
    p = p * decay
    if wd != 0.0:
        g = g + wd * p
    s0 = lerp(s0, g, 1 - beta1)
    s1 = s1 * beta2 + (1 - beta2) * g * g
    m_hat = s0 / bias_correction1
    if rectified != 0.0:
        adaptive = sqrt_bc2 / (math.sqrt(s1) + eps)
        elr = lr * adaptive * rect
        step = m_hat * lr * adaptive * rect
    else:
        elr = lr
        step = m_hat * lr
    return p + (-1.0) * step, s0, s1, s2, elr


# --- yogi: optax.yogi (scale_by_yogi) ---------------------------------------------
# State: s0 = mu, s1 = nu, both starting at initial_accumulator_value.
# elr = lr / (sqrt(nu_hat) + eps).
YOGI_STATE = 2
YOGI_SLOTS = ("beta1", "beta2", "eps", "initial_accumulator_value")


@_jit
def yogi_init(hp):
    return hp[3], hp[3], 0.0


@_jit
def yogi_consts(hp, lr, mom, t):
    beta1, beta2 = hp[0], hp[1]
    return lr, beta1, beta2, hp[2], 1 - beta1**t, 1 - beta2**t


@_jit
def yogi_coord(p, g, s0, s1, s2, c):
    lr, beta1, beta2, eps, bc1, bc2 = c
    s0 = (1 - beta1) * g + beta1 * s0
    g2 = g * g
    s1 = s1 - (1 - beta2) * sign(s1 - g2) * g2
    m_hat = s0 / bc1
    denom = math.sqrt(s1 / bc2) + eps
    return p + (-lr) * (m_hat / denom), s0, s1, s2, lr / denom


# --- adabelief: optax.adabelief (scale_by_belief) -----------------------------------
# State: s0 = mu, s1 = nu (the "belief": EMA of (g - mu)^2 plus eps_root).
# elr = lr / (sqrt(nu_hat) + eps).
ADABELIEF_STATE = 2
ADABELIEF_SLOTS = ("beta1", "beta2", "eps", "eps_root")
adabelief_init = zero_init


@_jit
def adabelief_consts(hp, lr, mom, t):
    beta1, beta2 = hp[0], hp[1]
    return lr, beta1, beta2, hp[2], hp[3], 1 - beta1**t, 1 - beta2**t


@_jit
def adabelief_coord(p, g, s0, s1, s2, c):
    lr, beta1, beta2, eps, eps_root, bc1, bc2 = c
    s0 = (1 - beta1) * g + beta1 * s0
    err = g - s0
    s1 = (1 - beta2) * (err * err) + beta2 * s1
    s1 = s1 + eps_root
    m_hat = s0 / bc1
    denom = math.sqrt(s1 / bc2) + eps
    return p + (-lr) * (m_hat / denom), s0, s1, s2, lr / denom


# --- lion: optax.lion (scale_by_lion + add_decayed_weights) -------------------------
# State: s0 = mu. elr = lr (the factor on sign(...)).
LION_STATE = 1
LION_SLOTS = ("beta1", "beta2", "weight_decay")
lion_init = zero_init


@_jit
def lion_consts(hp, lr, mom, t):
    return lr, hp[0], hp[1], hp[2]


@_jit
def lion_coord(p, g, s0, s1, s2, c):
    lr, beta1, beta2, wd = c
    u = sign((1.0 - beta1) * g + beta1 * s0)
    s0 = (1 - beta2) * g + beta2 * s0
    u = u + wd * p
    return p + (-lr) * u, s0, s1, s2, lr


# --- qhm: quasi-hyperbolic momentum (Ma & Yarats 2019) -------------------------------
# buf = beta*buf + (1-beta)*g; x -= lr*((1-nu)*g + nu*buf). State: s0 = buf. elr = lr.
QHM_STATE = 1
QHM_SLOTS = ("nu",)
qhm_init = zero_init


@_jit
def qhm_consts(hp, lr, mom, t):
    return lr, mom, hp[0]


@_jit
def qhm_coord(p, g, s0, s1, s2, c):
    lr, beta, nu = c
    s0 = beta * s0 + (1.0 - beta) * g
    return p - lr * ((1.0 - nu) * g + nu * s0), s0, s1, s2, lr


# --- qhadam: QHAdam (Ma & Yarats 2019) ------------------------------------------------
# x -= lr * ((1-nu1) g + nu1 m_hat) / (sqrt((1-nu2) g^2 + nu2 v_hat) + eps).
# State: s0 = m, s1 = v. elr = lr / denominator.
QHADAM_STATE = 2
QHADAM_SLOTS = ("beta1", "beta2", "nu1", "nu2", "eps")
qhadam_init = zero_init


@_jit
def qhadam_consts(hp, lr, mom, t):
    beta1, beta2 = hp[0], hp[1]
    return lr, beta1, beta2, hp[2], hp[3], hp[4], 1 - beta1**t, 1 - beta2**t


@_jit
def qhadam_coord(p, g, s0, s1, s2, c):
    lr, beta1, beta2, nu1, nu2, eps, bc1, bc2 = c
    s0 = beta1 * s0 + (1 - beta1) * g
    s1 = beta2 * s1 + (1 - beta2) * g * g
    m_hat = s0 / bc1
    v_hat = s1 / bc2
    denom = math.sqrt((1 - nu2) * g * g + nu2 * v_hat) + eps
    return p - lr * ((1 - nu1) * g + nu1 * m_hat) / denom, s0, s1, s2, lr / denom


# --- window_adam (McAllester, "Adam (simplified)") -----------------------------------
# Running means with weight 1/min(t, N) instead of bias correction.
# State: s0 = m, s1 = s. elr = lr / (sqrt(s) + eps).
WINDOW_ADAM_STATE = 2
WINDOW_ADAM_SLOTS = ("window_g", "window_s", "eps")
window_adam_init = zero_init


@_jit
def window_adam_consts(hp, lr, mom, t):
    return lr, float(min(t, hp[0])), float(min(t, hp[1])), hp[2]


@_jit
def window_adam_coord(p, g, s0, s1, s2, c):
    return decoupled_adam_coord(p, g, g * g, s0, s1, s2, c)


# --- decoupled_adam (McAllester, "Decoupled Adam": decoupled from the batch size) -------
# window_adam whose second moment averages the per-example squared gradients of the
# minibatch, gsq = (1/B) sum_b g_b^2, instead of the square of their mean. A rule with
# NAME_GSQ = True takes that extra ``gsq`` argument after ``g``; the kernels pass the
# per-example mean on dataset surfaces and g*g everywhere else (then it is window_adam).
DECOUPLED_ADAM_STATE = 2
DECOUPLED_ADAM_SLOTS = WINDOW_ADAM_SLOTS
DECOUPLED_ADAM_GSQ = True
decoupled_adam_init = zero_init
decoupled_adam_consts = window_adam_consts


@_jit
def decoupled_adam_coord(p, g, gsq, s0, s1, s2, c):
    lr, n_g, n_s, eps = c
    s0 = (1 - 1 / n_g) * s0 + g / n_g
    s1 = (1 - 1 / n_s) * s1 + gsq / n_s
    denom = math.sqrt(s1) + eps
    return p - lr * s0 / denom, s0, s1, s2, lr / denom
