"""The committed kernel module is exactly what the generator writes."""

from optviz.engine import codegen


def test_generated_kernels_are_up_to_date():
    committed = codegen.KERNELS_PATH.read_text()
    assert committed == codegen.generate(), "run `python -m optviz.engine.codegen`"
    external = codegen.EXTERNAL_PATH.read_text()
    assert external == codegen.generate_external(), "run `python -m optviz.engine.codegen`"
    data = codegen.DATA_PATH.read_text()
    assert data == codegen.generate_data(), "run `python -m optviz.engine.codegen`"


def test_every_optimizer_and_preset_has_a_kernel_branch():
    from optviz.engine import _kernels
    from optviz.optimizers.registry import OPTIMIZERS
    from optviz.surfaces.presets import PRESET_NAMES

    assert _kernels.OPCODES == {n: o.opcode for n, o in OPTIMIZERS.items()}
    assert list(_kernels.SURFACE_IDS) == list(PRESET_NAMES)
