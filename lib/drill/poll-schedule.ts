/**
 * The waits (seconds) between DescribeRestoreJob polls: `first`, then doubling up to `max`, until
 * their sum reaches `timeout`. Computed at synth time and passed in the execution input, so each
 * poll costs four state transitions (Wait, Describe, Choice, next-wait Pass) and a 24 h restore
 * about eight polls.
 */
export function pollSchedule(firstSeconds: number, maxSeconds: number, timeoutSeconds: number): number[] {
  const waits: number[] = [];
  let total = 0;
  let next = firstSeconds;
  while (total < timeoutSeconds) {
    const wait = Math.max(1, Math.min(next, maxSeconds, timeoutSeconds - total));
    waits.push(Math.round(wait));
    total += wait;
    next = Math.min(next * 2, maxSeconds);
  }
  return waits;
}

/**
 * Polls after a restore timed out, until the job ends: every `drainWait` seconds (the longest
 * poll interval, at most the timeout), `drainLast + 1` times, about one more restore timeout.
 */
export function drainSchedule(timeoutSeconds: number, maxSeconds: number): { drainWait: number; drainLast: number } {
  const drainWait = Math.max(60, Math.round(Math.min(maxSeconds, timeoutSeconds)));
  return { drainWait, drainLast: Math.max(0, Math.ceil(timeoutSeconds / drainWait) - 1) };
}

/**
 * The waits for a restore job's state-change event (the `.waitForTaskToken` task's timeouts): the
 * first check after `first` seconds, then every `every` seconds, `every` at most `max` and
 * dividing what is left of the restore timeout evenly, so the last check lands on the timeout
 * itself. Each check after a timeout costs one state transition: with the defaults (15 minutes,
 * at most 8 hours) a restore of 24 hours is checked 3 or 4 times besides its event.
 */
export function waitSchedule(firstSeconds: number, maxSeconds: number, timeoutSeconds: number): { first: number; every: number } {
  const first = Math.max(1, Math.round(Math.min(firstSeconds, timeoutSeconds)));
  const rest = timeoutSeconds - first;
  // Nothing left after the first check: it already finds the restore timed out; later checks (none expected) every max.
  const every = rest <= 0 ? Math.max(60, Math.round(maxSeconds)) : Math.max(1, Math.ceil(rest / Math.ceil(rest / maxSeconds)));
  return { first, every };
}
