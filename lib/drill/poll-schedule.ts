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
