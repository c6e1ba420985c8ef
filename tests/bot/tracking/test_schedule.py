"""The adaptive poll schedule: soon after submit, slower when idle, sooner near the expected end."""

from bot.tracking.schedule import PollSchedule, PollState


def test_new_job_is_due_after_half_an_interval():
    schedule = PollSchedule(base_interval=4.0)
    polled = {1: schedule.start(now=100.0)}
    assert schedule.next_wakeup(polled.items(), 100.0) == 102.0


def test_every_job_due_before_the_next_allowed_poll_rides_along():
    # One poll per base interval: a job due within it would otherwise wait for the poll after.
    schedule = PollSchedule(base_interval=4.0)
    polled = {
        1: schedule.start(now=100.0),  # due at 102
        2: schedule.start(now=102.5),  # due at 104.5
        3: schedule.start(now=104.5),  # due at 106.5: after the next poll (102 + 4)
    }
    assert sorted(schedule.due(polled.items(), 102.0)) == [1, 2]


def test_interval_stretches_while_nothing_changes_up_to_four_intervals():
    schedule = PollSchedule(base_interval=4.0, expected_seconds=10_000)
    state = schedule.start(now=0.0)
    now, gaps = 0.0, []
    for _ in range(8):
        schedule.observed(state, now, progress=0)
        wake = schedule.next_wakeup([(1, state)], now)
        gaps.append(wake - now)
        now = wake
    assert gaps[0] < gaps[2] < gaps[4]
    assert max(gaps) == 16.0


def test_progress_resets_the_stretch():
    schedule = PollSchedule(base_interval=4.0, expected_seconds=10_000)
    state = schedule.start(now=0.0)
    for step in range(5):
        schedule.observed(state, step * 10.0, progress=0)
    schedule.observed(state, 60.0, progress=5)
    assert schedule.next_wakeup([(1, state)], 60.0) - 60.0 == 4.0


def test_predicted_finish_from_progress_pulls_the_next_poll_in():
    schedule = PollSchedule(base_interval=10.0)
    state = schedule.start(now=0.0)
    schedule.observed(state, 45.0, progress=90)  # 90 % after 45 s: about 5 s left
    gap = schedule.next_wakeup([(1, state)], 45.0) - 45.0
    assert 5.0 <= gap <= 7.5


def test_expected_duration_is_learned_from_finished_jobs():
    schedule = PollSchedule(base_interval=5.0, expected_seconds=60.0)
    for _ in range(20):
        schedule.finished(schedule.start(now=0.0), now=20.0)
    assert 19.0 < schedule.expected_seconds < 22.0


def test_a_resumed_job_counts_from_when_it_started_not_from_now():
    schedule = PollSchedule(base_interval=5.0, expected_seconds=60.0)
    state = schedule.start(now=100.0, started_at=50.0)
    assert state.started_at == 50.0 and state.next_due == 102.5
    schedule.finished(state, now=110.0)  # 60 s after it started: as expected
    assert schedule.expected_seconds == 60.0


def test_batch_horizon_groups_jobs_due_soon_and_skips_later_ones():
    schedule = PollSchedule(base_interval=4.0, expected_seconds=10_000)
    polled = {1: schedule.start(now=0.0), 2: schedule.start(now=0.5), 3: schedule.start(now=50.0)}
    assert sorted(schedule.due(polled.items(), 2.0)) == [1, 2]


def test_missed_poll_retries_at_base_pace():
    schedule = PollSchedule(base_interval=4.0)
    state = schedule.start(now=0.0)
    schedule.missed(state, now=10.0)
    assert schedule.next_wakeup([(1, state)], 10.0) == 14.0


def test_with_nothing_to_poll_the_loop_wakes_after_the_longest_gap():
    schedule = PollSchedule(base_interval=4.0)
    nothing: list[tuple[int, PollState]] = []
    assert schedule.next_wakeup(nothing, 0.0) == 16.0
    assert schedule.due(nothing, 0.0) == []
