"""The adaptive poll schedule: soon after submit, slower when idle, sooner near the expected end."""

from bot.tracking.schedule import PollSchedule


def test_new_job_is_due_after_half_an_interval():
    schedule = PollSchedule(base_interval=4.0)
    schedule.add(1, now=100.0)
    assert schedule.next_wakeup(100.0) == 102.0


def test_every_job_due_before_the_next_allowed_poll_rides_along():
    # One poll per base interval: a job due within it would otherwise wait for the poll after.
    schedule = PollSchedule(base_interval=4.0)
    schedule.add(1, now=100.0)  # due at 102
    schedule.add(2, now=102.5)  # due at 104.5
    schedule.add(3, now=104.5)  # due at 106.5: after the next poll (102 + 4)
    assert sorted(schedule.due(102.0)) == [1, 2]


def test_interval_stretches_while_nothing_changes_up_to_four_intervals():
    schedule = PollSchedule(base_interval=4.0, expected_seconds=10_000)
    schedule.add(1, now=0.0)
    now, gaps = 0.0, []
    for _ in range(8):
        schedule.observed(1, now, progress=0)
        wake = schedule.next_wakeup(now)
        gaps.append(wake - now)
        now = wake
    assert gaps[0] < gaps[2] < gaps[4]
    assert max(gaps) == 16.0


def test_progress_resets_the_stretch():
    schedule = PollSchedule(base_interval=4.0, expected_seconds=10_000)
    schedule.add(1, now=0.0)
    for step in range(5):
        schedule.observed(1, step * 10.0, progress=0)
    schedule.observed(1, 60.0, progress=5)
    assert schedule.next_wakeup(60.0) - 60.0 == 4.0


def test_predicted_finish_from_progress_pulls_the_next_poll_in():
    schedule = PollSchedule(base_interval=10.0)
    schedule.add(1, now=0.0)
    schedule.observed(1, 45.0, progress=90)  # 90 % after 45 s: about 5 s left
    gap = schedule.next_wakeup(45.0) - 45.0
    assert 5.0 <= gap <= 7.5


def test_expected_duration_is_learned_from_finished_jobs():
    schedule = PollSchedule(base_interval=5.0, expected_seconds=60.0)
    for job_id in range(20):
        schedule.add(job_id, now=0.0)
        schedule.finished(job_id, now=20.0)
    assert 19.0 < schedule.expected_seconds < 22.0


def test_batch_horizon_groups_jobs_due_soon_and_skips_later_ones():
    schedule = PollSchedule(base_interval=4.0, expected_seconds=10_000)
    schedule.add(1, now=0.0)
    schedule.add(2, now=0.5)
    schedule.add(3, now=50.0)
    assert sorted(schedule.due(2.0)) == [1, 2]


def test_missed_poll_retries_at_base_pace_and_remove_forgets():
    schedule = PollSchedule(base_interval=4.0)
    schedule.add(1, now=0.0)
    schedule.missed(1, now=10.0)
    assert schedule.next_wakeup(10.0) == 14.0
    schedule.remove(1)
    assert 1 not in schedule
    assert len(schedule) == 0
    assert schedule.next_wakeup(0.0) == 16.0
