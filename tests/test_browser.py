"""The exports in a real browser: Playwright driving the system Chromium (Debian's ``chromium``, no browser
download), each page served by a local HTTP server this test starts, every request outside it refused.

Built on the tiny ffmpeg-made output of ``export_fixture`` (seconds, no manim). Screenshots are saved under
``$REEL_TEST_ARTIFACTS`` (default: the test's temporary folder) and their paths printed. The server answers
Range requests (``export_fixture.RangeHandler``), as any real web server does: Chromium seeks with them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import reel
from export_fixture import Server, make_output

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
pytestmark = [pytest.mark.skipif(CHROMIUM is None, reason="no system Chromium (apt-get install chromium)"),
              pytest.mark.xdist_group("test_browser")]  # one worker: the exported site is built once


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    output = root / "output"
    mp = pytest.MonkeyPatch()
    mp.setenv("REEL_OUTPUT", str(output))
    try:
        make_output(root / "tmp")
    finally:
        mp.undo()
    env = {"REEL_OUTPUT": str(output)}
    reel("export", "web", "ch01", env=env, check=True)
    reel("export", "slides", "ch01", env=env, check=True)
    return output


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    path = Path(os.environ.get("REEL_TEST_ARTIFACTS") or tmp_path_factory.mktemp("screenshots"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--autoplay-policy=no-user-gesture-required", "--mute-audio"])
        yield browser
        browser.close()


@pytest.fixture
def page_at(browser):
    """Open a folder's page; collects console errors, page errors and any request that leaves the server."""
    opened = []

    def open_(folder: Path, path: str = "index.html"):
        server = Server(folder)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.errors, page.outside = [], []
        page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))

        def route(r):
            if r.request.url.startswith(server.url):
                r.continue_()
            else:
                page.outside.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.goto(server.url + path, wait_until="load")
        page.server = server
        opened.append((server, page))
        return page

    yield open_
    for server, page in opened:
        page.close()
        server.close()


PLAY = """async (v) => {
    v.muted = true;
    const t0 = v.currentTime;
    await v.play();
    await new Promise((resolve, reject) => {
        const start = performance.now();
        const tick = () => {
            if (v.error) return reject(new Error('media error ' + v.error.code));
            if (v.readyState >= 3 && v.currentTime > t0 + 0.4) return resolve();
            if (performance.now() - start > 15000) return reject(new Error('stuck at readyState ' + v.readyState
                + ', t=' + v.currentTime));
            setTimeout(tick, 50);
        };
        tick();
    });
    const frames = v.getVideoPlaybackQuality().totalVideoFrames;
    v.pause();
    return {readyState: v.readyState, error: v.error, src: v.currentSrc, frames, t: v.currentTime,
            tracks: v.textTracks.length};
}"""


def test_gallery_plays_every_video_and_shows_every_image(exported, page_at, artifacts):
    page = page_at(exported / "site")
    videos = page.locator("video")
    assert videos.count() == 3  # the chapter video and its two scenes
    for i in range(videos.count()):
        video = videos.nth(i)
        video.scroll_into_view_if_needed()
        state = video.evaluate(PLAY)
        assert state["readyState"] >= 3 and state["error"] is None, state
        assert state["frames"] > 0 and state["t"] > 0.4, state
        assert state["tracks"] == 1, "every video carries its zh-Hans captions"
    images = page.locator("img")
    assert images.count() == 2
    for i in range(images.count()):
        images.nth(i).scroll_into_view_if_needed()
        page.wait_for_function("(img) => img.complete", arg=images.nth(i).element_handle())
        assert images.nth(i).evaluate("(img) => img.naturalWidth") > 0
    assert page.locator("table tbody tr").count() > 0 or "reel check" in page.content()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts / "gallery.png"), full_page=True)
    print(f"screenshot: {artifacts / 'gallery.png'}")
    assert page.errors == [] and page.outside == []


SEEK = """async (v, to) => {
    v.muted = true;
    if (v.readyState < 1) await new Promise((resolve) => v.addEventListener('loadedmetadata', resolve, {once: true}));
    const seeked = new Promise((resolve, reject) => {
        v.addEventListener('seeked', resolve, {once: true});
        setTimeout(() => reject(new Error('no seeked event, t=' + v.currentTime)), 10000);
    });
    v.currentTime = to;
    await seeked;
    const landed = v.currentTime;
    await v.play();
    await new Promise((resolve, reject) => {
        const start = performance.now();
        const tick = () => {
            if (v.error) return reject(new Error('media error ' + v.error.code));
            if (v.currentTime > landed + 0.2) return resolve();
            if (performance.now() - start > 10000) return reject(new Error('stuck after the seek at ' + v.currentTime));
            setTimeout(tick, 50);
        };
        tick();
    });
    v.pause();
    return {landed, t: v.currentTime, duration: v.duration, seekable: v.seekable.length ? v.seekable.end(0) : 0,
            error: v.error};
}"""


def test_a_video_seeks_through_range_requests(exported, page_at):
    """``video.currentTime = x`` lands at x and plays on from there; the bytes came as 206 partial responses."""
    page = page_at(exported / "site")
    video = page.locator("#XORImpossible video")  # 3 s long
    state = video.evaluate(SEEK, 2.0)
    assert state["error"] is None and state["seekable"] == pytest.approx(state["duration"], abs=0.1), state
    assert state["landed"] == pytest.approx(2.0, abs=0.1) and state["t"] > state["landed"], state
    assert [p for p, _ in page.server.partial if p.endswith((".mp4", ".webm"))], "the video came by Range requests"


def test_captions_load_as_cues(exported, page_at):
    page = page_at(exported / "site")
    cues = page.evaluate("""async () => {
        const v = document.querySelector('#PerceptronLine video');
        const track = v.textTracks[0];
        track.mode = 'hidden';
        for (let i = 0; i < 100 && (!track.cues || track.cues.length === 0); i++)
            await new Promise(r => setTimeout(r, 50));
        const cues = Array.from(track.cues || []);
        return {lang: track.language, cues: cues.map(c => [c.startTime, c.endTime, c.getCueAsHTML().textContent])};
    }""")
    assert cues["lang"] == "zh-Hans"
    assert cues["cues"][0] == [0.5, 2.0, "感知机：一条直线\n把两类点分开"]
    assert cues["cues"][1][2] == "权重 w 与偏置 b <更新> & 收敛"  # escaped in the file, itself again on screen


def test_deck_steps_through_and_each_scene_plays(exported, page_at, artifacts):
    page = page_at(exported / "slides" / "ch01")
    page.wait_for_function("() => window.Reveal && Reveal.isReady()")
    total = page.evaluate("Reveal.getTotalSlides()")
    assert total >= 4  # title, two scenes, the figures
    played = []
    for index in range(total):
        page.evaluate(f"Reveal.slide({index})")
        page.wait_for_timeout(150)
        video = page.locator("section.present video")
        if video.count():
            state = video.first.evaluate(PLAY)
            assert state["readyState"] >= 3 and state["error"] is None and state["frames"] > 0, state
            notes = page.evaluate("Reveal.getSlideNotes()")
            assert notes and "s]" in notes, "speaker notes hold the scene's captions"
            played.append(index)
            if len(played) == 1:
                page.screenshot(path=str(artifacts / "slide.png"))
                print(f"screenshot: {artifacts / 'slide.png'}")
    assert len(played) == 2
    assert page.errors == [] and page.outside == []
