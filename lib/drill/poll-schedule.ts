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
