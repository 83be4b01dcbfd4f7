"""Tests for background jobs and their status bar widget."""

import asyncio

import pytest

from picpocket_gui import jobs as jobs_module
from picpocket_gui.jobs import JobManager, JobState
from picpocket_gui.widgets import job_status
from picpocket_gui.widgets.job_status import JobStatus
from tests.picpocket_gui.waiting import until


def record(job):
    """Collect every signal a job emits, in order."""
    events = []
    job.progress.connect(lambda done, total: events.append(("progress", done, total)))
    job.finished.connect(lambda result: events.append(("finished", result)))
    job.failed.connect(lambda message: events.append(("failed", message)))
    job.cancelled.connect(lambda: events.append(("cancelled",)))
    return events


async def test_job_reports_progress():
    async def count(progress):
        for done in range(1, 6):
            progress(done, 5)
            await asyncio.sleep(0)
        return "counted"

    job = JobManager().start("count", count)
    events = record(job)
    await job.wait()
    assert ("progress", 5, 5) in events
    assert events[-1] == ("finished", "counted")
    assert job.state is JobState.FINISHED


async def test_job_progress_throttled(monkeypatch):
    monkeypatch.setattr(jobs_module, "PROGRESS_INTERVAL", 10.0)

    async def many(progress):
        for done in range(1000):
            progress(done, 1000)
        await asyncio.sleep(0)

    job = JobManager().start("many", many)
    events = record(job)
    await job.wait()
    updates = [event for event in events if event[0] == "progress"]
    # The first report goes out at once; the rest wait for the interval,
    # which is cut short by the final report when the job ends.
    assert len(updates) == 2
    assert updates[-1] == ("progress", 1000, 1000)


async def test_job_progress_from_thread():
    async def threaded(progress):
        await asyncio.to_thread(progress, 3, 7)
        await asyncio.sleep(0.05)

    job = JobManager().start("threaded", threaded)
    events = record(job)
    await job.wait()
    assert ("progress", 3, 7) in events


async def test_job_cancel_stops_coroutine():
    steps = []

    async def endless(progress):
        while True:
            steps.append(len(steps))
            progress(len(steps), 0)
            await asyncio.sleep(0.01)

    job = JobManager().start("endless", endless)
    events = record(job)
    await until(lambda: len(steps) >= 3)
    job.cancel()
    await job.wait()
    stopped_at = len(steps)
    await asyncio.sleep(0.05)
    assert len(steps) == stopped_at
    assert events[-1] == ("cancelled",)
    assert job.state is JobState.CANCELLED


async def test_job_cancel_before_start():
    started = []

    async def never(progress):
        started.append(True)

    job = JobManager().start("never", never)
    events = record(job)
    job.cancel()
    await job.wait()
    assert started == []
    assert events == [("cancelled",)]


async def test_job_failure_message():
    async def broken(progress):
        progress(1, 4)
        raise ValueError("rating must be 0 to 5, got 9")

    job = JobManager().start("rate", broken)
    events = record(job)
    await job.wait()
    assert events[-1] == ("failed", "rating must be 0 to 5, got 9")
    assert job.state is JobState.FAILED
    assert isinstance(job.error, ValueError)


async def test_manager_running_and_shutdown():
    async def sleeper(progress):
        await asyncio.sleep(60)

    manager = JobManager()
    started = []
    manager.job_started.connect(started.append)
    first = manager.start("first", sleeper)
    second = manager.start("second", sleeper)
    assert manager.running() == [first, second]
    assert started == [first, second]
    await manager.shutdown()
    assert manager.running() == []
    assert second.state is JobState.CANCELLED


@pytest.fixture
def quick_removal(monkeypatch):
    monkeypatch.setattr(job_status, "FINISHED_DELAY_MS", 50)
    monkeypatch.setattr(job_status, "FAILED_DELAY_MS", 50)


async def test_status_shows_progress(qtbot):
    release = asyncio.Event()

    async def halfway(progress):
        progress(5, 10)
        await release.wait()

    manager = JobManager()
    status = JobStatus(manager)
    qtbot.addWidget(status)
    job = manager.start("import photos", halfway)
    await until(lambda: status.rows() and status.rows()[0].bar.value() == 5)
    row = status.rows()[0]
    assert row.label.text() == "import photos"
    assert row.bar.maximum() == 10
    assert not status.isHidden()
    release.set()
    await job.wait()


async def test_status_busy_without_total(qtbot):
    release = asyncio.Event()

    async def unknown(progress):
        await release.wait()

    manager = JobManager()
    status = JobStatus(manager)
    qtbot.addWidget(status)
    job = manager.start("scan", unknown)
    await asyncio.sleep(0.02)
    assert status.rows()[0].bar.maximum() == 0
    release.set()
    await job.wait()


async def test_status_cancel_button(qtbot, quick_removal):
    async def endless(progress):
        while True:
            await asyncio.sleep(0.01)

    manager = JobManager()
    status = JobStatus(manager)
    qtbot.addWidget(status)
    job = manager.start("verify photos", endless)
    await asyncio.sleep(0.02)
    status.rows()[0].cancel_button.click()
    await job.wait()
    assert job.state is JobState.CANCELLED
    assert status.rows()[0].label.text() == "verify photos: cancelled"


async def test_status_removes_ended(qtbot, quick_removal):
    async def quick(progress):
        progress(1, 1)

    manager = JobManager()
    status = JobStatus(manager)
    qtbot.addWidget(status)
    job = manager.start("tag 3 images", quick)
    await job.wait()
    await until(lambda: not status.rows())
    assert status.isHidden()


async def test_status_failed_tooltip(qtbot, quick_removal):
    async def broken(progress):
        raise OSError("drive unplugged")

    manager = JobManager()
    status = JobStatus(manager)
    qtbot.addWidget(status)
    job = manager.start("import card", broken)
    await job.wait()
    row = status.rows()[0]
    assert row.label.text() == "import card: failed"
    assert row.label.toolTip() == "drive unplugged"
