"""sweep(..., client=...) on a local Dask cluster gives the local sweep's result."""

import numpy as np
import pytest

import optviz

distributed = pytest.importorskip("dask.distributed")


def test_sweep_on_a_local_cluster_matches_the_local_sweep():
    axes = {"lr": np.logspace(-3, -1, 6), "momentum": [0.0, 0.5, 0.9]}
    starts = [(0.0, 0.0), (-1.0, -1.0)]
    local = optviz.sweep("himmelblau", "sgd", axes, starts=starts, steps=100)
    # One worker thread: the engine's parallel kernels must not run in two threads at once.
    with (
        distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
            host="127.0.0.1",
            protocol="tcp://",  # real sockets on loopback, as a remote cluster would use
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        seen = []
        remote = optviz.sweep(
            "himmelblau",
            "sgd",
            axes,
            starts=starts,
            steps=100,
            client=client,
            block_runs=8,  # 4 configurations per block: 5 blocks
            progress=lambda done, total: seen.append((done, total)),
        )
    assert len(seen) == 5 and seen[-1] == (36, 36)
    assert remote.dims == local.dims
    np.testing.assert_array_equal(remote.final_xy, local.final_xy)
    for name in ("final_loss", "steps_to_finish", "diverged_step"):
        np.testing.assert_array_equal(
            getattr(remote, name).values, getattr(local, name).values, err_msg=name
        )
    assert remote.optimizer_at(2, 1) == local.optimizer_at(2, 1)
