"""Frame writers: read every output back (ffmpeg, Pillow) and check that no failed,
cancelled or unfinished export leaves a file or a temporary behind."""

import re
import subprocess
import threading
import time
import tracemalloc

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from optviz.export import (
    ExportError,
    GifWriter,
    Mp4Writer,
    PngSequenceWriter,
    estimate_size_bytes,
    even_size,
    open_writer,
    write_png,
)
from optviz.export._writer import QUEUE_FRAMES
from optviz.export.gif import gif_durations


def background(w, h):
    """A smooth colour gradient, like a heat map: uint8 [h, w, 3]."""
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack(
        [xx * 255 // max(w - 1, 1), yy * 255 // max(h - 1, 1), np.full_like(xx, 90)], -1
    ).astype(np.uint8)


def moving_frames(n, w, h, alpha=False):
    """n frames: the gradient with a red disc and a white disc moving across it."""
    bg = background(w, h)
    yy, xx = np.mgrid[0:h, 0:w]
    r = max(2, min(w, h) // 12)
    for i in range(n):
        f = bg.copy()
        for colour, (cx, cy) in (
            ((230, 30, 30), (r + (w - 2 * r) * i / max(n - 1, 1), h / 3)),
            ((255, 255, 255), (w / 2, r + (h - 2 * r) * i / max(n - 1, 1))),
        ):
            f[(xx - cx) ** 2 + (yy - cy) ** 2 < r * r] = colour
        if alpha:
            f = np.dstack([f, np.full((h, w), 255, np.uint8)])
        yield f


def probe(path):
    """(codec, pix_fmt, width, height) of the first video stream, from ``ffmpeg -i``."""
    out = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
        capture_output=True,
        text=True,
    )
    m = re.search(r"Video: (\w+).*?, (\w+)(?:\([^)]*\))?, (\d+)x(\d+)", out.stderr)
    assert m, out.stderr
    return m[1], m[2], int(m[3]), int(m[4])


def first_frame(path, w, h):
    gen = imageio_ffmpeg.read_frames(str(path))
    try:
        next(gen)  # metadata
        return np.frombuffer(next(gen), np.uint8).reshape(h, w, 3)
    finally:
        gen.close()


def names(folder):
    return sorted(p.name for p in folder.iterdir())


# --- MP4 ----------------------------------------------------------------------------


def test_mp4_is_h264_yuv420p_with_the_exact_size_and_frame_count(tmp_path):
    path = tmp_path / "talk.mp4"
    with Mp4Writer(path, (640, 360), fps=24) as out:
        for f in moving_frames(24, 640, 360):
            out.write(f)
        assert not path.exists()  # only complete files appear at the path
    assert out.frames_written == 24
    assert probe(path) == ("h264", "yuv420p", 640, 360)
    frames, secs = imageio_ffmpeg.count_frames_and_secs(str(path))
    assert frames == 24 and secs == pytest.approx(1.0, abs=0.05)
    assert names(tmp_path) == ["talk.mp4"]  # no temporary left


def test_mp4_keeps_the_colours(tmp_path):
    # Tagged BT.709 and converted with that matrix, so a decoder gives the plot's colours.
    path = tmp_path / "c.mp4"
    frame = next(moving_frames(1, 320, 240, alpha=True))  # alpha is dropped
    with Mp4Writer(path, (320, 240), crf=10) as out:
        out.write(frame)
    decoded = first_frame(path, 320, 240).astype(int)
    assert np.abs(decoded - frame[..., :3]).mean() < 3


def test_mp4_refuses_odd_sizes(tmp_path):
    with pytest.raises(ExportError, match="even width and height.*641x360"):
        Mp4Writer(tmp_path / "x.mp4", (641, 360))
    with pytest.raises(ExportError, match="even"):
        Mp4Writer(tmp_path / "x.mp4", (640, 361))
    assert names(tmp_path) == []


@pytest.mark.parametrize("size", [(0, 10), (10,), "640x360", (2.5, 4), (True, 2)])
def test_bad_sizes_are_export_errors(tmp_path, size):
    with pytest.raises(ExportError, match="size"):
        Mp4Writer(tmp_path / "x.mp4", size)


def test_abort_midway_leaves_nothing_and_stops_ffmpeg(tmp_path):
    out = Mp4Writer(tmp_path / "x.mp4", (640, 360))
    for f in moving_frames(20, 640, 360):
        out.write(f)
    began = time.perf_counter()
    out.abort()
    assert time.perf_counter() - began < 1.0
    assert out._proc.poll() is not None
    assert names(tmp_path) == []
    out.abort()  # again: a no-op
    out.close()  # after an abort: a no-op
    assert names(tmp_path) == []
    with pytest.raises(ExportError, match="aborted"):
        out.write(next(moving_frames(1, 640, 360)))


def test_an_exception_in_the_with_block_aborts(tmp_path):
    with pytest.raises(RuntimeError, match="render failed"):
        with open_writer(tmp_path / "x.mp4", (320, 240), fps=30) as out:
            for f in moving_frames(5, 320, 240):
                out.write(f)
            raise RuntimeError("render failed")
    assert names(tmp_path) == []


def test_abort_from_another_thread_stops_a_blocked_write(tmp_path):
    # The app's Cancel button aborts from the UI thread while the export thread writes.
    out = Mp4Writer(tmp_path / "x.mp4", (1280, 720), preset="veryslow")
    frames = list(moving_frames(4, 1280, 720))
    timer = threading.Timer(0.3, out.abort)
    timer.start()
    began = time.perf_counter()
    with pytest.raises(ExportError, match="cancelled|aborted"):
        for i in range(10_000):
            out.write(frames[i % 4])
    timer.join()
    assert time.perf_counter() - began < 1.5
    assert names(tmp_path) == []


def test_abort_from_another_thread_while_closing_cancels(tmp_path):
    out = Mp4Writer(tmp_path / "x.mp4", (320, 240))
    for f in moving_frames(10, 320, 240):
        out.write(f)
    finish = out._finish

    def cancelled_while_finishing():
        canceller = threading.Thread(target=out.abort)
        canceller.start()
        canceller.join()
        finish()

    out._finish = cancelled_while_finishing
    with pytest.raises(ExportError, match="was cancelled"):
        out.close()
    assert names(tmp_path) == []


@pytest.mark.parametrize("name", ["x.mp4", "x.gif", "frames/"])
def test_an_unwritable_destination_fails_before_any_work(tmp_path, name):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a regular file")
    with pytest.raises(ExportError, match="not-a-folder is not a folder"):
        open_writer(f"{blocker}/{name}", (320, 240), fps=15)
    with pytest.raises(ExportError, match="does not exist"):
        open_writer(f"{tmp_path}/missing/{name}", (320, 240), fps=15)
    assert names(tmp_path) == ["not-a-folder"]


def test_a_wrong_frame_is_an_export_error_and_leaves_no_file(tmp_path):
    path = tmp_path / "x.mp4"
    path.write_bytes(b"an earlier export")
    out = Mp4Writer(path, (320, 240))
    for f in moving_frames(3, 320, 240):
        out.write(f)
    with pytest.raises(ExportError, match=r"shape \(240, 320, 3\)"):
        out.write(np.zeros((240, 321, 3), np.uint8))
    with pytest.raises(ExportError, match="stopped after an error"):
        out.write(np.zeros((240, 320, 3), np.uint8))
    assert names(tmp_path) == ["x.mp4"] and path.read_bytes() == b"an earlier export"
    with pytest.raises(ExportError, match="dtype float64"):
        with GifWriter(tmp_path / "y.gif", (4, 4)) as gif:
            gif.write(np.zeros((4, 4, 3)))
    assert names(tmp_path) == ["x.mp4"]


def test_an_encoder_crash_is_an_export_error_and_leaves_no_file(tmp_path):
    out = Mp4Writer(tmp_path / "x.mp4", (320, 240))
    out.write(next(moving_frames(1, 320, 240)))
    out._proc.kill()  # as if ffmpeg died (out of memory, disk full)
    with pytest.raises(ExportError, match="ffmpeg"):
        for f in moving_frames(200, 320, 240):
            out.write(f)
        out.close()
    assert names(tmp_path) == []


def test_closing_without_frames_is_an_export_error(tmp_path):
    with pytest.raises(ExportError, match="no frames"):
        with Mp4Writer(tmp_path / "x.mp4", (320, 240)):
            pass
    assert names(tmp_path) == []


def test_mp4_streams_in_flat_memory(tmp_path):
    # 300 frames of 720p are 830 MB; the writer may hold only its queue of copies.
    w, h, n = 1280, 720, 300
    frame = background(w, h)
    times = []
    tracemalloc.start()
    try:
        with Mp4Writer(tmp_path / "x.mp4", (w, h), preset="veryfast") as out:
            for i in range(n):
                frame[300:340, 4 * i : 4 * i + 40] = (230, 30, 30)  # reused buffer
                began = time.perf_counter()
                out.write(frame)
                times.append(time.perf_counter() - began)
                assert out._queue.qsize() <= QUEUE_FRAMES
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert n * frame.nbytes > 800e6
    assert peak < 100e6, f"peak {peak / 1e6:.0f} MB"
    # Until the queue fills, write() only copies the frame.
    assert max(times[:QUEUE_FRAMES]) < 0.25
    assert imageio_ffmpeg.count_frames_and_secs(str(tmp_path / "x.mp4"))[0] == n


# --- GIF ----------------------------------------------------------------------------


def test_gif_loops_with_the_frame_count_size_and_timing(tmp_path):
    path = tmp_path / "small.gif"
    frames = list(moving_frames(30, 800, 450))
    with GifWriter(path, (800, 450), fps=15) as out:
        for f in frames:
            out.write(f)
        assert not path.exists()
    assert names(tmp_path) == ["small.gif"]
    assert path.stat().st_size < 3e6
    with Image.open(path) as im:
        assert im.format == "GIF" and im.size == (800, 450)
        assert im.info["loop"] == 0
        assert im.n_frames == 30
        durations = []
        for i in range(im.n_frames):
            im.seek(i)
            durations.append(im.info["duration"])
            if i in (0, 17):  # one palette for all, no dithering: close to the source
                err = np.abs(np.asarray(im.convert("RGB"), int) - frames[i]).mean()
                assert err < 3
    assert all(60 <= d <= 70 for d in durations)
    assert sum(durations) == 2000  # 30 frames at 15 fps, no drift


def test_gif_durations_track_the_clock():
    assert gif_durations(15, 15) == [70, 60, 70] * 5
    assert sum(gif_durations(30, 30)) == 1000
    assert gif_durations(4, 50) == [20] * 4


def test_gif_validates_fps_and_colors(tmp_path):
    with pytest.raises(ExportError, match="fps"):
        GifWriter(tmp_path / "x.gif", (10, 10), fps=60)
    with pytest.raises(ExportError, match="colors"):
        GifWriter(tmp_path / "x.gif", (10, 10), colors=300)
    assert names(tmp_path) == []


def test_gif_abort_leaves_nothing(tmp_path):
    out = GifWriter(tmp_path / "x.gif", (200, 100))
    for f in moving_frames(5, 200, 100):
        out.write(f)
    out.abort()
    assert names(tmp_path) == []


# --- PNG ----------------------------------------------------------------------------


def test_png_sequence_writes_numbered_frames_with_alpha(tmp_path):
    folder = tmp_path / "frames"
    with open_writer(f"{folder}/", (160, 90), fps=30) as out:
        assert isinstance(out, PngSequenceWriter)
        for f in moving_frames(5, 160, 90, alpha=True):
            f[:10, :10, 3] = 0  # a transparent corner
            out.write(f)
        assert not folder.exists()
    assert names(tmp_path) == ["frames"]
    assert names(folder) == [f"frame_{i:05d}.png" for i in range(5)]
    for p in folder.iterdir():
        with Image.open(p) as im:
            assert im.size == (160, 90) and im.mode == "RGBA"
            alpha = np.asarray(im)[..., 3]
    assert (alpha[:10, :10] == 0).all() and (alpha[20:] == 255).all()


def test_png_sequence_replaces_an_earlier_sequence_but_no_other_folder(tmp_path):
    folder = tmp_path / "frames"
    for n in (4, 2):
        with PngSequenceWriter(folder, (8, 8)) as out:
            for f in moving_frames(n, 8, 8):
                out.write(f)
    assert names(folder) == ["frame_00000.png", "frame_00001.png"]
    assert names(tmp_path) == ["frames"]
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(ExportError, match="other files"):
        PngSequenceWriter(folder, (8, 8))
    assert (folder / "notes.txt").read_text() == "mine"


def test_png_sequence_abort_leaves_nothing(tmp_path):
    out = PngSequenceWriter(tmp_path / "frames", (8, 8))
    for f in moving_frames(3, 8, 8):
        out.write(f)
    out.abort()
    assert names(tmp_path) == []


def test_still_png_keeps_transparency(tmp_path):
    frame = np.zeros((50, 80, 4), np.uint8)
    frame[10:40, 20:60] = (200, 40, 40, 255)
    write_png(tmp_path / "still.png", frame)
    write_png(tmp_path / "opaque.png", frame[..., :3])
    assert names(tmp_path) == ["opaque.png", "still.png"]
    with Image.open(tmp_path / "still.png") as im:
        assert im.mode == "RGBA" and im.size == (80, 50)
        back = np.asarray(im)
    np.testing.assert_array_equal(back, frame)
    assert back[0, 0, 3] == 0 and back[20, 30, 3] == 255
    with Image.open(tmp_path / "opaque.png") as im:
        assert im.mode == "RGB"
    with pytest.raises(ExportError, match="write_png"):
        write_png(tmp_path / "bad.png", np.zeros((5, 5)))
    with pytest.raises(ExportError, match="is not a folder"):
        write_png(tmp_path / "still.png" / "x.png", frame)
    assert names(tmp_path) == ["opaque.png", "still.png"]


# --- choosing a writer, sizes, estimates --------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "cls"),
    [
        ("a.mp4", None, Mp4Writer),
        ("a.GIF", None, GifWriter),
        ("frames/", None, PngSequenceWriter),
        ("frames", None, PngSequenceWriter),
        ("out.mp4", "png-sequence", PngSequenceWriter),
        ("clip", "mp4", Mp4Writer),
    ],
)
def test_open_writer_picks_by_extension(tmp_path, name, kind, cls):
    out = open_writer(
        tmp_path / name if not name.endswith("/") else f"{tmp_path}/{name}", (64, 48), 15, kind
    )
    try:
        assert type(out) is cls
    finally:
        out.abort()
    assert names(tmp_path) == []


def test_open_writer_names_the_supported_formats(tmp_path):
    with pytest.raises(ExportError, match=r"'\.avi'.*\.mp4.*\.gif.*folder"):
        open_writer(tmp_path / "a.avi", (64, 48), 15)
    with pytest.raises(ExportError, match="write_png"):
        open_writer(tmp_path / "a.png", (64, 48), 15)
    with pytest.raises(ExportError, match="kind"):
        open_writer(tmp_path / "a.mp4", (64, 48), 15, kind="webm")


def test_even_size():
    assert even_size(1920, 1080) == (1920, 1080)
    assert even_size(801, 451) == (800, 450)
    assert even_size(1, 0) == (2, 2)


@pytest.mark.parametrize("kind", ["mp4", "gif", "png-sequence"])
def test_size_estimates_grow_with_frames_and_size(kind):
    small = estimate_size_bytes(kind, (800, 450), 30, 15)
    assert small > 0
    assert estimate_size_bytes(kind, (800, 450), 300, 15) > small
    assert estimate_size_bytes(kind, (1920, 1080), 30, 15) > small
    assert estimate_size_bytes("png", (800, 450), 1, 15) > 0
    with pytest.raises(ExportError):
        estimate_size_bytes("avi", (800, 450), 30, 15)
